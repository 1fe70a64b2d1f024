"""invert.experiments.deep: the deep experiments as data. Every run resolves
for every network (through the real registry, a scaled-down CaffeNet), the
paper's numbers and lambda choice, Fig. 9's receptive-field boxes."""
import numpy
import pytest

from invert import representation
from invert.experiments import EXPERIMENTS, deep, figures, plan
from invert import presets
from invert.presets import PRESETS
from nets import cnn, registry
from nets.preprocess import Preprocess
from deep_helpers import photos, small_caffenet  # noqa: F401 (fixtures)
from weights_helpers import CAFFENET_SMALL, need_weights

DEEP = sorted(e.name for e in deep.EXPERIMENTS)


def test_experiments_are_registered():
    assert {"cnn", "cnn-paper"} <= set(PRESETS)
    assert set(DEEP) <= set(EXPERIMENTS)
    assert {"table3", "fig2", "fig6", "fig7", "fig8", "fig9", "fig10"} <= set(DEEP)


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("network", deep.NETWORKS)
def test_every_run_names_a_preset_and_a_layer_of_its_network(name, network):
    runs = EXPERIMENTS[name].runs_for(network)
    assert runs, (name, network)
    layers = registry.get(network).layers
    for run, spec in runs.items():
        assert spec.preset in PRESETS, run
        assert spec.options["layer"] in layers, (name, network, run)
        assert run.startswith(spec.options["layer"])


def test_the_networks_are_the_registrys():
    assert set(deep.NETWORKS) <= set(registry.names("cnn"))
    assert "caffenet-random" not in deep.NETWORKS  # a stand-in, not a network to study
    for network, layers in deep.TABLE3_LAYERS.items():
        assert set(layers) <= set(registry.get(network).layers), network
    assert registry.get("vgg19").layers == cnn.vgg19(cnn.random_weights(
        cnn.vgg19_shapes((2, 2, 2, 2, 2)), numpy.random.default_rng(0))).names


@pytest.mark.parametrize("name", DEEP)
def test_every_run_resolves_on_caffenet_through_the_registry(name, small_caffenet, photos):
    exp, paths, runs = plan(name, photos, rep="caffenet")
    assert len(runs) == len(exp.runs_for("caffenet"))
    assert len(paths) == min(3, exp.limit or 3)
    for rep, options, spec in runs.values():
        assert rep.name == "caffenet" and rep.layer == spec.options["layer"]
        assert options["schedule"] in ("cnn", "window") or spec.preset == "cnn-best"
        assert "lambda_tv" in options or name == "recognise"  # its preset's or the layer's
        assert options["box"] == (name != "table3-paper")
        assert sum(n for _, n in presets.schedule(options["schedule"])) <= 600


@pytest.mark.parametrize("network", ["squeezenet1_1", "vgg19", "efficientnet_lite0"])
def test_every_run_resolves_with_the_real_weights(network):
    need_weights(network)
    rep = representation.get(network)
    assert rep.layer == {"squeezenet1_1": "pool10", "vgg19": "pool5",
                         "efficientnet_lite0": "fc"}[network]
    for exp in deep.EXPERIMENTS:
        for spec in exp.runs_for(network).values():
            assert spec.options["layer"] in rep.net
    fig9_layers_have_5x5_neurons(rep, network)
    # the POOLED networks' last code has no layout left (one neuron per
    # channel at any size); VGG-19's pool5 keeps one
    for size in (227, 160):
        shape = rep.code_shape(size, size)
        assert (shape[1:] == (1, 1)) == (network in deep.POOLED), (network, size, shape)


def test_recognise_runs_the_pooled_preset_for_pooled_networks_only():
    for network in deep.NETWORKS:
        runs = EXPERIMENTS["recognise"].runs_for(network)
        last = registry.get(network).last_layer
        assert runs[last].preset == "cnn-best" and runs[f"{last}/cnn"].preset == "cnn"
        assert (f"{last}/pooled" in runs) == (f"{last}/fourier" in runs) == \
            (network in deep.POOLED)
        if network in deep.POOLED:
            assert (runs[f"{last}/pooled"].preset, runs[f"{last}/fourier"].preset) == \
                ("cnn-pooled", "cnn-fourier")
    pooled = PRESETS["cnn-pooled"]
    assert pooled["shrink"] == 0.5 and pooled["copies"] == 4
    assert {k: v for k, v in pooled.items() if k not in ("shrink", "copies")} == \
        PRESETS["cnn-best"]
    fourier = PRESETS["cnn-fourier"]
    assert (fourier["param"], fourier["init_scale"], fourier["centre_code"], fourier["zoom"]) == \
        ("fourier", 0.01, True, 0.4)
    # cnn-best's schedule, every rate 16 times
    assert fourier["schedule"] == [(16 * eta, n) for eta, n in PRESETS["cnn-best"]["schedule"]]
    same = [k for k in PRESETS["cnn-best"] if k != "schedule"]
    assert set(fourier) == set(PRESETS["cnn-best"]) | {"param", "init_scale", "centre_code",
                                                       "zoom"}
    assert {k: fourier[k] for k in same} == {k: PRESETS["cnn-best"][k] for k in same}


