"""layers.shift: the circular shift behind jitter."""
import numpy as np
import pytest

from layers import Shift
from minigrad import check_backward


def test_forward_matches_index_arithmetic():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
    shifts = [(2, -3), (-1, 9)]
    y = Shift(shifts).forward(x)
    for n, (dy, dx) in enumerate(shifts):
        for i in range(5):
            for j in range(7):
                assert y[n, 1, i, j] == x[n, 1, (i - dy) % 5, (j - dx) % 7]
    assert Shift([(0, 0), (0, 0)]).forward(x) is x  # no shift, no copy


def test_backward_gradcheck():
    x = np.random.default_rng(1).standard_normal((3, 2, 4, 6))
    check_backward(Shift([(1, 2), (-3, 0), (0, -5)]), x, seed=2)


def test_backward_uses_the_shifts_of_its_forward():
    layer = Shift([(1, 1)])
    x = np.random.default_rng(3).standard_normal((1, 1, 4, 4))
    y = layer.forward(x)
    layer.shifts = [(2, 3)]  # drawn for the next iteration
    np.testing.assert_array_equal(layer.backward(y), x)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="layer 'jit'.*2 shift.*batch of 3"):
        Shift([(0, 1), (1, 0)], name="jit").forward(np.zeros((3, 1, 4, 4)))
