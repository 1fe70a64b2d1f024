"""layers.conv: the reference im2col -> GEMM -> col2im path against a loop,
every fast layout of layers.conv_fast against the reference, gradients by
finite differences, CaffeNet's reference outputs, bad input."""
import numpy as np
import pytest

import naive
from layers import Conv2d, conv_fast
from layers.conv import conv2d_backward, conv2d_forward
from minigrad import check_backward

CASES = [  # (N, C, H, W, O, kh, kw, stride, pad (t, b, l, r), groups)
    (1, 3, 7, 6, 4, 3, 3, (1, 1), (0, 0, 0, 0), 1),
    (2, 4, 9, 8, 6, 3, 2, (2, 1), (1, 2, 0, 1), 2),
    (3, 6, 8, 7, 9, 2, 3, (1, 2), (2, 0, 1, 1), 3),
    (2, 4, 5, 5, 4, 5, 5, (1, 1), (2, 2, 2, 2), 4),     # depthwise
    (2, 6, 4, 4, 5, 1, 1, (1, 1), (0, 0, 0, 0), 1),     # 1x1 fast path
    (2, 5, 6, 6, 3, 6, 6, (1, 1), (0, 0, 0, 0), 1),     # fully connected
    (1, 3, 11, 11, 2, 11, 11, (4, 4), (0, 0, 0, 0), 1),
    (2, 4, 9, 12, 6, 3, 3, (1, 1), (1, 2, 1, 0), 2),
    (1, 3, 6, 10, 4, 2, 3, (1, 1), (0, 1, 1, 1), 1),
    (2, 24, 7, 3, 6, 3, 2, (2, 1), (1, 2, 0, 1), 2),    # channels last from here on
    (1, 16, 6, 4, 5, 3, 3, (1, 1), (1, 1, 1, 1), 1),
    (3, 20, 6, 6, 4, 2, 3, (1, 2), (2, 0, 1, 1), 1),
]
CHANNELS_LAST = CASES[9:]


def make(case, rng, dtype=np.float64, fast=True):
    n, c, h, w, o, kh, kw, stride, pad, g = case
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    layer = Conv2d(rng.standard_normal((o, c // g, kh, kw)).astype(dtype),
                   rng.standard_normal(o).astype(dtype), stride=stride, pad=pad, groups=g,
                   fast=fast)
    return layer, x


@pytest.mark.parametrize("case", CASES)
def test_reference_matches_loop(case):
    layer, x = make(case, np.random.default_rng(1), fast=False)
    _, _, _, _, _, _, _, stride, pad, g = case
    ref = naive.conv2d(x, layer.params["w"], layer.params["b"], stride, pad, g)
    np.testing.assert_allclose(layer.forward(x), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fast", [False, True], ids=["reference", "fast"])
@pytest.mark.parametrize("case", CASES)
def test_backward_gradcheck(case, fast):
    layer, x = make(case, np.random.default_rng(2), fast=fast)
    check_backward(layer, x, params=True, seed=3)


LAYOUTS = {"chosen": {}, "nchw": dict(CHANNEL_RUNS=10**9), "channels-last": dict(CHANNEL_RUNS=0),
           "chunks": dict(COLS_BYTES=1)}  # chunks: every image its own GEMM


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CASES)
def test_fast_layouts_equal_the_reference(case, layout, monkeypatch):
    for name, value in LAYOUTS[layout].items():
        monkeypatch.setattr(conv_fast, name, value)
    layer, x = make(case, np.random.default_rng(5))
    _, _, _, _, _, _, _, stride, pad, g = case
    w = layer.params["w"]
    y = layer.forward(x)
    np.testing.assert_allclose(y, conv2d_forward(x, w, stride, pad, g) +
                               layer.params["b"].reshape(1, -1, 1, 1), rtol=1e-12, atol=1e-12)
    dzdy = np.random.default_rng(6).standard_normal(y.shape)
    layer.param_grads = True
    dzdx, dzdw = conv2d_backward(x, w, dzdy, stride, pad, g)
    np.testing.assert_allclose(layer.backward(dzdy), dzdx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["w"], dzdw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], dzdy.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_windows_are_gathered_channels_last_where_channels_outnumber_columns():
    rng = np.random.default_rng(0)
    for case in CASES:
        layer, x = make(case, rng)
        size = layer.out_shape(x.shape)[2:]
        _, last = layer.fast._layout(x, layer.params["w"], size)
        assert last == (case in CHANNELS_LAST), case


def test_float32_stays_float32():
    layer, x = make(CASES[1], np.random.default_rng(0), np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and layer.backward(y).dtype == np.float32


def test_without_bias():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    layer = Conv2d(rng.standard_normal((3, 2, 3, 3)), None, pad=1)
    np.testing.assert_allclose(layer.forward(x), naive.conv2d(x, layer.params["w"], None,
                                                              (1, 1), (1, 1, 1, 1), 1))
    check_backward(layer, x, params=True)


@pytest.mark.parametrize("runs", [10**9, 0], ids=["nchw", "channels-last"])
@pytest.mark.parametrize("i", range(3))
def test_reference_layers(ref_layers, i, runs, monkeypatch):
    # both window layouts against Caffe's outputs (CHANNEL_RUNS 0: channels
    # last wherever allowed; none of these shapes would choose it)
    monkeypatch.setattr(conv_fast, "CHANNEL_RUNS", runs)
    z = ref_layers
    s, pt, pb, pl, pr, g = (int(v) for v in z[f"conv{i}_params"])
    layer = Conv2d(z[f"conv{i}_w"], z[f"conv{i}_b"], stride=s, pad=(pt, pb, pl, pr), groups=g)
    y, ref = layer.forward(z[f"conv{i}_x"]), z[f"conv{i}_y"]
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() <= 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("x_shape, w_shape, kwargs, words", [
    ((2, 4, 8), (3, 4, 3, 3), {}, "rank-4"),
    ((1, 5, 8, 8), (3, 4, 3, 3), {}, "5 channels"),
    ((1, 4, 8, 8), (4, 2, 3, 3), {"groups": 3}, None),
    ((1, 4, 2, 8), (3, 4, 5, 3), {"pad": (1, 1, 0, 0)}, "larger than the padded input"),
])
def test_bad_input_names_layer_and_shapes(x_shape, w_shape, kwargs, words):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError) as err:
        layer = Conv2d(rng.standard_normal(w_shape), name="convX", **kwargs)
        layer.forward(rng.standard_normal(x_shape))
    msg = str(err.value)
    assert "convX" in msg
    if words:
        assert words in msg
