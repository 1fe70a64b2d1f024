"""invert.invert and the resolution of "auto"/"paper" settings."""
import numpy
import pytest

import invert
from invert import representations
from invert.api import resolve
from invert.objective import heuristic_lambdas


def test_settings_resolve_auto_and_paper():
    rep = representations.get("hog")
    s = resolve(rep, (1, 512, 512), dict(sigma="auto", lambda_alpha="auto", lambda_tv="auto"))
    assert s["sigma"] == pytest.approx(0.2327 * 512)
    la, lt = heuristic_lambdas(s["sigma"], 512, 512, B=128 / 255)
    assert s["lambda_alpha"] == pytest.approx(la) and s["lambda_tv"] == pytest.approx(lt)
    p = resolve(rep, (1, 512, 512), invert.presets.preset("hog-paper"))
    assert p["sigma"] == pytest.approx(27098.1 / 255)
    assert p["lambda_alpha"] == 2.16e8 and p["lambda_tv"] == 5.0 and p["iters"] == 800
    assert resolve(rep, (1, 64, 64), {})["lambda_tv"] == 5.0  # the representation's default
    with pytest.raises(ValueError, match="unknown option"):
        resolve(rep, (1, 64, 64), dict(lambda_vt=1))


def test_invert_hog_from_a_preset_on_a_colour_array():
    rng = numpy.random.default_rng(0)
    image = rng.random((40, 48, 3))
    r = invert.invert(image, preset="hog", iters=12, restarts=2, seed=1)
    assert r.settings["rep"] == "hog" and r.settings["iters"] == 12
    assert r.image.shape == (40, 48) and len(r.images) == 2   # HOG inverts grayscale
    assert r.phi.shape[0] == 2 and r.phi.shape[1:] == r.phi0.shape
    assert r.error.shape == (2,) and (r.error > 0).all()
    assert r.history["total"].shape == (12, 2) and r.status == "done"


def test_invert_rejects_bad_images():
    with pytest.raises(ValueError, match="too small"):
        invert.invert(numpy.zeros((2, 2)), "hog", iters=4)
    with pytest.raises(ValueError, match="image"):
        invert.invert(numpy.zeros((6, 6, 4)), "hog", iters=4)
