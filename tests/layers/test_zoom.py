"""layers.zoom: bilinear scaling about the centre (transformation robustness)."""
import numpy as np
import pytest

from layers import Zoom
from layers.zoom import interpolation
from minigrad import check_backward


def test_forward_matches_bilinear_sampling_by_hand():
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 9))
    y = Zoom([1.25, 0.8]).forward(x)
    n, s, i, j = 1, 0.8, 2, 6
    py, px = (i - 3) / s + 3, (j - 4) / s + 4          # centre (3, 4)
    py, px = min(max(py, 0), 6), min(max(px, 0), 8)    # edge extended
    i0, j0 = min(int(py), 5), min(int(px), 7)
    fy, fx = py - i0, px - j0
    v = x[n, 1]
    want = ((1 - fy) * ((1 - fx) * v[i0, j0] + fx * v[i0, j0 + 1])
            + fy * ((1 - fx) * v[i0 + 1, j0] + fx * v[i0 + 1, j0 + 1]))
    assert y[n, 1, i, j] == pytest.approx(want, rel=1e-12)
    assert Zoom([1.0, 1.0]).forward(x) is x
    np.testing.assert_allclose(interpolation(5, 1.0), np.eye(5))


def test_backward_gradcheck():
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 8))
    check_backward(Zoom([1.1, 0.93]), x, seed=2)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="layer 'z'.*1 scale.*batch of 2"):
        Zoom([1.1], name="z").forward(np.zeros((2, 1, 4, 4)))
