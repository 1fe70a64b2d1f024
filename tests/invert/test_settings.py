"""invert.settings: one path from (rep, layer, preset, options) to the
numbers a run uses, for the API, the command line and the experiments;
explicit arguments always beat the preset."""
import numpy
import pytest

import invert
from invert import representation
from invert.experiments import plan
from invert.objective import heuristic_lambdas
from invert.presets import PRESETS
from invert.settings import choose, resolve


def test_explicit_arguments_beat_the_preset():
    rep, layer, options = choose(rep="dsift", preset="hog-paper", lambda_tv=0.5)
    assert rep == "dsift" and layer is None
    assert options == {**{k: v for k, v in PRESETS["hog-paper"].items() if k != "rep"},
                       "lambda_tv": 0.5, "preset": "hog-paper"}
    assert choose(preset="hog-paper")[0] == "hog"              # the preset's rep
    assert choose(preset="cnn", rep="vgg19", layer="pool3")[:2] == ("vgg19", "pool3")
    assert choose(preset="cnn", adaptive=None)[2]["adaptive"] is None  # None is a value
    with pytest.raises(ValueError, match="unknown preset 'hog-worst'"):
        choose(preset="hog-worst")


def named(preset, **more):
    """The options of ``preset`` as ``choose`` returns them."""
    return {**{k: v for k, v in PRESETS[preset].items() if k != "rep"}, **more,
            "preset": preset}


def test_without_a_preset_each_representation_gets_its_best():
    assert choose() == ("hog", None, named("hog-best"))      # nothing asked: HOG's best
    assert choose("dsift", lambda_tv=1.0)[2] == named("dsift-best", lambda_tv=1.0)
    assert choose("vgg19")[2] == choose("squeezenet1_1", "fire9_concat")[2] == named("cnn-best")
    # SqueezeNet's class scores (its last layer, named or not): cnn-fourier
    assert choose("squeezenet1_1")[2] == choose("squeezenet1_1", "pool10")[2] == \
        named("cnn-fourier")
    assert choose("efficientnet_lite0")[2] == named("cnn-best")
    assert choose("hog-authors")[2] == {"preset": None}  # the authors' networks: their own
    assert choose("caffenet-random", preset="cnn")[2] == named("cnn")


@pytest.mark.parametrize("preset", ["hog-paper", "hogb-paper", "dsift-paper", "cnn", "hog-best",
                                    "cnn-pooled", "cnn-fourier"])
def test_choosing_again_from_chosen_options_changes_nothing(preset):
    """What the command line and the experiments chose goes through
    ``api.invert``, which chooses again: a named preset must not get the
    representation's best preset's options (L-BFGS, the surrogate) under it."""
    cnn = preset.startswith("cnn")
    rep, layer, options = choose(preset=preset, rep="squeezenet1_1" if cnn else None)
    assert choose(rep, layer, **options) == (rep, layer, options)
    image = numpy.random.default_rng(0).random((40, 40))
    if not cnn:
        s = invert.invert(image, rep, **{**options, "iters": 4}).settings
        assert s["preset"] == preset
        assert (s["solver"], s["surrogate"]) == (PRESETS[preset].get("solver", "momentum"),
                                                 PRESETS[preset].get("surrogate", False))


def test_the_api_follows_it():
    image = numpy.random.default_rng(0).random((32, 36))
    r = invert.invert(image, rep="dsift", preset="hog-paper", iters=4, lambda_tv=0.5)
    assert r.settings["rep"] == "dsift" and r.settings["lambda_tv"] == 0.5
    assert r.settings["lambda_alpha"] == 2.16e8  # the rest from the preset


def test_the_experiments_follow_it(tmp_path):
    from PIL import Image
    for k in range(2):
        Image.new("RGB", (40, 40), (k * 90, 50, 50)).save(tmp_path / f"im{k}.png")
    _, _, runs = plan("table1", tmp_path, only=["HOG", "HOGb", "DSIFT"], lambda_tv=0.25,
                      rep="hogb")
    for rep, options, spec in runs.values():  # the command line beats every run and preset
        assert rep.name == "hogb" and options["lambda_tv"] == 0.25
        assert options["sigma"] == "paper" and spec.preset.endswith("-paper")


def test_resolve_auto_and_paper():
    rep = representation.get("hog")
    s = resolve(rep, (1, 512, 512), dict(sigma="auto", lambda_alpha="auto", lambda_tv="auto"))
    assert s["sigma"] == pytest.approx(0.2327 * 512)
    la, lt = heuristic_lambdas(s["sigma"], 512, 512, B=128 / 255)
    assert s["lambda_alpha"] == pytest.approx(la) and s["lambda_tv"] == pytest.approx(lt)
    p = resolve(rep, (1, 512, 512), choose(preset="hog-paper")[2])
    assert p["sigma"] == pytest.approx(27098.1 / 255)
    assert p["lambda_alpha"] == 2.16e8 and p["lambda_tv"] == 5.0 and p["iters"] == 800
    assert resolve(rep, (1, 64, 64), {})["lambda_tv"] == 5.0  # the representation's default
    with pytest.raises(ValueError, match="unknown option"):
        resolve(rep, (1, 64, 64), dict(lambda_vt=1))
    with pytest.raises(ValueError, match="lambda_tv must be .*a finite number >= 0, got -1"):
        resolve(rep, (1, 64, 64), dict(lambda_tv=-1))


