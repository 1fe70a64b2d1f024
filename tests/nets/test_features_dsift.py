"""CNN-DSIFT against VLFeat 0.9.21 (reference/vlfeat/README.md): every stored
setting (bin size 4/8, fast/Gaussian window) of every grayscale file:
descriptors within atol 1e-4 and norms within rtol 1e-4 where norm > 1e-3,
frames exact; DSIFT's orientation planes where stored."""
import numpy
import pytest

import invert
from _vlfeat import case_id, cases, load, nchw

SETTINGS = {f"dsift_bs{b}_{m}_descr": (b, m) for b in (4, 8) for m in ("fast", "gauss")}


@pytest.mark.parametrize("case", cases(SETTINGS), ids=case_id)
def test_dsift_matches_vlfeat(case):
    path, key = case
    z = load(path)
    b, mode = SETTINGS[key]
    prefix = f"dsift_bs{b}_{mode}"
    step = int(z[f"dsift_bs{b}_step"])
    frames, descr, norm = invert.dsift(z["image"], bin_size=b, step=step,
                                       fast=mode == "fast", return_norm=True)
    ref_frames, ref_descr, ref_norm = (z[prefix + s] for s in ("_frames", "_descr", "_norm"))
    assert frames.shape == ref_frames.shape and numpy.array_equal(frames, ref_frames)
    assert descr.shape == ref_descr.shape and descr.dtype == numpy.float32
    good = ref_norm > 1e-3  # the README's well-conditioned frames
    if good.any():
        err = numpy.abs(descr - ref_descr)[good]
        assert err.max() <= 1e-4, f"{case_id(case)}: max |diff| {err.max():.3g}"
        rel = numpy.abs(norm - ref_norm)[good] / ref_norm[good]
        assert rel.max() <= 1e-4, f"{case_id(case)}: norm rel diff {rel.max():.3g}"
    assert numpy.abs(norm - ref_norm)[~good].max(initial=0) <= 1e-7
    nonzero = numpy.linalg.norm(descr, axis=1) > 0
    numpy.testing.assert_allclose(numpy.linalg.norm(descr[nonzero], axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("case", cases(["dsift_grad_planes"]), ids=case_id)
def test_orientation_planes_match_vlfeat(case):
    path, key = case
    z = load(path)
    planes = invert.dsift_net(4, 2).forward(nchw(z["image"]), until="orientation")[0]
    assert planes.shape == z[key].shape
    assert numpy.abs(planes - z[key]).max() <= 1e-6


def test_vertical_edge_sanity():
    """README sanity check: at (40, 30) only t = 0 in bins bx = 1, 2 fire."""
    img = numpy.where(numpy.arange(80) < 40, 0.2, 0.8).astype(numpy.float32)
    img = numpy.tile(img, (64, 1))
    frames, descr = invert.dsift(img, bin_size=4, step=2)
    row = numpy.flatnonzero((frames[:, 0] == 40) & (frames[:, 1] == 30))[0]
    d = descr[row].reshape(4, 4, 8)  # [by, bx, t]
    assert numpy.allclose(d[:, 1:3, 0], 1 / numpy.sqrt(8), atol=1e-4)
    d[:, 1:3, 0] = 0
    assert numpy.abs(d).max() < 1e-5


def test_batch_dtypes_and_layout():
    rng = numpy.random.default_rng(0)
    x = rng.random((2, 1, 30, 41)).astype(numpy.float32)
    for fast in (True, False):
        net = invert.dsift_net(4, 3, fast)
        y = net.forward(x)
        assert y.shape == (2, 128, 6, 10) and y.dtype == numpy.float32
        one = net.forward(x[1:])
        numpy.testing.assert_allclose(y[1:], one, atol=1e-6)
        numpy.testing.assert_allclose(net.forward(x.astype(numpy.float64)), y, atol=1e-4)
        frames, descr = invert.dsift(x[1, 0], 4, 3, fast)
        numpy.testing.assert_allclose(descr, y[1].transpose(2, 1, 0).reshape(-1, 128), atol=1e-7)
        assert frames.shape == (60, 2) and tuple(frames[1]) == (6.0, 9.0)
    paper = invert.dsift_net(4, None, variant="paper")
    assert paper.forward(x).shape == (2, 128, 1, 2)
    assert invert.dsift_frames(30, 41, 4, variant="paper").shape == (2, 2)


@pytest.mark.parametrize("image,words", [
    (numpy.zeros((20, 20, 3), numpy.float32), "grayscale"),
    (numpy.zeros((20, 20), numpy.int32), "dtype"),
    (numpy.zeros((20, 20, 2), numpy.float32), "shape"),
    (numpy.full((20, 20), numpy.inf), "NaN or infinite"),
    (numpy.full((20, 20), 1.5, numpy.float32), "[0, 1]"),
    (numpy.zeros((12, 40), numpy.float32), "too small"),
], ids=["rgb", "int", "channels", "inf", "range", "small"])
def test_bad_input_raises_clear_valueerror(image, words):
    with pytest.raises(ValueError) as info:
        invert.dsift(image, bin_size=4)
    assert words in str(info.value) and "dsift" in str(info.value)
