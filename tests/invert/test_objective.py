"""The objective: value by hand, gradient by directional finite differences
(through a small CNN and through HOG, HOGb and DSIFT), masks, and the
balancing heuristics."""
import numpy
import pytest

from inversion_helpers import tiny_rep
from invert import representation
from invert.objective import Objective, heuristic_lambdas, loss_mask
from minigrad import check_backward


def make_objective(rep, seed=0, mask=None, **kw):
    rng = numpy.random.default_rng(seed)
    h, w = 10, 12
    phi0 = rep.forward(rep.to_centred(rng.random((h, w, 3)) if rep.channels == 3
                                      else rng.random((h, w))))
    if mask is not None:
        mask = loss_mask(phi0.shape[1:], **mask)
    options = dict(sigma=3.0, lambda_alpha=0.7, lambda_tv=0.3)
    options.update(kw)
    return Objective(rep, phi0, mask=mask, **options), (h, w)


def start(rep, shape, n=2, seed=1):
    x = numpy.random.default_rng(seed).standard_normal((n, rep.channels, *shape))
    return x / numpy.sqrt((x.reshape(n, -1) ** 2).sum(1)).reshape(-1, 1, 1, 1)


@pytest.mark.parametrize("mask", [None, dict(window=2), dict(group="second"),
                                  dict(window=3, group="first")])
@pytest.mark.parametrize("beta", [2.0, 1.5])
def test_objective_gradient_through_a_cnn(mask, beta):
    rep = tiny_rep()
    obj, shape = make_objective(rep, mask=mask, beta=beta)
    check_backward(obj, start(rep, shape), seed=3, rtol=1e-5, atol=1e-9)


def test_evaluate_matches_forward_backward_and_terms_add_up():
    rep = tiny_rep()
    obj, shape = make_objective(rep)
    x = start(rep, shape)
    terms, grad = obj.evaluate(x)
    assert terms["total"] == pytest.approx(terms["loss"] + terms["alpha"] + terms["tv"])
    assert obj.energies(x)["total"] == pytest.approx(terms["total"])
    obj.forward(x)
    assert numpy.allclose(obj.backward(numpy.ones(2)), grad)


def test_loss_is_normalised_by_the_masked_target():
    rep = tiny_rep()
    obj, shape = make_objective(rep, mask=dict(window=1), lambda_alpha=0, lambda_tv=0)
    x = start(rep, shape, n=1)
    phi, phi0, m = rep.forward(3.0 * x), obj.phi0, obj.mask
    want = ((m * (phi - phi0)) ** 2).sum() / ((m * phi0) ** 2).sum()
    assert obj.energies(x)["loss"][0] == pytest.approx(want)
    # at the original itself the loss is zero
    x0 = rep.to_centred(numpy.random.default_rng(0).random((10, 12, 3))) / 3.0
    assert obj.energies(x0)["loss"][0] == pytest.approx(0, abs=1e-20)


def test_loss_mask_centres_the_window_like_the_authors():
    m = loss_mask((4, 13, 13), window=5)
    rows = numpy.flatnonzero(m[0, 0].any(axis=1))
    assert list(rows) == [4, 5, 6, 7, 8]  # centre 6 +- 2
    m = loss_mask((4, 6, 6), window=5)    # even size: MATLAB's ceil rule
    assert list(numpy.flatnonzero(m[0, 0].any(axis=1))) == [0, 1, 2, 3, 4]
    g = loss_mask((4, 3, 3), group="second")
    assert g[0, :, 0, 0].tolist() == [0, 0, 1, 1]
    assert loss_mask((4, 3, 3)) is None
    with pytest.raises(ValueError):
        loss_mask((4, 3, 3), group="middle")


def test_heuristics_reproduce_the_documented_numbers():
    la, lt = heuristic_lambdas(27098.1, 227, 227)
    assert la == pytest.approx(1.75e9, rel=0.01)
    assert lt == pytest.approx(8.7e3, rel=0.01)
    la, lt = heuristic_lambdas(27098.1, 512, 512)
    assert la == pytest.approx(3.44e8, rel=0.01)
    # units cancel: sigma and B in [0, 1] units give the same numbers
    assert heuristic_lambdas(27098.1 / 255, 512, 512, B=128 / 255) == pytest.approx((la, lt))


def test_negative_lambdas_are_rejected():
    rep = tiny_rep()
    with pytest.raises(ValueError, match="non-negative"):
        make_objective(rep, lambda_tv=-1)


@pytest.mark.parametrize("name", ["hog", "hogb", "dsift"])
def test_objective_gradient_through_shallow_representations(name):
    rep = representation.get(name)
    rep.net.astype(numpy.float64)
    rng = numpy.random.default_rng(0)
    h, w = 24, 24
    phi0 = rep.forward(rep.to_centred(rng.random((h, w))))
    mask = loss_mask(phi0.shape[1:], window=2)
    for m in (None, mask):
        obj = Objective(rep, phi0, sigma=5.0, lambda_alpha=10.0, lambda_tv=0.5, mask=m)
        check_backward(obj, start(rep, (h, w), n=2), seed=5, rtol=1e-4, atol=1e-8)


# centre_code: the codes compared with their channel means removed; a group
# mask (half the channels) does not commute with the centring, so the
# gradient's second centring (P M P r) is exercised
@pytest.mark.parametrize("mask", [None, dict(group="second"), dict(window=2, group="first")])
def test_centred_objective_gradient(mask):
    rep = tiny_rep()
    obj, shape = make_objective(rep, mask=mask, centre_code=True)
    check_backward(obj, start(rep, shape), seed=4, rtol=1e-5, atol=1e-9)


def test_centred_loss_ignores_the_codes_channel_mean_and_nothing_else():
    rep = tiny_rep()
    obj, shape = make_objective(rep, centre_code=True, lambda_alpha=0, lambda_tv=0)
    x = start(rep, shape, n=1)
    phi, phi0 = rep.forward(3.0 * x), obj.phi0
    r = (phi - phi.mean(axis=1, keepdims=True)) - (phi0 - phi0.mean(axis=1, keepdims=True))
    p0 = phi0 - phi0.mean(axis=1, keepdims=True)
    want = (r ** 2).sum() / (p0 ** 2).sum()
    assert obj.energies(x)["loss"][0] == pytest.approx(want, rel=1e-12)
    # a target raised by a different constant at every position: the same centred loss,
    # a different plain one
    lift = numpy.random.default_rng(5).random((1, 1, *phi0.shape[2:])) * 3
    kw = dict(sigma=3.0, lambda_alpha=0, lambda_tv=0)
    lifted = Objective(rep, phi0 + lift, centre_code=True, **kw)
    assert lifted.energies(x)["loss"][0] == pytest.approx(want, rel=1e-12)
    plain, plain_lifted = Objective(rep, phi0, **kw), Objective(rep, phi0 + lift, **kw)
    assert plain.energies(x)["loss"][0] != pytest.approx(plain_lifted.energies(x)["loss"][0])
    # a target with one value in every channel has nothing left to compare
    flat = numpy.ones_like(phi0) * lift
    with pytest.raises(ValueError, match=r"centre_code: the target code of shape \(5, 3, 4\) "
                                         "has the same value in every channel"):
        Objective(rep, flat, centre_code=True, **kw)
