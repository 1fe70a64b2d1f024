"""invert.parametrise (pixels, colour, Fourier) and the jitter of
invert.objective: forward/backward by finite differences, exact inverses."""
import numpy
import pytest

from inversion_helpers import tiny_rep
from invert import parametrise
from invert.objective import Objective
from minigrad import check_backward


@pytest.mark.parametrize("kind, shape", [("colour", (2, 3, 5, 6)), ("colour", (2, 1, 5, 6)),
                                         ("fourier", (2, 3, 6, 8)), ("fourier", (1, 3, 7, 9)),
                                         ("fourier", (2, 1, 5, 4))])
def test_forward_backward_and_inverse(kind, shape):
    n, c, h, w = shape
    param = parametrise.make(kind, c, h, w)
    x = numpy.random.default_rng(0).standard_normal(shape)
    z = param.inverse(x)
    numpy.testing.assert_allclose(param.forward(z), x, atol=1e-12)  # exact inverse
    check_backward(param, z, seed=1)  # backward is the adjoint of forward


@pytest.mark.parametrize("kind, shape, factor", [("pixels", (2, 3, 9, 13), 2),
                                                 ("pixels", (1, 1, 16, 16), 4),
                                                 ("colour", (2, 3, 10, 7), 2),
                                                 ("colour", (1, 3, 23, 17), 8)])
