"""CNN-HOG against VLFeat 0.9.21 (reference/vlfeat/README.md): every stored
HOG variant of every file, within atol 1e-5 on all cells (border included),
plus the raw cell histograms, the hard-binning tie rule, batches and dtypes."""
import numpy
import pytest

import invert
from _vlfeat import case_id, cases, load, nchw

HOG_KEYS = {  # key -> (cell size, variant, bilinear)
    "hog_uoctti_cs8": (8, "uoctti", False),
    "hog_uoctti_bilinear_cs8": (8, "uoctti", True),
    "hog_dalaltriggs_cs8": (8, "dalaltriggs", False),
    "hog_uoctti_cs4": (4, "uoctti", False),
}
RAW_KEYS = {  # key -> (cell size, orientation mode)
    "hog_raw_cs8": (8, "hard"),
    "hog_raw_bilinear_cs8": (8, "bilinear"),
    "hog_raw_cs4": (4, "hard"),
}


@pytest.mark.parametrize("case", cases(HOG_KEYS), ids=case_id)
def test_hog_matches_vlfeat(case):
    path, key = case
    z = load(path)
    cs, variant, bilinear = HOG_KEYS[key]
    got = invert.hog(z["image"], cell_size=cs, variant=variant, bilinear=bilinear)
    ref = z[key]
    assert got.shape == ref.shape and got.dtype == numpy.float32
    err = numpy.abs(got - ref)
    assert err.max() <= 1e-5, f"{case_id(case)}: max |diff| {err.max():.3g} at " \
                              f"(row, col, dim) {numpy.unravel_index(err.argmax(), err.shape)}"


@pytest.mark.parametrize("case", cases(RAW_KEYS), ids=case_id)
def test_raw_cell_histograms_match_vlfeat(case):
    path, key = case
    z = load(path)
    cs, mode = RAW_KEYS[key]
    raw = invert.hog_net(cs, "uoctti", mode).forward(nchw(z["image"]), until="cells")
    got, ref = raw[0].transpose(1, 2, 0), z[key]
    assert got.shape == ref.shape
    # NOTE: raw histograms are not normalised (values up to ~50), so the 1e-5
    # tolerance is relative to the largest bin (VLFeat accumulates in float32).
    tol = 1e-5 * max(1.0, float(numpy.abs(ref).max()))
    assert numpy.abs(got - ref).max() <= tol, case_id(case)


def test_tie_rule_vertical_gradient_goes_to_bin_4():
    """Transposed ramp (brighter downwards): gx == 0 exactly, so VLFeat's tie
    rule puts everything in directed bin 4 (dims 4 and 22), never 5."""
    ramp = numpy.tile(numpy.linspace(0, 1, 75, dtype=numpy.float32)[:, None], (1, 100))
    h = invert.hog(ramp)
    active = numpy.flatnonzero(numpy.abs(h).sum(axis=(0, 1)) > 0)
    assert list(active) == [4, 22, 27, 28, 29, 30]
    down = invert.hog(numpy.ascontiguousarray(ramp[::-1]))  # brighter upwards: bin 13
    assert list(numpy.flatnonzero(numpy.abs(down).sum(axis=(0, 1)) > 0)) == [13, 22, 27, 28, 29, 30]


def test_batch_and_dtypes_agree():
    rng = numpy.random.default_rng(0)
    x = rng.random((3, 3, 37, 45)).astype(numpy.float32)
    for variant in ("uoctti", "dalaltriggs", "paper"):
        for mode in ("hard", "bilinear", "relu"):
            net = invert.hog_net(8, variant, mode)
            batch = net.forward(x)
            single = numpy.concatenate([net.forward(x[i:i + 1]) for i in range(3)])
            assert batch.dtype == numpy.float32
            numpy.testing.assert_allclose(batch, single, atol=1e-6)
            double = net.forward(x.astype(numpy.float64))
            assert double.dtype == numpy.float64
            # NOTE: float32 arccos near 0 is ill-conditioned (VLFeat's too), so
            # bilinear float32 and float64 differ a little more.
            numpy.testing.assert_allclose(double, batch,
                                          atol=1e-4 if mode == "bilinear" else 2e-5)


def test_shapes_of_variants():
    x = numpy.random.default_rng(1).random((2, 1, 70, 99)).astype(numpy.float32)
    assert invert.hog_net(8).forward(x).shape == (2, 31, 9, 12)
    assert invert.hog_net(8, "dalaltriggs").forward(x).shape == (2, 36, 9, 12)
    assert invert.hog_net(8, "paper").forward(x).shape == (2, 27, 8, 12)
    assert invert.hog_net(4, num_orientations=6).forward(x).shape == (2, 22, 18, 25)


BAD_IMAGES = [
    (numpy.zeros((20, 20), numpy.uint8), "dtype"),
    (numpy.zeros((20,), numpy.float32), "shape"),
    (numpy.zeros((1, 20, 20, 3), numpy.float32), "shape"),
    (numpy.zeros((20, 20, 4), numpy.float32), "shape"),
    (numpy.zeros((20, 20, 1), numpy.float32), "shape"),
    (numpy.full((20, 20), numpy.nan, numpy.float32), "NaN"),
    (numpy.full((20, 20), 255.0, numpy.float32), "[0, 1]"),
    (numpy.full((20, 20), -0.5), "[0, 1]"),
    ([[0.0, 1.0]], "NumPy array"),
]


@pytest.mark.parametrize("image,words", BAD_IMAGES, ids=lambda v: getattr(v, "shape", v))
def test_bad_input_raises_clear_valueerror(image, words):
    with pytest.raises(ValueError, match=None) as info:
        invert.hog(image)
    assert words in str(info.value) and "hog" in str(info.value)


def test_too_small_image_raises():
    with pytest.raises(ValueError, match="too small"):
        invert.hog(numpy.zeros((3, 40), numpy.float32), cell_size=8)
    with pytest.raises(ValueError, match="too small"):
        invert.hog(numpy.zeros((2, 2), numpy.float32), cell_size=2)
