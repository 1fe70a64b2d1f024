"""The checker's own test: it passes on correct ops and catches planted bugs."""
import numpy as np
import pytest

from layers import LRN, Conv2d
from minigrad import GradcheckError, Layer, check_backward


class Square(Layer):
    """y = x^2 * w; the ``bug`` switch plants a mistake in backward."""

    def __init__(self, bug=None):
        super().__init__("square")
        self.bug = bug

    def forward(self, x):
        self._x = x
        return x * x * 1.5

    def backward(self, dzdy):
        g = dzdy * 3.0 * self._x
        if self.bug == "factor":
            return g * 1.01
        if self.bug == "shape":
            return g[..., :-1]
        if self.bug == "mutate":
            dzdy += 1.0  # planted: mutates its input
            return g
        if self.bug == "mutate_saved":
            self._x = self._x * 2  # planted: changes what forward saved
            return g
        if self.bug == "float32":
            return g.astype(np.float32)
        return g


class LRNDroppedTerm(LRN):
    """LRN whose backward forgets the cross-channel term."""

    def backward(self, dzdy):
        return dzdy * self._s ** -self.beta


def x0():
    return np.random.default_rng(0).standard_normal((2, 3, 4, 5))


def test_passes_on_correct_ops():
    check_backward(Square(), x0())
    check_backward(LRN(5, 0.5, 0.75, 0.1), x0())


@pytest.mark.parametrize("bug", ["factor", "shape", "float32"])
def test_catches_planted_bugs(bug):
    with pytest.raises(GradcheckError):
        check_backward(Square(bug), x0())


def test_catches_a_dropped_term():
    with pytest.raises(GradcheckError, match="finite differences"):
        check_backward(LRNDroppedTerm(5, 0.5, 0.75, 0.1), x0())


def test_catches_a_wrong_parameter_gradient():
    rng = np.random.default_rng(1)

    class ConvBadBias(Conv2d):
        def backward(self, dzdy):
            dx = super().backward(dzdy)
            if self.param_grads:
                self.grads["b"] = self.grads["b"] * 2
            return dx

    layer = ConvBadBias(rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(2))
    with pytest.raises(GradcheckError, match="parameter 'b'"):
        check_backward(layer, x0(), params=True)


def test_error_message_has_what_is_needed_to_reproduce():
    with pytest.raises(GradcheckError) as err:
        check_backward(Square("factor"), x0(), seed=7, eps=1e-5)
    msg = str(err.value)
    for part in ("seed=7", "eps=1e-05", "atol=", "rtol=", "(2, 3, 4, 5)", "square"):
        assert part in msg


@pytest.mark.parametrize("bug", ["mutate", "mutate_saved"])
def test_catches_mutation(bug):
    with pytest.raises(GradcheckError, match="mutated|second backward"):
        check_backward(Square(bug), x0())


def test_needs_float64():
    with pytest.raises(GradcheckError, match="float64"):
        check_backward(Square(), x0().astype(np.float32))
