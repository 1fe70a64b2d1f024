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
                       "lambda_tv": 0.5}
    assert choose(preset="hog-paper")[0] == "hog"              # the preset's rep
    assert choose()[0] == "hog" and choose()[2] == {}         # nothing asked: HOG
    assert choose(preset="cnn", rep="vgg19", layer="pool3")[:2] == ("vgg19", "pool3")
    assert choose(preset="cnn", adaptive=None)[2]["adaptive"] is None  # None is a value
    with pytest.raises(ValueError, match="unknown preset 'hog-best'"):
        choose(preset="hog-best")


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
    with pytest.raises(ValueError, match="lambda_tv must be non-negative"):
        resolve(rep, (1, 64, 64), dict(lambda_tv=-1))
