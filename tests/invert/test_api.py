"""invert.invert: one call from an image to its reconstructions."""
import numpy
import pytest

import invert


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
