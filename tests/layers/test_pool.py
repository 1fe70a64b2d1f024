import numpy as np
import pytest
from conftest import distinct

import naive
from layers import AvgPool2d, GlobalAvgPool, MaxPool2d, pool
from minigrad import check_backward

CASES = [  # (shape, kernel, stride, pad (t, b, l, r), ceil)
    ((2, 3, 11, 10), 3, 2, (0, 0, 0, 0), True),
    ((2, 3, 11, 10), 3, 2, (1, 1, 1, 1), True),
    ((2, 3, 11, 10), 3, 2, (1, 1, 1, 1), False),
    ((1, 2, 13, 13), 3, 2, (0, 0, 0, 0), True),     # CaffeNet pool5: 13 -> 6
    ((3, 2, 7, 9), 2, 2, (0, 1, 1, 0), True),        # asymmetric padding
    ((2, 2, 8, 8), 3, 3, (1, 1, 1, 1), True),
    ((1, 1, 6, 5), 2, 1, (0, 0, 0, 0), False),
    ((2, 3, 9, 8), 2, 2, (0, 0, 0, 0), False),      # VGG's 2x2/2 path, odd rows
    ((1, 2, 7, 7), 2, 2, (0, 0, 0, 0), False),
]


@pytest.mark.parametrize("shape, k, s, pad, ceil", CASES)
def test_max_forward_matches_loop(shape, k, s, pad, ceil):
    x = distinct(np.random.default_rng(0), shape)
    y = MaxPool2d(k, s, pad, ceil).forward(x)
    np.testing.assert_array_equal(y, naive.max_pool(x, k, s, pad, ceil))


@pytest.mark.parametrize("shape, k, s, pad, ceil", CASES)
def test_avg_forward_matches_loop(shape, k, s, pad, ceil):
    x = np.random.default_rng(0).standard_normal(shape)
    for count_pad in (True, False):
        y = AvgPool2d(k, s, pad, ceil, count_pad=count_pad).forward(x)
        np.testing.assert_allclose(y, naive.avg_pool(x, k, s, pad, ceil, count_pad), rtol=1e-12)


@pytest.mark.parametrize("shape, k, s, pad, ceil", CASES)
def test_backward_gradcheck(shape, k, s, pad, ceil):
    rng = np.random.default_rng(1)
    check_backward(MaxPool2d(k, s, pad, ceil), distinct(rng, shape), seed=2)
    check_backward(AvgPool2d(k, s, pad, ceil), rng.standard_normal(shape), seed=2)


def test_max_pool_ties_go_to_first_in_window():
    x = np.zeros((1, 1, 2, 2))
    layer = MaxPool2d(2, 2)
    layer.forward(x)
    g = layer.backward(np.full((1, 1, 1, 1), 3.0))
    np.testing.assert_array_equal(g[0, 0], [[3.0, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("shape", [(2, 3, 9, 8), (1, 2, 8, 11), (3, 1, 4, 4)])
def test_max_2x2_path_equals_the_general_scan_ties_included(shape, monkeypatch):
    # values from {0, 1, 2}: most windows tie, so the first-maximum rule is
    # what decides where the gradient goes
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, shape).astype(np.float32)
    n, c, h, w = shape
    dzdy = rng.standard_normal((n, c, h // 2, w // 2)).astype(np.float32)
    fast = MaxPool2d(2, 2)
    assert fast._max2x2()
    y, dzdx = fast.forward(x), fast.backward(dzdy)
    monkeypatch.setattr(MaxPool2d, "_max2x2", lambda self: False)
    scan = MaxPool2d(2, 2)
    np.testing.assert_array_equal(y, scan.forward(x))
    np.testing.assert_array_equal(dzdx, scan.backward(dzdy))
    assert dzdx.dtype == np.float32 and dzdx.flags.c_contiguous


def test_global_average():
    x = np.random.default_rng(2).standard_normal((3, 4, 5, 6))
    layer = GlobalAvgPool()
    np.testing.assert_allclose(layer.forward(x)[..., 0, 0], x.mean(axis=(2, 3)))
    check_backward(layer, x)


@pytest.mark.parametrize("i", range(5))
def test_reference_layers(ref_layers, i):
    k, s, p, c = (int(v) for v in ref_layers[f"pool{i}_params"])
    y = MaxPool2d(k, s, p, bool(c)).forward(ref_layers[f"pool{i}_x"])
    np.testing.assert_array_equal(y, ref_layers[f"pool{i}_y"])


def test_bad_input():
    with pytest.raises(ValueError, match="poolX.*larger than the padded input"):
        MaxPool2d(5, 2, name="poolX").forward(np.zeros((1, 1, 3, 8)))
    with pytest.raises(ValueError, match="poolY.*padding"):
        MaxPool2d(2, 2, pad=2, name="poolY")
    with pytest.raises(ValueError, match="rank-4"):
        AvgPool2d(2).forward(np.zeros((3, 8, 8)))


@pytest.mark.parametrize("shape, k, s, pad, ceil", CASES)
def test_max_pool_in_blocks_of_one_plane_equals_one_block(shape, k, s, pad, ceil, monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, shape).astype(np.float64)  # ties everywhere
    whole = MaxPool2d(k, s, pad, ceil)
    y = whole.forward(x)
    dzdy = rng.standard_normal(y.shape)
    dzdx = whole.backward(dzdy)
    monkeypatch.setattr(pool, "POOL_BYTES", 1)
    planes = MaxPool2d(k, s, pad, ceil)
    np.testing.assert_array_equal(planes.forward(x), y)
    np.testing.assert_array_equal(planes.backward(dzdy), dzdx)
