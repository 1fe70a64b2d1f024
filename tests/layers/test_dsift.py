"""layers.dsift: SiftOrientation (bilinear binning into 8 orientations) and
L2Normalize (with VLFeat's epsilons)."""
import numpy
import pytest

from layers import GradientNorm, L2Normalize, SiftOrientation
from minigrad import check_backward
from shallow_helpers import gradient_map, rng


def test_sift_orientation():
    g = gradient_map(2)
    m = GradientNorm(True).forward(g)
    check_backward(SiftOrientation(), (g, m), seed=13)
    check_backward(SiftOrientation(), (g, rng(3).random(m.shape)), seed=14)
    p = SiftOrientation().forward(g, m)
    numpy.testing.assert_allclose(p.sum(1), m[:, 0], rtol=1e-12)
    down = numpy.zeros((1, 2, 1, 1), numpy.float32)
    down[0, 1] = 0.5  # gx = 0, gy = 0.5: brighter below, orientation t = 2
    p = SiftOrientation().forward(down, GradientNorm(True).forward(down))
    assert p[0, :, 0, 0].argmax() == 2


@pytest.mark.parametrize("fast,eps_out,eps_in", [(True, 2.0 ** -23, 0.0), (False, 0.0, 1e-6)])
def test_l2_normalize(fast, eps_out, eps_in):
    v = rng().random((2, 128, 2, 3))
    layer = L2Normalize(fast, eps_out, eps_in)
    check_backward(layer, v, seed=15)
    y = layer.forward(v)
    numpy.testing.assert_allclose((y ** 2).sum(1), 1, rtol=1e-5)
    numpy.testing.assert_allclose(y, v / numpy.sqrt((v ** 2).sum(1, keepdims=True)), rtol=1e-5)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="SiftOrientation"):
        SiftOrientation().out_shape(((1, 2, 4, 4), (1, 2, 4, 4)))
