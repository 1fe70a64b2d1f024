"""layers.cellpool: CellPool (HOG's bilinear pooling into cells) and the
separable pooling machinery it shares with BinPool."""
import numpy
import pytest

from layers import BinPool, CellPool
from layers import poolweights
from layers import cellpool
from layers.cellpool import SeparablePool, pool_axis, unpool_axis
from minigrad import check_backward
from shallow_helpers import rng


@pytest.mark.parametrize("layer", [CellPool(4), CellPool(3, "floor")], ids=["vlfeat", "floor"])
def test_backward_gradcheck(layer):
    check_backward(layer, rng().standard_normal((2, 3, 17, 22)), seed=8)


@pytest.mark.parametrize("shape", [(2, 3, 61, 37), (1, 2, 8 * 66, 20)], ids=["dense", "windowed"])
def test_both_backward_paths_are_the_adjoint_of_the_forward(shape):
    """Up to ``DENSE_MAX`` cells per axis CellPool's backward is two dense
    products, beyond it the windowed passes of ``SeparablePool``; either is
    the same adjoint."""
    layer = CellPool(8)
    x = rng(3).standard_normal(shape)
    y = layer.forward(x)
    assert (max(y.shape[2:]) <= cellpool.DENSE_MAX) == (shape[2] < 64 * 8)
    dy = rng(4).standard_normal(y.shape)
    numpy.testing.assert_allclose(layer.backward(dy), SeparablePool._unpool(layer, dy), atol=1e-12)
    check_backward(layer, x, seed=9)
    f32 = layer.backward(dy.astype(numpy.float32))
    assert f32.dtype == numpy.float32 and f32.flags.c_contiguous
    numpy.testing.assert_allclose(f32, layer.backward(dy), rtol=1e-4, atol=1e-5)


def test_cell_pool_is_the_tent():
    x = numpy.zeros((1, 1, 20, 20))
    x[0, 0, 13, 2] = 1
    y = CellPool(8).forward(x)[0, 0]  # cells centred at 3.5, 11.5, 19.5
    numpy.testing.assert_allclose(y, numpy.outer([0, 1 - 1.5 / 8, 1.5 / 8], [1 - 1.5 / 8, 0, 0]))


@pytest.mark.parametrize("layer", [CellPool(8), CellPool(3, "floor")], ids=["vlfeat", "floor"])
def test_strided_pooling_equals_the_matrix_product(layer):
    x = rng(5).standard_normal((2, 3, 23, 30))
    ay, ax = poolweights.dense(layer.kernel(23), 23), poolweights.dense(layer.kernel(30), 30)
    numpy.testing.assert_allclose(layer.forward(x), ay @ x @ ax.T, atol=1e-12)


@pytest.mark.parametrize("layer,shape,y_first", [
    (CellPool(4), (2, 3, 17, 22), True), (BinPool(4, 2, "gauss"), (1, 2, 40, 41), False),
    (BinPool(2, 6, "paper"), (1, 2, 30, 33), True)], ids=["cells-y", "gauss-x", "paper-y"])
def test_pooling_in_either_axis_order(layer, shape, y_first):
    """``SeparablePool`` pools rows or columns first, whichever is cheaper:
    both orders compute the matrix product and have a correct backward."""
    x = rng(7).standard_normal(shape)
    assert layer._y_first(*shape[2:]) == y_first
    ay = poolweights.dense(layer.kernel(shape[2]), shape[2])
    ax = poolweights.dense(layer.kernel(shape[3]), shape[3])
    numpy.testing.assert_allclose(layer._pool(x), ay @ x @ ax.T, atol=1e-12)
    check_backward(layer, x, seed=23)


@pytest.mark.parametrize("kernel", [
    ("sift_bins", 23, 4, 2, "gauss"), ("sift_bins", 23, 3, 5, "gauss"), ("sift_bins", 30, 2, 4, "flat"),
    ("sift_lattice", 23, 4, 2), ("sift_lattice", 30, 3, 5), ("hog_cells", 30, 8, "vlfeat"),
    ("hog_cells", 29, 3, "floor"), ("paper_bins", 30, 2)], ids=lambda k: "-".join(map(str, k)))
@pytest.mark.parametrize("axis", [-1, -2])
def test_pool_axis_and_its_adjoint_are_the_dense_matrix(kernel, axis):
    """``pool_axis``/``unpool_axis`` (matmul over window views, by stride
    phases or by non-overlapping windows) against ``poolweights.dense``, for
    overlapping and disjoint windows, edge replication and zero extension."""
    name, n, *args = kernel
    k = getattr(poolweights, name)(n, *args)
    m = poolweights.dense(k, n)
    shape = [2, 3, 5, 6]
    shape[axis] = n
    x = rng(8).standard_normal(shape)
    y = pool_axis(x, k, axis)
    numpy.testing.assert_allclose(y, numpy.moveaxis(numpy.moveaxis(x, axis, -1) @ m.T, -1, axis),
                                  atol=1e-12)
    dy = rng(9).standard_normal(y.shape)
    dx = unpool_axis(dy, k, axis, n)
    numpy.testing.assert_allclose(dx, numpy.moveaxis(numpy.moveaxis(dy, axis, -1) @ m, -1, axis),
                                  atol=1e-12)
    assert y.flags.c_contiguous and dx.flags.c_contiguous


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="CellPool") as err:
        CellPool(8, "floor").out_shape((1, 1, 7, 20))
    assert "too small" in str(err.value)
    with pytest.raises(ValueError, match="cell_size"):
        CellPool(0)
