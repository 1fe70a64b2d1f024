"""layers.hognorm: BlockNorm (UoCTTI block normalisation), Clamp, HogAssemble."""
import math

import numpy
import pytest

from layers import BlockNorm, Clamp, HogAssemble
from minigrad import check_backward
from shallow_helpers import rng


@pytest.mark.parametrize("border", ["clamp", "zero"])
def test_block_norm(border):
    h = rng().random((2, 18, 4, 5))
    kw = {} if border == "clamp" else dict(eps=0.0, floor=1e-6)
    check_backward(BlockNorm(9, border, **kw), h, seed=9)
    check_backward(BlockNorm(9, border, **kw), rng(1).random((2, 18, 2, 3)), seed=10)
    y = BlockNorm(9).forward(h).reshape(2, 4, 3, 9, 4, 5)
    e = ((h[:, :9] + h[:, 9:]) ** 2).sum(1)
    # cell (0, 0): UL block is the cell four times; DR block of cell (1, 1)
    numpy.testing.assert_allclose(y[:, 0, 0, :, 0, 0],
                                  h[:, :9, 0, 0] / numpy.sqrt(4 * e[:, :1, 0] + 1e-4))
    dr = e[:, 1:3, 1:3].sum((1, 2))[:, None]
    numpy.testing.assert_allclose(y[:, 3, 2, :, 1, 1],
                                  (h[:, :9, 1, 1] + h[:, 9:, 1, 1]) / numpy.sqrt(dr + 1e-4))


def test_clamp_and_assemble():
    x = rng().random((2, 108, 3, 4)) * 0.4
    x = numpy.where(numpy.abs(x - 0.2) < 0.01, x + 0.03, x)  # away from the clamp's kink
    check_backward(Clamp(0.2), x, seed=11)
    assert Clamp(0.2).forward(x).max() == 0.2
    for variant in ("uoctti", "dalaltriggs", "paper"):
        check_backward(HogAssemble(9, variant), x, seed=12)
    y = HogAssemble(9).forward(x)
    b = x.reshape(2, 4, 27, 3, 4)
    numpy.testing.assert_allclose(y[:, :27], 0.5 * b.sum(1))
    numpy.testing.assert_allclose(y[:, 29], b[:, 2, 18:].sum(1) / math.sqrt(18))


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match="BlockNorm"):
        BlockNorm(9).out_shape((1, 17, 4, 4))
    with pytest.raises(ValueError, match="HogAssemble"):
        HogAssemble(9).out_shape((1, 100, 4, 4))
    with pytest.raises(ValueError, match="border"):
        BlockNorm(9, "wrap")