def fig9_layers_have_5x5_neurons(rep, network):
    """Fig. 9 runs every Table 3 layer whose code at 227 x 227 holds 5 x 5
    neurons, and no other (its window must fit the code)."""
    fig9 = [spec.options["layer"] for spec in EXPERIMENTS["fig9"].runs_for(network).values()]
    fits = [layer for layer in deep.TABLE3_LAYERS[network]
            if min(rep.at(layer).code_shape(227, 227)[1:]) >= 5]
    assert fig9 == fits and set(deep.ONE_BY_ONE[network]).isdisjoint(fits)


def test_fig9_layers_of_caffenet_have_5x5_neurons():
    net = cnn.caffenet(cnn.random_weights(CAFFENET_SMALL, numpy.random.default_rng(0)))
    fig9_layers_have_5x5_neurons(representation.Representation(
        "c", net, Preprocess((0.0, 0.0, 0.0))), "caffenet")


def test_paper_lambda_choice_and_numbers():
    layers = cnn.CAFFENET_LAYERS
    assert [registry.paper_rule(layers, l) for l in layers] == [0.5] * 6 + [5.0] * 6 + [50.0] * 8
    assert deep.PAPER_TABLE3["fc8", 50.0] == (8.5, 1.3)
    assert deep.PAPER_TABLE3["conv1", 0.5] == (10.0, 5.0)
    assert deep.PAPER_TABLE3["conv3", 5.0] == (14.4, 3.6)
    table3 = EXPERIMENTS["table3"]
    assert table3.runs_for("caffenet")["fc8/lambda_tv=50"].paper == (8.5, 1.3)
    # CNN-A's numbers are CaffeNet's only, and only beside Table 3
    assert all(r.paper is None for r in table3.runs_for("squeezenet1_1").values())
    assert all(r.paper is None for r in EXPERIMENTS["fig9"].runs_for("caffenet").values())


def test_fig9_boxes_follow_the_receptive_fields_of_table2():
    net = cnn.caffenet(cnn.random_weights(CAFFENET_SMALL, numpy.random.default_rng(0)))
    rep = representation.Representation("c", net, Preprocess((0.0, 0.0, 0.0)))
    sizes = {}
    for layer in cnn.CAFFENET_LAYERS:
        top, left, bottom, right = figures.window_box(rep.at(layer), 5, 227, 227)
        assert (top, left) == (227 - 1 - bottom, 227 - 1 - right)  # centred
        sizes[layer] = bottom - top + 1
    # 5 neurons: the field (Table 2) plus 4 strides, clipped to the image;
    # the paper: "the field of view is the entire image for conv5 and relu5"
    assert [sizes[l] for l in ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4")] == \
        [11 + 4 * 4, 19 + 4 * 8, 51 + 4 * 8, 67 + 4 * 16, 99 + 4 * 16, 131 + 4 * 16]
    assert sizes["conv5"] == sizes["relu5"] == sizes["fc8"] == 227
    assert figures.field_box((11, 11, 4, 4, 0, 0), [25, 29], [0, 1], 227, 227) == \
        (100, 0, 126, 14)


def test_fig9_box_of_a_global_pool_is_the_whole_image():
    net = cnn.squeezenet1_1(cnn.random_weights(cnn.squeezenet1_1_shapes(0.125, classes=10),
                                               numpy.random.default_rng(0)))
    rep = representation.Representation("s", net, Preprocess((0.0, 0.0, 0.0)), layer="pool10")
    assert figures.window_box(rep, 5, 227, 227) == (0, 0, 226, 226)
    with pytest.raises(ValueError, match="pass in_shape"):
        net.receptive_field("pool10")
    size_y, size_x, *_ = net.receptive_field("pool10", (1, 3, 227, 227))
    assert size_y >= 227 and size_x >= 227
    assert all(spec.options["lambda_tv"] == 50.0 for spec in
               EXPERIMENTS["fig9"].runs_for("vgg19").values())