BAD_OPTIONS = [  # (options, the message: option, allowed range, value)
    (dict(lambda_tv=float("inf")), "lambda_tv must be 'auto' or a finite number >= 0, got inf"),
    (dict(lambda_alpha=float("nan")), "lambda_alpha must be 'auto', 'paper' or a finite number "
                                      ">= 0, got nan"),
    (dict(sigma=0), "sigma must be 'auto', 'paper' or a finite number > 0, got 0"),
    (dict(sigma="big"), "sigma must be 'auto', 'paper' or a finite number > 0, got 'big'"),
    (dict(beta=-1.0), "beta must be a finite number > 0, got -1.0"),
    (dict(alpha=float("inf")), "alpha must be a finite number > 0, got inf"),
    (dict(momentum=1.0), r"momentum must be a finite number in \[0, 1\), got 1.0"),
    (dict(iters=-5), "iters must be an integer >= 1, got -5"),
    (dict(iters=2.5), "iters must be an integer >= 1, got 2.5"),
    (dict(restarts=0), "restarts must be an integer >= 1, got 0"),
    (dict(restarts=True), "restarts must be an integer >= 1, got True"),
    (dict(seed=-1), "seed must be an integer >= 0, got -1"),
    (dict(window=0), "window must be an integer >= 1, got 0"),
    (dict(adaptive=0), "adaptive must be None or a finite number > 0, got 0"),
    (dict(tv_floor=0), "tv_floor must be a finite number > 0, got 0"),
    (dict(dtype="float16"), "dtype must be one of float32, float64, got 'float16'"),
    (dict(solver="sgd"), "solver must be one of momentum, adam, lbfgs, got 'sgd'"),
    (dict(jitter=1.5), "jitter must be an integer >= 0, got 1.5"),
    (dict(bound=-3), "bound must be None or a finite number > 0, got -3"),
    (dict(memory=0), "memory must be an integer >= 1, got 0"),
    (dict(schedule=[(0.1, 5), (float("inf"), 5)]),
     "schedule segment 1's eta must be a finite number > 0, got inf"),
    (dict(schedule=[(0.1, 2.5)]), "schedule segment 0's iterations must be an integer >= 0"),
]


@pytest.mark.parametrize("options, message", BAD_OPTIONS, ids=[str(o) for o, _ in BAD_OPTIONS])
def test_every_number_is_checked_when_chosen_and_when_resolved(options, message):
    with pytest.raises(ValueError, match=message):
        choose("hog", **options)  # before any work: no network, no image
    with pytest.raises(ValueError, match=message):
        resolve(representation.get("hog"), (1, 64, 64), options)


def test_what_depends_on_the_image_and_the_code_is_checked_by_resolve():
    rep = representation.get("hog")  # a 64 x 64 image: an 8 x 8 code of 31 channels
    with pytest.raises(ValueError, match=r"window must be an integer from 1 to 8 \(the code of "
                       r"hog is 8x8 neurons of 31 channels\), got 1000"):
        resolve(rep, (1, 64, 64), dict(window=1000))
    assert resolve(rep, (1, 64, 64), dict(window=8))["window"] == 8
    with pytest.raises(ValueError, match=r"window \(r0, r1, c0, c1\) must satisfy .* <= 8.*"
                       r"got \(0, 9, 0, 2\)"):
        resolve(rep, (1, 64, 64), dict(window=(0, 9, 0, 2)))
    with pytest.raises(ValueError, match=r"group must be .* 0 <= c0 < c1 <= 31"):
        resolve(rep, (1, 64, 64), dict(group=(0, 40)))
    with pytest.raises(ValueError, match=r"iters must be an integer >= 4 \(one per segment of "
                       r"schedule 'shallow'\), got 3"):
        resolve(rep, (1, 64, 64), dict(iters=3))
    # the heuristic overflows only where it is asked for
    with pytest.raises(ValueError, match=r"lambda_alpha must be .* \(its heuristic with sigma "
                       r".*alpha 1000.*\), got inf"):
        resolve(rep, (1, 64, 64), dict(alpha=1000.0))
    assert resolve(rep, (1, 64, 64), dict(alpha=1000.0, lambda_alpha=1.0))["lambda_alpha"] == 1.0


def test_numbers_are_normalised_and_words_kept():
    _, _, options = choose("hog-authors", iters=12.0, restarts="2", lambda_tv="0.5", sigma="auto")
    assert options == dict(iters=12, restarts=2, lambda_tv=0.5, sigma="auto", preset=None)
    assert isinstance(options["iters"], int) and isinstance(options["restarts"], int)
