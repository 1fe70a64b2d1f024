"""layers.binpool: BinPool, dense SIFT's pooling into 4 x 4 spatial bins."""
import numpy
import pytest

from layers import BinPool
from layers import poolweights
from minigrad import check_backward
from shallow_helpers import naive_sift_matrix, rng


def as_bins(full):
    """(N, C, 4 ny, 4 nx) row/column products -> BinPool's (N, 16 C, ny, nx)."""
    n, c, h, w = full.shape
    full = full.reshape(n, c, 4, h // 4, 4, w // 4).transpose(0, 2, 4, 1, 3, 5)
    return full.reshape(n, 16 * c, h // 4, w // 4)


@pytest.mark.parametrize("layer", [BinPool(3, 2, "gauss"), BinPool(3, 2, "flat"),
                                   BinPool(2, 6, "paper")], ids=["gauss", "flat", "paper"])
def test_backward_gradcheck(layer):
    check_backward(layer, rng().standard_normal((2, 3, 17, 22)), seed=8)


@pytest.mark.parametrize("layer", [BinPool(4, 2, "gauss"), BinPool(3, 5, "flat"),
                                   BinPool(2, 6, "paper")], ids=["gauss", "flat", "paper"])
def test_strided_pooling_equals_the_matrix_product(layer):
    x = rng(5).standard_normal((2, 3, 23, 30))
    ay, ax = poolweights.dense(layer.kernel(23), 23), poolweights.dense(layer.kernel(30), 30)
    numpy.testing.assert_allclose(layer.forward(x), as_bins(ay @ x @ ax.T), atol=1e-12)


@pytest.mark.parametrize("big_b,step", [(4, 2), (2, 4), (4, 4), (3, 5), (6, 4)])
def test_flat_bins_on_the_lattice(big_b, step):
    """The flat window's lattice path (one triangle at stride gcd(step, B),
    then W(by) W(bx)) against VLFeat's formula written as a loop, and its
    backward, for overlapping (step < B), disjoint (step > B) and
    coinciding bins."""
    x = rng(6).standard_normal((2, 3, 23, 30))
    layer = BinPool(big_b, step, "flat")
    ay, ax = (naive_sift_matrix(n, big_b, step, "flat") for n in (23, 30))
    numpy.testing.assert_allclose(layer.forward(x), as_bins(ay @ x @ ax.T), atol=1e-6)
    check_backward(layer, x, seed=22)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="BinPool"):
        BinPool(4, 2).out_shape((1, 1, 12, 40))  # a descriptor spans 3B + 1 = 13 pixels
    with pytest.raises(ValueError, match="bin_size"):
        BinPool(4, 0)
