"""layers.hogcells: HardCells against the composition it replaces,
Directional -> OrientationGate("hard") -> CellPool."""
import numpy
import pytest

from layers import CellPool, Directional, GradientNorm, OrientationGate
from layers.hogcells import HardCells
from minigrad import check_backward
from shallow_helpers import gradient_map, rng


def composition(g, dzdy, k, cell_size, grid, surrogate):
    """(h, dz/dm, dz/dg) of the three layers HardCells stands for."""
    s, m = Directional(k).forward(g), GradientNorm().forward(g)
    gate, cells = OrientationGate(k, "hard"), CellPool(cell_size, grid)
    gate.surrogate = surrogate
    h = cells.forward(gate.forward(s, m, g))
    _, dm, dg = gate.backward(cells.backward(dzdy))
    return h, dm, dg


def hard_cells(g, dzdy, k, cell_size, grid, surrogate):
    layer = HardCells(k, cell_size, grid, surrogate=surrogate)
    h = layer.forward(GradientNorm().forward(g), g)
    return (h, *layer.backward(dzdy))


def with_ties(shape, seed, dtype):
    """A gradient map with exact ties and zeros among random values: pixels
    straight down and up (between two axes), zero gradients, diagonals."""
    g = rng(seed).standard_normal(shape)
    g[:, :, ::3, ::4] = numpy.array([0.0, 1.0]).reshape(1, 2, 1)[..., None]
    g[:, :, 1::5, 2::3] = 0
    g[:, 0, 2::4, 1::5] = g[:, 1, 2::4, 1::5] = 0.5
    return g.astype(dtype)


@pytest.mark.parametrize("shape,k,cs,grid", [
    ((2, 2, 37, 45), 9, 8, "vlfeat"), ((1, 2, 24, 16), 9, 4, "vlfeat"),
    ((2, 2, 21, 26), 9, 6, "vlfeat"), ((1, 2, 19, 23), 4, 4, "floor"),
    ((1, 2, 8, 8), 9, 8, "vlfeat")])
@pytest.mark.parametrize("surrogate", [False, True])
def test_equals_the_composition(shape, k, cs, grid, surrogate):
    for dtype, tol in ((numpy.float64, 1e-12), (numpy.float32, 1e-6)):
        g = with_ties(shape, 1, dtype)
        out = HardCells(k, cs, grid).out_shape((shape[:1] + (1,) + shape[2:], shape))
        dzdy = rng(2).standard_normal(out).astype(dtype)
        ours, ref = hard_cells(g, dzdy, k, cs, grid, surrogate), composition(
            g, dzdy, k, cs, grid, surrogate)
        for a, b, what in zip(ours[:2], ref[:2], ("cells", "dz/dm")):
            assert a.dtype == dtype and a.shape == b.shape, what
            numpy.testing.assert_allclose(a, b, rtol=tol, atol=tol * numpy.abs(b).max(),
                                          err_msg=what)
        if surrogate:
            numpy.testing.assert_allclose(ours[2], ref[2], rtol=tol,
                                          atol=tol * numpy.abs(ref[2]).max())
            assert numpy.abs(ref[2]).max() > 0
        else:
            assert ours[2] is None and ref[2] is None  # the bins pass no gradient to g


def test_same_bins_as_the_gate_in_float32():
    """Every magnitude lands in the cells of the composition's bin: in
    float32 the projections round as Directional's, so ties and near-ties
    are decided alike (the per-bin sums differ by summation order only)."""
    g = with_ties((2, 2, 40, 48), 3, numpy.float32)
    dzdy = numpy.zeros((2, 18, 5, 6), numpy.float32)
    ours, ref = hard_cells(g, dzdy, 9, 8, "vlfeat", False), composition(
        g, dzdy, 9, 8, "vlfeat", False)
    numpy.testing.assert_array_equal(ours[0] > 0, ref[0] > 0)
    numpy.testing.assert_allclose(ours[0], ref[0], rtol=1e-6, atol=1e-6 * ref[0].max())


def test_gradient_check():
    """float64, random dz/dy: exact in m, and zero in g away from the bins'
    boundaries (random g has no ties)."""
    g = gradient_map(4, shape=(2, 2, 13, 11))
    m = rng(5).random((2, 1, 13, 11)) + 0.1  # independent of g: every term counts
    check_backward(HardCells(9, 4), (m, g), seed=6)


def test_surrogate_is_switched_like_the_gate():
    g = gradient_map(7, shape=(1, 2, 12, 12))
    m = GradientNorm().forward(g)
    layer = HardCells(9, 4)
    assert isinstance(layer, OrientationGate) and layer.mode == "hard"
    dzdy = rng(8).standard_normal(layer.out_shape((m.shape, g.shape)))
    layer.surrogate = True
    layer.forward(m, g)
    dm, dg = layer.backward(dzdy)
    assert numpy.abs(dg).max() > 0
    layer.surrogate = False
    layer.forward(m, g)
    assert layer.backward(dzdy)[1] is None


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="HardCells.*\\(N, 1, H, W\\), \\(N, 2, H, W\\)"):
        HardCells(9, 8).out_shape(((1, 1, 16, 16), (1, 2, 16, 17)))
    with pytest.raises(ValueError, match="too small"):
        HardCells(9, 8).out_shape(((1, 1, 3, 3), (1, 2, 3, 3)))
