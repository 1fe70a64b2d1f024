"""nets.shallow: the HOG and DSIFT networks end to end (float64 gradient
checks through every layer; VLFeat parity is in test_features_*)."""
import numpy
import pytest

from layers import CellPool, Directional, GradientNorm, OrientationGate
from minigrad import check_backward
from nets.shallow import dsift_net, hog_net
from shallow_helpers import rng, smooth_images


@pytest.mark.parametrize("variant,mode,c", [
    ("uoctti", "bilinear", 1), ("uoctti", "bilinear", 3), ("dalaltriggs", "bilinear", 1),
    ("uoctti", "hard", 1), ("uoctti", "relu", 1), ("paper", "bilinear", 1)])
def test_hog_net_end_to_end(variant, mode, c):
    net = hog_net(4, variant, mode)
    x = smooth_images(2, c, 14, 17, seed=16)
    y = net.forward(x)
    assert y.dtype == numpy.float64 and y.shape[0] == 2
    check_backward(net, x, seed=17, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("fast", [True, False])
def test_dsift_net_end_to_end(fast):
    net = dsift_net(3, 2, fast)
    check_backward(net, smooth_images(2, 1, 13, 15, seed=18), seed=19, atol=1e-7, rtol=1e-5)


def test_paper_dsift_net_end_to_end():
    net = dsift_net(2, None, variant="paper")
    check_backward(net, smooth_images(2, 1, 16, 18, seed=20), seed=21, atol=1e-7, rtol=1e-5)


def test_hard_bins_gradient_flows_through_the_magnitude_alone():
    """dz/dx equals the derivative of sum(dz/dy * CellPool(m * onehot)) with
    the one-hot (the hard bins) frozen, i.e. back through the magnitude alone."""
    x = rng(3).random((2, 1, 9, 10))
    net = hog_net(4, "uoctti", "hard")
    y = net.forward(x, until="cells")
    dzdy = rng(4).standard_normal(y.shape)
    dx = net.backward(dzdy)
    g = net.forward(x, until="select")
    m = GradientNorm().forward(g)
    onehot = OrientationGate(9, "hard").forward(Directional(9).forward(g), m, g) != 0
    pool = CellPool(4)
    numpy.testing.assert_allclose(pool.forward(m * onehot), y, atol=1e-12)
    dm_only = (pool.backward(dzdy) * onehot).sum(1, keepdims=True)
    net.forward(x, until="magnitude")
    numpy.testing.assert_allclose(dx, net.backward(dm_only), atol=1e-12)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="unknown HOG variant"):
        hog_net(8, "dpm")
    with pytest.raises(ValueError, match="step"):
        dsift_net(4, None)