def test_coarse_image_enlarged(kind, shape, factor):
    n, c, h, w = shape
    param = parametrise.make(kind, c, h, w, factor)
    rng = numpy.random.default_rng(2)
    z = rng.standard_normal((n, c, -(-h // factor), -(-w // factor)))
    check_backward(param, z, seed=3)  # backward is the adjoint of forward
    x = param.forward(z)
    assert x.shape == shape
    numpy.testing.assert_allclose(param.inverse(x), z, atol=1e-10)  # exact on its range
    # the inverse is the least-squares fit: the residual is orthogonal to the range
    y = rng.standard_normal(shape)
    r = y - param.forward(param.inverse(y))
    assert abs(numpy.sum(r * param.forward(z))) < 1e-9 * numpy.abs(y).sum()
    assert numpy.abs(r).max() > 0.1  # a coarse grid cannot hold noise


def test_enlarge_interpolates_linearly():
    e = parametrise.enlarge(8, 4)  # output pixel i at input position (i + 0.5) / 2 - 0.5
    numpy.testing.assert_allclose(e.sum(axis=1), 1.0)
    numpy.testing.assert_allclose(e @ numpy.arange(4.0), [0, 0.25, 0.75, 1.25, 1.75, 2.25,
                                                          2.75, 3])
    numpy.testing.assert_array_equal(parametrise.enlarge(5, 5), numpy.eye(5))
    numpy.testing.assert_array_equal(parametrise.enlarge(3, 1), numpy.ones((3, 1)))


def test_colour_basis_is_the_photos_covariance_root():
    m = parametrise.COLOUR
    numpy.testing.assert_allclose(m, m.T)
    assert numpy.linalg.svd(m)[1] == pytest.approx([1.0, 0.2628, 0.1923], abs=2e-3)


def test_fourier_steps_shrink_with_frequency():
    param = parametrise.make("fourier", 1, 16, 16)
    z = numpy.zeros((1, 1, 16, 9, 2))
    z[0, 0, 0, 1, 0] = 1.0   # lowest horizontal frequency
    low = param.forward(z)
    z[0, 0, 0, 1, 0], z[0, 0, 0, 8, 0] = 0.0, 1.0  # highest
    high = param.forward(z)
    assert numpy.abs(low).max() > 7 * numpy.abs(high).max()


def test_pixels_is_the_identity():
    x = numpy.ones((1, 1, 2, 2))
    p = parametrise.make("pixels", 1, 2, 2)
    assert p.forward(x) is x and p.backward(x) is x and p.inverse(x) is x
    with pytest.raises(ValueError, match="param must be one of pixels, colour, fourier"):
        parametrise.make("wavelets", 1, 2, 2)


def objective(jitter=0, seed=0, zoom=0.0, copies=1, shrink=0.0):
    rep = tiny_rep()
    rng = numpy.random.default_rng(seed)
    phi0 = rep.forward(rep.to_centred(rng.random((10, 12, 3))))
    return Objective(rep, phi0, sigma=3.0, lambda_alpha=0.7, lambda_tv=0.3, jitter=jitter,
                     zoom=zoom, copies=copies, shrink=shrink)


def start(n=2, seed=1):
    x = numpy.random.default_rng(seed).standard_normal((n, 3, 10, 12))
    return x / numpy.sqrt((x.reshape(n, -1) ** 2).sum(1)).reshape(-1, 1, 1, 1)


def test_jittered_objective_gradient():
    obj = objective(jitter=3)
    obj.draw(numpy.random.default_rng(2), 2)
    assert obj.shift.shifts != [(0, 0), (0, 0)]
    check_backward(obj, start(), seed=3, rtol=1e-5, atol=1e-9)
    # the shift moves what the network sees, not the priors nor the final energies
    x = start()
    shifted, still = obj.forward(x), obj.energies(x)["total"]
    assert not numpy.allclose(shifted, still)
    assert objective().energies(x)["total"] == pytest.approx(still)


@pytest.mark.parametrize("kind, factor", [("colour", 1), ("fourier", 1), ("pixels", 2),
                                          ("colour", 4)])
def test_reparametrised_objective_gradient(kind, factor):
    target = parametrise.Reparametrised(objective(jitter=1),
                                        parametrise.make(kind, 3, 10, 12, factor))
    target.objective.draw(numpy.random.default_rng(4), 2)
    check_backward(target, target.param.inverse(start()), seed=5, rtol=1e-5, atol=1e-9)



def test_zoomed_and_jittered_objective_gradient():
    target = objective(jitter=2, zoom=0.2)
    target.draw(numpy.random.default_rng(6), 2)
    assert min(target.zoom.scales) != 1.0 and target.shift.shifts != [(0, 0), (0, 0)]
    check_backward(target, start(), seed=7, rtol=1e-5, atol=1e-9)


def test_copies_average_the_loss_of_each_moved_copy_and_their_gradients():
    target = objective(jitter=2, zoom=0.2, copies=3)
    target.draw(numpy.random.default_rng(8), 2)
    assert len(target.shift.shifts) == 6 and len(set(target.shift.shifts)) > 2
    check_backward(target, start(), seed=9, rtol=1e-5, atol=1e-9)
    # the loss is the mean of what each copy alone gives (copy j of restart i at 3 i + j)
    x, single = start(), objective(jitter=2, zoom=0.2)
    mean = numpy.zeros(2)
    for j in range(3):
        single.shift.shifts = target.shift.shifts[j::3]
        single.zoom.scales = target.zoom.scales[j::3]
        single.forward(x)
        mean += single._terms_now["loss"] / 3
    target.forward(x)
    numpy.testing.assert_allclose(target._terms_now["loss"], mean, rtol=1e-12)
    # the energies reported are those of the image as it is, whatever the copies
    numpy.testing.assert_allclose(target.energies(x)["total"], objective().energies(x)["total"])


def test_shrink_draws_the_scales_below_one():
    # shrink 0.5 alone: log-uniform in [0.5, 1]; with zoom 0.25: [0.5/1.25, 1.25]
    for zoom, low, high in ((0.0, 0.5, 1.0), (0.25, 0.4, 1.25)):
        target = objective(jitter=0, zoom=zoom, shrink=0.5, copies=2)
        target.draw(numpy.random.default_rng(10), 2000)
        s = numpy.log(target.zoom.scales)
        assert len(s) == 4000 and low <= min(numpy.exp(s)) and max(numpy.exp(s)) <= high
        # log-uniform: the mean of log s is the middle of the interval, its
        # spread the interval's width / sqrt(12)
        mid, width = (numpy.log(low) + numpy.log(high)) / 2, numpy.log(high / low)
        assert abs(s.mean() - mid) < 0.02 and abs(s.std() - width / 12 ** 0.5) < 0.01
    shrunk = objective(shrink=0.3)
    shrunk.draw(numpy.random.default_rng(11), 2)
    assert shrunk.shift is None and all(0.7 <= v < 1 for v in shrunk.zoom.scales)
    check_backward(shrunk, start(), seed=12, rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError, match="shrink in \\[0, 1\\); got zoom 0.0 and shrink 1"):
        objective(shrink=1)


def test_copies_need_jitter_or_zoom():
    with pytest.raises(ValueError, match="copies must be 1, or more with jitter, zoom or shrink"):
        objective(copies=2)
