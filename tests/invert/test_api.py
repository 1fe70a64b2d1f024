"""invert.invert: one call from an image to its reconstructions."""
import numpy
import pytest
from PIL import Image

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


def test_infinite_weights_are_refused_before_any_work():
    with pytest.raises(ValueError, match="lambda_tv must be 'auto' or a finite number >= 0, "
                                         "got inf"):
        invert.invert("no such file.png", "hog", lambda_tv=float("inf"))


def test_a_step_that_blows_up_at_once_is_a_divergence_naming_the_term():
    image = numpy.random.default_rng(0).random((40, 48, 3))
    r = invert.invert(image, "hog", iters=8, restarts=2, lambda_alpha=1e300)
    assert r.status == "diverged" and r.iterations == 0
    assert "alpha" in r.nonfinite
    assert r.history["total"].shape == (0, 2) and r.best == 0
    assert numpy.isfinite(r.error).all() and r.image.shape == (40, 48)


def test_a_16bit_file_inverts_as_its_8bit_twin(tmp_path):
    rng = numpy.random.default_rng(0)
    v = rng.integers(80, 180, (40, 48)).astype(numpy.uint8)  # a mid-grey picture
    Image.fromarray(v).save(tmp_path / "8.png")
    Image.fromarray(v.astype(numpy.uint16) * 257).save(tmp_path / "16.png")  # v / 255 exactly
    a = invert.invert(tmp_path / "8.png", "hog", iters=8)
    b = invert.invert(tmp_path / "16.png", "hog", iters=8)
    numpy.testing.assert_allclose(b.error, a.error, rtol=1e-6)
    assert b.error[0] < 1
