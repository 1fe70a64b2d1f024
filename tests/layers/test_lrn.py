import numpy as np
import pytest

import naive
from layers import LRN
from minigrad import check_backward

# window sizes even and odd, and larger than the channel count (borders everywhere)
PARAMS = [(5, 0.5, 0.75, 0.1), (3, 2.0, 0.5, 2.0), (4, 1.0, 0.75, 0.5), (9, 0.7, 1.3, 0.3)]


@pytest.mark.parametrize("n, alpha, beta, k", PARAMS)
def test_forward_matches_loop(n, alpha, beta, k):
    x = np.random.default_rng(0).standard_normal((2, 7, 4, 3))
    np.testing.assert_allclose(LRN(n, alpha, beta, k).forward(x),
                               naive.lrn(x, n, alpha, beta, k), rtol=1e-12)


@pytest.mark.parametrize("n, alpha, beta, k", PARAMS)
@pytest.mark.parametrize("shape", [(2, 7, 4, 3), (1, 3, 2, 2)])
def test_backward_gradcheck(n, alpha, beta, k, shape):
    x = np.random.default_rng(1).standard_normal(shape)
    check_backward(LRN(n, alpha, beta, k), x, seed=5)


def test_matconvnet_convention_is_the_same_layer():
    x = np.random.default_rng(2).standard_normal((1, 6, 3, 3))
    caffe = LRN(5, alpha=1e-4 * 5, beta=0.75, k=1)
    mcn = LRN.matconvnet(5, kappa=1, alpha=1e-4, beta=0.75)
    np.testing.assert_allclose(caffe.forward(x), mcn.forward(x), rtol=1e-14)


@pytest.mark.parametrize("i", range(3))
def test_reference_layers(ref_layers, i):
    n, alpha, beta, k = ref_layers[f"lrn{i}_params"]
    y, ref = LRN(int(n), alpha, beta, k).forward(ref_layers[f"lrn{i}_x"]), ref_layers[f"lrn{i}_y"]
    assert np.abs(y - ref).max() <= 1e-5 * np.abs(ref).max()
