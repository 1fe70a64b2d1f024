"""layers.orientation: Directional (projection on K directions) and
OrientationGate (hard, bilinear and ReLU binning)."""
import math

import numpy
import pytest

from layers import Directional, GradientNorm, OrientationGate
from minigrad import check_backward
from shallow_helpers import gradient_map, rng


def test_directional():
    g = gradient_map()
    check_backward(Directional(9), g, seed=4)
    s = Directional(9).forward(g)
    angle = 3 * math.pi / 9
    numpy.testing.assert_allclose(s[:, 3], g[:, 0] * math.cos(angle) + g[:, 1] * math.sin(angle))
    numpy.testing.assert_array_equal(s[:, 12], -s[:, 3])


def gate_inputs(seed=0, k=9):
    g = gradient_map(seed)
    return Directional(k).forward(g), GradientNorm().forward(g), g


@pytest.mark.parametrize("mode", ["hard", "bilinear", "relu"])
def test_orientation_gate(mode):
    s, m, g = gate_inputs()
    check_backward(OrientationGate(9, mode), (s, m, g), seed=5)
    # independent inputs too: the gate is a function of (s, m, g) on its own
    r = rng(7)
    check_backward(OrientationGate(9, mode), (r.standard_normal(s.shape), r.random(m.shape) + 0.1,
                                              g), seed=6)
    h = OrientationGate(9, mode).forward(s, m, g)
    if mode != "relu":  # hard and bilinear keep the magnitude
        numpy.testing.assert_allclose(h.sum(1), m[:, 0])


def test_hard_gate_gradient_flows_through_magnitude_only():
    s, m, g = gate_inputs(1)
    gate = OrientationGate(9, "hard")
    h = gate.forward(s, m, g)
    dzdy = rng(2).standard_normal(h.shape)
    ds, dm, dg = gate.backward(dzdy)
    assert ds is None and dg is None  # a zero gradient (the layer contract)
    numpy.testing.assert_allclose(dm[:, 0], (dzdy * (h != 0)).sum(1))


def test_gate_tie_rule_and_bilinear_weights():
    g = numpy.zeros((1, 2, 1, 3))
    g[0, :, 0] = [[0, 0, 1], [1, -1, 0.3]]  # down, up, 16.7 deg
    g = g.astype(numpy.float32)
    s, m = Directional(9).forward(g), GradientNorm().forward(g)
    hard = OrientationGate(9, "hard").forward(s, m, g)[0, :, 0]
    assert hard[:, 0].argmax() == 4 and hard[:, 1].argmax() == 13 and hard[:, 2].argmax() == 1
    bil = OrientationGate(9, "bilinear").forward(s, m, g)[0, :, 0]
    # a vertical gradient sits half way between 80 and 100 deg
    numpy.testing.assert_allclose(bil[[4, 5], 0], [0.5, 0.5], atol=1e-6)
    w1 = math.degrees(math.atan2(0.3, 1)) / 20
    numpy.testing.assert_allclose(bil[[1, 0], 2] / m[0, 0, 0, 2], [w1, 1 - w1], rtol=1e-5)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="Directional"):
        Directional(9).out_shape((1, 3, 4, 4))
    with pytest.raises(ValueError, match="OrientationGate"):
        OrientationGate(9).out_shape(((1, 18, 4, 4), (1, 1, 4, 4), (1, 2, 4, 5)))
    with pytest.raises(ValueError, match="unknown gating mode"):
        OrientationGate(9, "soft")


def test_surrogate_is_hard_forward_with_the_bilinear_angular_gradient():
    """Not a derivative (check_backward cannot apply): the hard forward, the
    hard gate's exact dz/dm and the bilinear gate's dz/dg."""
    s, m, g = gate_inputs(2)
    dzdy = rng(3).standard_normal(s.shape)
    hard, soft, st = (OrientationGate(9, mode) for mode in ("hard", "bilinear", "hard"))
    st.surrogate = True
    numpy.testing.assert_array_equal(st.forward(s, m, g), hard.forward(s, m, g))
    soft.forward(s, m, g)
    ds, dm, dg = st.backward(dzdy)
    numpy.testing.assert_array_equal(dm, hard.backward(dzdy)[1])
    numpy.testing.assert_allclose(dg, soft.backward(dzdy)[2], rtol=1e-12)
    assert ds is None and numpy.abs(dg).max() > 0
    st.surrogate = False  # switched off: the plain hard gate again
    st.forward(s, m, g)
    assert st.backward(dzdy)[2] is None
