import numpy as np
import pytest

from layers import Concat, Dropout, Mask, ReLU, Select
from minigrad import check_backward


def away_from_zero(rng, shape, margin=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin, x)


def test_relu():
    rng = np.random.default_rng(0)
    x = away_from_zero(rng, (2, 3, 4, 5))
    np.testing.assert_array_equal(ReLU().forward(x), np.where(x > 0, x, 0))
    check_backward(ReLU(), x)


def test_dropout_is_identity():
    x = np.random.default_rng(0).standard_normal((2, 3, 1, 1))
    np.testing.assert_array_equal(Dropout().forward(x), x)
    check_backward(Dropout(), x)


def test_concat():
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal((2, k, 3, 4)) for k in (1, 3, 2))
    layer = Concat(3)
    y = layer.forward(a, b, c)
    np.testing.assert_array_equal(y[:, 1:4], b)
    check_backward(layer, (a, b, c))
    with pytest.raises(ValueError, match="agree"):
        Concat(2, name="cat").forward(a, rng.standard_normal((2, 1, 3, 5)))


def test_select_window_and_channels():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 7, 8))
    layer = Select(channels=(3, 6), rows=(1, 6), cols=(2, 7))
    np.testing.assert_array_equal(layer.forward(x), x[:, 3:6, 1:6, 2:7])
    check_backward(layer, x)
    with pytest.raises(ValueError, match="sel.*rows"):
        Select(rows=(5, 9), name="sel").forward(x)


def test_mask():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3, 3))
    m = (rng.random((1, 4, 1, 1)) > 0.5).astype(float)
    layer = Mask(m)
    np.testing.assert_array_equal(layer.forward(x), x * m)
    check_backward(layer, x)
    with pytest.raises(ValueError, match="broadcast"):
        layer.forward(rng.standard_normal((2, 5, 3, 3)))
