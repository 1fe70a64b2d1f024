"""invert.adaptive: the step cap (IJCV 2016's AdaGrad-like denominator) and
the valid-pixel box of the deep-network default."""
import numpy
import pytest

from invert import adaptive, representation
from deep_helpers import small_caffenet  # noqa: F401 (fixture)


def test_adaptive_step_is_the_paper_step_for_small_gradients_and_capped_for_large():
    step = adaptive.AdaptiveStep(delta=0.01, eta0=0.004)
    g = numpy.array([1e-6, 1e3, -1e6])
    s = step(g, 0.004)
    assert s[0] == pytest.approx(0.004 * 1e-6, rel=1e-3)
    assert abs(s[1]) <= 0.01 and s[2] == pytest.approx(-0.01, rel=1e-3)
    assert abs(step(g, 0.0004)[2]) <= 0.001 * 1.0001  # the schedule scales the cap


def test_box_keeps_sigma_x_a_valid_picture(small_caffenet):
    rep = representation.get("caffenet", "conv1")
    box = adaptive.pixel_box(rep, 5, 6, sigma=100.0)
    x = box(numpy.full((2, 3, 5, 6), 10.0))
    assert numpy.allclose(rep.from_centred(100.0 * x), 1.0)
    x = box(numpy.full((1, 3, 5, 6), -10.0))
    assert numpy.allclose(rep.from_centred(100.0 * x), 0.0, atol=1e-6)
