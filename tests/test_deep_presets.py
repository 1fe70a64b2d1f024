"""The deep experiments as data: every preset and run resolves for every
network (through the real weights registry, a scaled-down CaffeNet), the
paper's numbers and lambda choice, Fig. 9's receptive-field boxes."""
import numpy
import pytest

from invert import cnn, deep_presets, experiments, figures, presets, representations
from invert.deep_presets import ALL_LAYERS, DEEP_EXPERIMENTS, paper_lambda_tv
from deep_helpers import photos, small_caffenet  # noqa: F401 (fixtures)
from weights_helpers import CAFFENET_SMALL, WEIGHTS_DIR

DEEP = sorted(DEEP_EXPERIMENTS)


def test_experiments_and_presets_are_registered():
    assert {"cnn", "cnn-paper"} <= set(presets.PRESETS)
    assert set(DEEP) <= set(presets.EXPERIMENTS)
    assert {"table3", "fig2", "fig6", "fig7", "fig8", "fig9", "fig10"} <= set(DEEP)


@pytest.mark.parametrize("name", DEEP)
def test_every_run_names_a_preset_and_a_layer_of_its_network(name):
    exp = DEEP_EXPERIMENTS[name]
    assert set(exp["networks"]) == {"caffenet", "squeezenet1_1", "vgg19"}
    for network, runs in exp["networks"].items():
        assert runs, (name, network)
        for run, spec in runs.items():
            assert spec["preset"] in presets.PRESETS, run
            assert spec["layer"] in ALL_LAYERS[network], (name, network, run)
            assert run.startswith(spec["layer"])


def test_layer_lists_are_the_architectures():
    assert ALL_LAYERS["vgg19"] == cnn.vgg19(cnn.random_weights(
        cnn.vgg19_shapes((2, 2, 2, 2, 2)), numpy.random.default_rng(0))).names
    assert ALL_LAYERS["caffenet"] == cnn.CAFFENET_LAYERS
    for network, layers in deep_presets.TABLE3_LAYERS.items():
        assert set(layers) <= set(ALL_LAYERS[network])


@pytest.mark.parametrize("name", DEEP)
def test_every_run_resolves_on_caffenet_through_the_registry(name, small_caffenet, photos):
    exp, paths, runs = experiments.plan(name, photos, rep="caffenet")
    assert exp["network"] == "caffenet" and len(runs) == len(exp["runs"])
    assert len(paths) == min(3, exp.get("limit") or 3)
    for rep, options in runs.values():
        assert rep.name == "caffenet" and rep.layer in cnn.CAFFENET_LAYERS
        assert options["schedule"] in ("cnn", "window") and "lambda_tv" in options
        assert options["box"] == (name != "table3-paper")


@pytest.mark.parametrize("network", ["squeezenet1_1", "vgg19"])
def test_every_run_resolves_with_the_real_weights(network):
    if not (WEIGHTS_DIR / f"{network}.h5").exists():
        pytest.skip(f"{WEIGHTS_DIR / network}.h5 is absent: run `python -m tools.fetch "
                    "weights` first")
    rep = representations.get(network)
    assert rep.layer == {"squeezenet1_1": "pool10", "vgg19": "pool5"}[network]
    for exp in DEEP_EXPERIMENTS.values():
        for spec in exp["networks"][network].values():
            assert spec["layer"] in rep.net


def test_paper_lambda_choice_and_numbers():
    layers = cnn.CAFFENET_LAYERS
    assert [paper_lambda_tv(layers, l) for l in layers] == [0.5] * 6 + [5.0] * 6 + [50.0] * 8
    assert deep_presets.PAPER_TABLE3["fc8", 50.0] == (8.5, 1.3)
    assert deep_presets.PAPER_TABLE3["conv1", 0.5] == (10.0, 5.0)
    assert deep_presets.PAPER_TABLE3["conv3", 5.0] == (14.4, 3.6)
    table3 = DEEP_EXPERIMENTS["table3"]
    assert table3["papers"]["caffenet"]["fc8/lambda_tv=50"] == (8.5, 1.3)
    assert "squeezenet1_1" not in table3["papers"]  # CNN-A's numbers are CaffeNet's only


def test_fig9_boxes_follow_the_receptive_fields_of_table2():
    net = cnn.caffenet(cnn.random_weights(CAFFENET_SMALL, numpy.random.default_rng(0)))
    rep = representations.Representation("c", net, channels=3)
    sizes = {}
    for layer in cnn.CAFFENET_LAYERS:
        rep.layer = layer
        top, left, bottom, right = figures.window_box(rep, 5, 227, 227)
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
    rep = representations.Representation("s", net, layer="pool10", channels=3)
    assert figures.window_box(rep, 5, 227, 227) == (0, 0, 226, 226)
    with pytest.raises(ValueError, match="pass in_shape"):
        net.receptive_field("pool10")
    size_y, size_x, *_ = net.receptive_field("pool10", (1, 3, 227, 227))
    assert size_y >= 227 and size_x >= 227
    assert all(spec["lambda_tv"] == 50.0 for spec in
               DEEP_EXPERIMENTS["fig9"]["networks"]["vgg19"].values())
