"""Priors: energies against hand computations, gradients by directional
finite differences in float64 (minigrad.check_backward)."""
import numpy
import pytest

from invert.priors import AlphaNorm, TotalVariation
from minigrad import check_backward


def test_alpha_norm_value():
    x = numpy.array([1.0, 2.0, 3.0, 6.0]).reshape(1, 1, 2, 2)  # mean 3
    assert AlphaNorm(6).forward(x)[0] == pytest.approx(2**6 + 1 + 0 + 3**6)
    assert AlphaNorm(2, subtract_mean=False).forward(x)[0] == pytest.approx(1 + 4 + 9 + 36)


@pytest.mark.parametrize("alpha,mean", [(6, True), (6, False), (3.5, True)])
def test_alpha_norm_gradient(alpha, mean):
    x = numpy.random.default_rng(1).standard_normal((2, 3, 5, 4))
    check_backward(AlphaNorm(alpha, mean), x, seed=2, rtol=1e-5)


def test_tv_value_replicates_last_row_and_column():
    x = numpy.array([[0.0, 1.0], [3.0, 7.0]]).reshape(1, 1, 2, 2)
    # v: (1-0)^2+(3-0)^2 = 10, (0)^2+(7-1)^2 = 36, (7-3)^2+0 = 16, 0
    assert TotalVariation(2).forward(x)[0] == pytest.approx(10 + 36 + 16)
    assert TotalVariation(1).forward(x)[0] == pytest.approx(10**0.5 + 6 + 4)


@pytest.mark.parametrize("beta", [2.0, 1.5, 1.0, 3.0])
def test_tv_gradient(beta):
    # a noisy ramp: every difference is about 0.3 or 0.5, so v is far above
    # the floor and from the kink at 0 (the floor only acts where x is flat)
    i, j = numpy.meshgrid(numpy.arange(6), numpy.arange(5), indexing="ij")
    noise = numpy.random.default_rng(3).standard_normal((2, 3, 6, 5))
    x = 0.5 * i + 0.3 * j + 0.02 * noise
    check_backward(TotalVariation(beta), x, seed=4, rtol=1e-5)


def test_tv_floor_keeps_the_gradient_finite_on_flat_images():
    x = numpy.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = 1.0
    tv = TotalVariation(1.0)
    tv.forward(x)
    assert numpy.isfinite(tv.backward(numpy.ones(1))).all()


def test_priors_are_per_image():
    rng = numpy.random.default_rng(5)
    a, b = rng.standard_normal((2, 1, 2, 4, 4))
    both = numpy.concatenate([a, b])
    for prior in (AlphaNorm(6), TotalVariation(2)):
        assert prior.forward(both) == pytest.approx(
            numpy.concatenate([prior.forward(a), prior.forward(b)]))


def test_negative_exponents_are_rejected():
    with pytest.raises(ValueError):
        TotalVariation(0)
    with pytest.raises(ValueError):
        AlphaNorm(-1)
