"""layers.conv: the reference im2col -> GEMM -> col2im path against a loop,
every fast layout of layers.conv_fast (Winograd's F(2x2, 3x3) of
layers.winograd among them) against the reference, gradients by finite
differences, CaffeNet's reference outputs, bad input."""
import numpy as np
import pytest

import naive
from layers import Conv2d, conv_fast, winograd
from layers.conv import conv2d_backward, conv2d_forward
from minigrad import backend, check_backward

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
    (3, 5, 9, 8, 4, 3, 3, (1, 1), (2, 1, 0, 2), 1),     # 3x3 stride 1: Winograd's
    (2, 4, 5, 7, 6, 3, 3, (1, 1), (1, 1, 1, 1), 1),
    (2, 6, 9, 8, 6, 3, 3, (2, 2), (0, 1, 0, 1), 6),     # depthwise at stride 2
    (2, 5, 6, 9, 5, 3, 5, (1, 1), (0, 2, 1, 3), 5),     # depthwise, uneven kernel and padding
    (1, 3, 4, 5, 3, 3, 3, (1, 1), (3, 0, 1, 2), 3),     # depthwise, padding as tall as the kernel
    (2, 24, 7, 3, 6, 3, 2, (2, 1), (1, 2, 0, 1), 2),    # channels last from here on
    (1, 16, 6, 4, 5, 3, 3, (1, 1), (1, 1, 1, 1), 1),
    (3, 20, 6, 6, 4, 2, 3, (1, 2), (2, 0, 1, 1), 1),
]
CHANNELS_LAST = CASES[14:]
WINOGRAD = dict(WINOGRAD_CHANNELS=0)  # wherever the kernel allows it


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


@pytest.mark.parametrize("fast", [False, True, "winograd"],
                         ids=["reference", "fast", "winograd"])
@pytest.mark.parametrize("case", CASES)
def test_backward_gradcheck(case, fast, monkeypatch):
    if fast == "winograd":
        monkeypatch.setattr(conv_fast, "WINOGRAD_CHANNELS", 0)
    layer, x = make(case, np.random.default_rng(2), fast=bool(fast))
    check_backward(layer, x, params=True, seed=3)


LAYOUTS = {"chosen": {}, "nchw": dict(CHANNEL_RUNS=10**9, DEPTHWISE_RUNS=10**9),
           "channels-last": dict(CHANNEL_RUNS=0, DEPTHWISE_RUNS=0),
           "chunks": dict(COLS_BYTES=1),  # chunks: every image its own GEMM
           # fully connected layers at batch 2: a product per image and row of W
           "thin": dict(THIN_BYTES=0, THIN_BLOCK_BYTES=1),
           "thin-blocks": dict(THIN_BYTES=0, THIN_BLOCK_BYTES=2 * 5 * 36 * 8),  # 2 rows, then 1
           "winograd": WINOGRAD,
           # every tile row its own band and product
           "winograd-rows": dict(WINOGRAD, WINOGRAD_BYTES=1, WINOGRAD_TILES=1),
           # whole images a band
           "winograd-images": dict(WINOGRAD, WINOGRAD_TILES=10**6, WINOGRAD_SPLIT_BYTES=0),
           # all tiles at once, the channels shared out
           "winograd-channels": dict(WINOGRAD, WINOGRAD_TILES=10**6)}


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


def test_depthwise_layers_run_channels_last_where_their_rules_say(monkeypatch):
    # forward from C >= CHANNEL_RUNS * Wo; the backward where it correlates
    # (stride 1, padding under the kernel: one einsum) from C >= DEPTHWISE_RUNS
    # * Wo, elsewhere as the forward
    rng = np.random.default_rng(4)
    calls = []
    for name in ("depthwise_last_forward", "depthwise_last_backward", "depthwise_backward"):
        real = getattr(conv_fast, name)
        monkeypatch.setattr(conv_fast, name, lambda *a, real=real, name=name, **k:
                            calls.append(name) or real(*a, **k))
    for c, stride, pad, expected in [
            (11, 1, 1, ["depthwise_backward"]),  # Wo = 6
            (12, 1, 1, ["depthwise_last_backward"]),
            (24, 1, 1, ["depthwise_last_forward", "depthwise_last_backward"]),
            (11, 2, 1, ["depthwise_backward"]),  # Wo = 3
            (12, 2, 1, ["depthwise_last_forward", "depthwise_last_backward"]),
            (20, 1, 3, ["depthwise_backward"])]:  # padding as wide as the kernel, Wo = 10
        layer = Conv2d(rng.standard_normal((c, 1, 3, 3)), stride=stride, pad=pad, groups=c)
        x = rng.standard_normal((1, c, 7, 6))
        calls.clear()
        dzdx = layer.backward(rng.standard_normal(layer.forward(x).shape))
        assert calls == expected, (c, stride, pad)
        assert dzdx.shape == x.shape


