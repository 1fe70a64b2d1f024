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


def grain(image):
    """Root mean square of the differences between neighbouring pixels."""
    x = numpy.asarray(image, numpy.float64)
    d = numpy.diff(x, axis=0)[:, :-1] ** 2 + numpy.diff(x, axis=1)[:-1] ** 2
    return float(numpy.sqrt(d.mean()))


def test_the_spectrum_keeps_a_white_noise_start_and_cnn_fourier_starts_small():
    # Under the 1/f-scaled spectrum the paper's start (white noise, some 70
    # grey levels a pixel) cannot be moved out in a run's time; cnn-fourier
    # starts from 1 % of it
    v, u = numpy.mgrid[0:96, 0:96] / 96
    image = numpy.stack([0.5 + 0.4 * numpy.sin(2 * numpy.pi * (u + k * v / 2))
                         for k in range(3)], axis=-1)  # smooth: grain 0.022
    paper_start = invert.invert(image, "caffenet-random", "conv3", preset="cnn-fourier",
                                init_scale=1.0, iters=20)
    small_start = invert.invert(image, "caffenet-random", "conv3", preset="cnn-fourier",
                                iters=20)
    assert small_start.settings["init_scale"] == 0.01 and small_start.status == "done"
    assert grain(paper_start.image) > 3 * max(grain(small_start.image), grain(image))


def test_centre_code_changes_the_loss_but_the_error_reported_stays_the_plain_one():
    rng = numpy.random.default_rng(3)
    image = rng.random((40, 40, 3))
    options = dict(iters=8, solver="adam", schedule=[(4.0, 8)], seed=2)
    plain = invert.invert(image, "caffenet-random", "conv3", **options)
    centred = invert.invert(image, "caffenet-random", "conv3", centre_code=True, **options)
    assert centred.settings["centre_code"] is True
    assert not numpy.allclose(plain.x, centred.x)
    for r in (plain, centred):
        d = r.phi - r.phi0
        want = numpy.sqrt((d ** 2).sum() / (r.phi0 ** 2).sum())
        assert r.error[0] == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="centre_code must be True or False, got 'yes'"):
        invert.invert(image, "caffenet-random", "conv3", centre_code="yes", iters=2)
