"""layers.fastmath: VLFeat's float32 fast sqrt and atan2, and the derivatives
of what they compute (array functions the DSIFT layers call)."""
import math

import numpy

from layers.fastmath import fast_atan2, fast_sqrt, mod_2pi
from shallow_helpers import rng


def test_fast_math_is_vlfeat_float32():
    v = numpy.float32([1e-9, 1e-8, 2.0, 0.25])
    numpy.testing.assert_allclose(fast_sqrt(v), [0, 0, math.sqrt(2), 0.5], rtol=5e-6)
    a = fast_atan2(numpy.float32([1, -1, 0]), numpy.float32([0, 0, -1]))
    numpy.testing.assert_allclose(a, [math.pi / 2, -math.pi / 2, math.pi], atol=1e-4)
    assert a.dtype == numpy.float32
    assert mod_2pi(numpy.float32([-1.0, 7.0])).tolist() == \
        [numpy.float32(-1.0) + numpy.float32(2 * math.pi), numpy.float32(7.0) -
         numpy.float32(2 * math.pi)]


def test_derivatives_are_those_of_the_computed_functions():
    """float64 central differences, away from binade edges and the cut."""
    v = rng(1).uniform(0.3, 0.45, 20)  # one binade of v and of r0
    _, dv = fast_sqrt(v, with_derivative=True)
    eps = 1e-7
    numpy.testing.assert_allclose(dv, (fast_sqrt(v + eps) - fast_sqrt(v - eps)) / (2 * eps),
                                  rtol=1e-6)
    y, x = rng(2).uniform(0.2, 1, 20) * rng(3).choice([-1, 1], 20), rng(4).uniform(-1, 1, 20)
    _, dy, dx = fast_atan2(y, x, with_derivative=True)
    numpy.testing.assert_allclose(dy, (fast_atan2(y + eps, x) - fast_atan2(y - eps, x))
                                  / (2 * eps), rtol=1e-6, atol=1e-9)
    numpy.testing.assert_allclose(dx, (fast_atan2(y, x + eps) - fast_atan2(y, x - eps))
                                  / (2 * eps), rtol=1e-6, atol=1e-9)
