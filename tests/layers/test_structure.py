"""layers.structure: Concat, Add (several inputs), Select and Mask."""
import numpy as np
import pytest

from layers import Add, Concat, Mask, Select
from minigrad import check_backward


def test_concat():
    rng = np.random.default_rng(1)
    a, b, c = (rng.standard_normal((2, k, 3, 4)) for k in (1, 3, 2))
    layer = Concat(3)
    y = layer.forward(a, b, c)
    np.testing.assert_array_equal(y[:, 1:4], b)
    check_backward(layer, (a, b, c))
    with pytest.raises(ValueError, match="agree"):
        Concat(2, name="cat").forward(a, rng.standard_normal((2, 1, 3, 5)))


def test_add():
    rng = np.random.default_rng(4)
    a, b, c = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))
    layer = Add(3)
    np.testing.assert_array_equal(layer.forward(a, b, c), a + b + c)
    check_backward(layer, (a, b, c))
    with pytest.raises(ValueError, match="layer 'add'.*equal shapes"):
        Add(name="add").forward(a, b[:, :2])


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
