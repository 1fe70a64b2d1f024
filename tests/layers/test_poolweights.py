"""layers.poolweights: the 1-D pooling kernels of HOG's cells and SIFT's bins
(array functions, no layer), against their definitions written directly."""
import numpy
import pytest

from layers.poolweights import dense, hog_cells, sift_bins
from shallow_helpers import naive_sift_matrix


@pytest.mark.parametrize("n,big_b,step", [(13, 4, 2), (40, 4, 3), (50, 8, 4), (23, 3, 5)])
@pytest.mark.parametrize("window", ["gauss", "flat"])
def test_sift_bin_weights_follow_vlfeat(n, big_b, step, window):
    numpy.testing.assert_allclose(dense(sift_bins(n, big_b, step, window), n),
                                  naive_sift_matrix(n, big_b, step, window), atol=1e-6)


@pytest.mark.parametrize("n,cs,grid", [(20, 8, "vlfeat"), (227, 8, "vlfeat"), (75, 4, "vlfeat"),
                                       (30, 6, "floor"), (29, 3, "vlfeat")])
def test_hog_cell_weights_are_the_tent(n, cs, grid):
    count = (n + cs // 2) // cs if grid == "vlfeat" else n // cs
    centres = cs * numpy.arange(count) + (cs - 1) / 2
    tent = numpy.maximum(0, 1 - numpy.abs(numpy.arange(n)[None] - centres[:, None]) / cs)
    numpy.testing.assert_allclose(dense(hog_cells(n, cs, grid), n), tent, atol=3e-6)