def test_thin_products_run_where_their_rule_says(monkeypatch):
    rng = np.random.default_rng(0)
    calls = []
    for name in ("thin_forward", "thin_backward"):
        real = getattr(conv_fast, name)
        monkeypatch.setattr(conv_fast, name, lambda w, a, real=real, name=name:
                            calls.append((name, len(a))) or real(w, a))
    fc = Conv2d(rng.standard_normal((3, 5, 6, 6)), rng.standard_normal(3))
    conv = Conv2d(rng.standard_normal((3, 5, 6, 6)), pad=1)  # 3x3 output: not fully connected
    monkeypatch.setattr(conv_fast, "THIN_BYTES", fc.params["w"].nbytes)
    for n in range(1, 7):
        for layer in (fc, conv):
            x = rng.standard_normal((n, 5, 6, 6))
            layer.backward(rng.standard_normal(layer.forward(x).shape))
    assert calls == [(name, n) for n in (2, 3, 4) for name in ("thin_forward", "thin_backward")]
    monkeypatch.setattr(conv_fast, "THIN_BYTES", fc.params["w"].nbytes + 1)  # fits the caches
    fc.backward(rng.standard_normal(fc.forward(rng.standard_normal((2, 5, 6, 6))).shape))
    assert len(calls) == 6


def test_a_1x1_kernel_on_a_1x1_map_is_fully_connected_too(monkeypatch):
    # CaffeNet's fc7 and fc8: the thin products run there, not the pointwise path
    rng = np.random.default_rng(3)
    layer = Conv2d(rng.standard_normal((7, 9, 1, 1)), rng.standard_normal(7))
    layer.param_grads = True
    monkeypatch.setattr(conv_fast, "THIN_BYTES", 0)
    monkeypatch.setattr(conv_fast, "THIN_BLOCK_BYTES", 3 * 9 * 8)  # 3 rows a block, 1 at the end
    calls = []
    for name in ("thin_forward", "thin_backward"):
        real = getattr(conv_fast, name)
        monkeypatch.setattr(conv_fast, name, lambda w, a, real=real, name=name:
                            calls.append(name) or real(w, a))
    x = rng.standard_normal((3, 9, 1, 1))
    dzdy = rng.standard_normal((3, 7, 1, 1))
    w = layer.params["w"]
    np.testing.assert_allclose(layer.forward(x), conv2d_forward(x, w, (1, 1), (0,) * 4) +
                               layer.params["b"].reshape(1, -1, 1, 1), rtol=1e-12)
    dzdx, dzdw = conv2d_backward(x, w, dzdy, (1, 1), (0,) * 4)
    np.testing.assert_allclose(layer.backward(dzdy), dzdx, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["w"], dzdw, rtol=1e-12)
    assert calls == ["thin_forward", "thin_backward"]


def test_thin_products_promote_as_the_matrix_product_does(monkeypatch):
    monkeypatch.setattr(conv_fast, "THIN_BLOCK_BYTES", 2 * 180 * 4)  # blocks of 2 rows, then 1
    rng = np.random.default_rng(1)
    w32, x64 = rng.standard_normal((3, 180)).astype(np.float32), rng.standard_normal((2, 180))
    x32 = x64.astype(np.float32)
    for got, want, dtype in [(conv_fast.thin_forward(w32, x64), x64 @ w32.T, np.float64),
                             (conv_fast.thin_backward(w32, x64[:, :3]), x64[:, :3] @ w32,
                              np.float64),
                             (conv_fast.thin_forward(w32, x32), x32 @ w32.T, np.float32)]:
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_winograd_runs_where_its_rule_says():
    rng = np.random.default_rng(0)
    big = Conv2d(rng.standard_normal((64, 64, 3, 3)), pad=1)
    size = (56, 56)
    assert conv_fast.uses_winograd(big.params["w"].shape, big.stride, big.pad, 1, size)
    assert conv_fast.uses_winograd((128, 64, 3, 3), (1, 1), (1,) * 4, 2, size)  # 64 per group
    for shape, stride, pad, groups in [((128, 128, 3, 3), (2, 2), (1,) * 4, 1),
                                       ((128, 32, 3, 3), (1, 1), (1,) * 4, 4),
                                       ((128, 128, 5, 5), (1, 1), (2,) * 4, 1),
                                       ((128, 128, 3, 3), (1, 1), (3, 1, 1, 1), 1),
                                       ((32, 128, 3, 3), (1, 1), (1,) * 4, 1)]:
        assert not conv_fast.uses_winograd(shape, stride, pad, groups, size)
    # maps with a side under WINOGRAD_MIN_SIDE (CaffeNet's 13x13) stay on im2col
    side = conv_fast.WINOGRAD_MIN_SIDE
    assert conv_fast.uses_winograd((128, 128, 3, 3), (1, 1), (1,) * 4, 1, (side, 40))
    assert not conv_fast.uses_winograd((128, 128, 3, 3), (1, 1), (1,) * 4, 1, (side - 1, 40))


@pytest.mark.parametrize("size", [(14, 14), (27, 23)])
def test_winograd_float32_error_is_that_of_the_reference(size):
    # VGG-like weights and activations (ReLU outputs): both float32 paths
    # against the float64 result, the Winograd error within 2x the im2col one
    rng = np.random.default_rng(7)
    c = o = 128
    x = np.maximum(rng.standard_normal((2, c, *size)), 0)
    w = rng.standard_normal((o, c, 3, 3)) / np.sqrt(9 * c)
    exact = conv2d_forward(x, w, (1, 1), (1, 1, 1, 1))
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    u = winograd.kernel_transform(w32)
    errors = [np.abs(y.astype(np.float64) - exact).max() / np.abs(exact).max() for y in (
        conv2d_forward(x32, w32, (1, 1), (1, 1, 1, 1)),
        winograd.correlate(x32, u, (1, 1, 1, 1), size))]
    assert errors[0] < 1e-6 and errors[1] < 3 * errors[0], errors
    dzdy = rng.standard_normal(exact.shape)
    exact_dx = conv2d_backward(x, w, dzdy, (1, 1), (1, 1, 1, 1))[0]
    dx = winograd.correlate(dzdy.astype(np.float32),
                            winograd.kernel_transform(winograd.flipped(w32)),
                            winograd.backward_pad((1, 1, 1, 1)), size)
    assert np.abs(dx - exact_dx).max() / np.abs(exact_dx).max() < 2e-6


def test_winograd_bands_on_every_core_equal_bands_in_turn(monkeypatch):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 64, 30, 27)).astype(np.float32)
    layer = Conv2d(rng.standard_normal((64, 64, 3, 3)).astype(np.float32) / 24,
                   rng.standard_normal(64).astype(np.float32), pad=1)
    monkeypatch.setattr(conv_fast, "WINOGRAD_TILES", 32)  # many bands
    y = layer.forward(x)
    dzdx = layer.backward(y)
    monkeypatch.setattr(backend, "cpu_workers", lambda: 1)
    # NOTE: the bands differ (two per core) and so may the summation order
    # inside the products: equal to float32 rounding
    np.testing.assert_allclose(layer.forward(x), y, rtol=0, atol=2e-6 * np.abs(y).max())
    np.testing.assert_allclose(layer.backward(y), dzdx, rtol=0, atol=2e-6 * np.abs(dzdx).max())


def test_winograd_few_tiles_share_out_channels_many_go_in_bands(monkeypatch):
    calls = []
    real = winograd._by_channels
    monkeypatch.setattr(winograd, "_by_channels", lambda *a: calls.append(a[0].shape) or real(*a))
    rng = np.random.default_rng(9)
    w = rng.standard_normal((96, 64, 3, 3)).astype(np.float32) / 24
    u, b = winograd.kernel_transform(w), rng.standard_normal(96).astype(np.float32)
    few = rng.standard_normal((1, 64, 14, 14)).astype(np.float32)  # 49 tiles
    y = winograd.correlate(few, u, (1, 1, 1, 1), (14, 14), b)
    assert len(calls) == 1
    bands = winograd.correlate(few, u, (1, 1, 1, 1), (14, 14), b, split_bytes=0)
    assert len(calls) == 1
    np.testing.assert_allclose(y, bands, rtol=0, atol=2e-6 * np.abs(y).max())
    many = rng.standard_normal((2, 64, 60, 60)).astype(np.float32)  # 1800 tiles
    winograd.correlate(many, u, (1, 1, 1, 1), (60, 60), b)
    assert len(calls) == 1


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


@pytest.mark.parametrize("layout", ["nchw", "channels-last", "winograd"])
@pytest.mark.parametrize("i", range(3))
def test_reference_layers(ref_layers, i, layout, monkeypatch):
    # every layout against Caffe's outputs (channels last and Winograd
    # wherever allowed; none of these shapes would choose them; Winograd
    # takes conv0, 3x3 at stride 1)
    for name, value in LAYOUTS[layout].items():
        monkeypatch.setattr(conv_fast, name, value)
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
