"""The momentum solver: descent, restarts and seeds, velocity resets,
schedules, divergence and interruption."""
import numpy
import pytest

import invert
from inversion_helpers import tiny_rep
from invert.presets import schedule
from invert.solver import expand, momentum_descent, random_init


class Quadratic:
    """E(x) = 0.5 ||x - c||^2 per image, to watch the update rule exactly."""

    def __init__(self, c):
        self.c = c

    def energies(self, x):
        e = 0.5 * ((x - self.c) ** 2).reshape(len(x), -1).sum(1)
        return {"loss": e, "total": e}

    def evaluate(self, x):
        return self.energies(x), x - self.c


def image(seed=0, shape=(16, 16, 3)):
    return numpy.random.default_rng(seed).random(shape)


def test_the_solver_decreases_the_objective():
    r = invert.invert(image(), tiny_rep(dtype=numpy.float32), iters=60, restarts=2, seed=0)
    total = r.history["total"]
    assert total.shape == (60, 2)
    assert (total[-1] < 0.2 * total[0]).all()
    assert r.final["total"] == pytest.approx(total[-1], rel=0.05)
    assert r.status == "done" and r.iterations == 60
    assert set(r.history) == {"loss", "alpha", "tv", "total"}


def test_restarts_differ_and_seeds_reproduce():
    rep = tiny_rep(dtype=numpy.float32)
    a = invert.invert(image(), rep, iters=20, restarts=2, seed=1)
    b = invert.invert(image(), rep, iters=20, restarts=2, seed=1)
    c = invert.invert(image(), rep, iters=20, restarts=2, seed=2)
    assert numpy.array_equal(a.x, b.x)
    assert not numpy.allclose(a.x[0], a.x[1])
    assert not numpy.allclose(a.x, c.x)
    assert len(a.images) == 2 and a.images[0].shape == (16, 16, 3)
    assert 0 <= a.image.min() and a.image.max() <= 1


def test_init_has_unit_norm_per_image():
    x = random_init(numpy.random.default_rng(0), (3, 2, 5, 5), numpy.float64)
    assert numpy.sqrt((x ** 2).reshape(3, -1).sum(1)) == pytest.approx(numpy.ones(3))


def test_velocity_is_reset_when_the_rate_changes():
    c = numpy.zeros((1, 1, 1, 1))
    x0 = numpy.ones((1, 1, 1, 1))
    sol = momentum_descent(Quadratic(c), x0, [(0.1, 3), (0.01, 2), (0.01, 1)], momentum=0.9)
    assert sol.resets == [0, 3]  # not at 5: same rate
    # replay the rule by hand
    x, mu, prev = 1.0, 0.0, None
    for eta in expand([(0.1, 3), (0.01, 2), (0.01, 1)]):
        mu = 0.0 if eta != prev else mu
        prev = eta
        mu = 0.9 * mu - eta * x
        x = x + mu
    assert sol.x.item() == pytest.approx(x)
    assert sol.history["total"].shape == (6, 1)


def test_divergence_stops_and_keeps_the_last_finite_x():
    c = numpy.zeros((1, 1, 1, 1))
    sol = momentum_descent(Quadratic(c), numpy.ones((1, 1, 1, 1)), [(1e154, 5)])
    assert sol.status == "diverged"
    assert numpy.isfinite(sol.x).all()
    assert sol.iterations < 5


class Terms:
    """Three finite terms, one of them (or the gradient) made non-finite."""

    def __init__(self, bad=None):
        self.bad = bad

    def energies(self, x):
        one = numpy.ones(len(x))
        terms = {"loss": one, "alpha": one, "tv": one}
        if self.bad in terms:
            terms[self.bad] = numpy.full(len(x), numpy.inf)
        terms["total"] = terms["loss"] + terms["alpha"] + terms["tv"]
        return terms

    def evaluate(self, x):
        return self.energies(x), x * (numpy.nan if self.bad == "gradient" else 1.0)


@pytest.mark.parametrize("bad", ["loss", "alpha", "tv", "gradient"])
def test_divergence_from_the_first_iteration_names_the_term(bad):
    x0 = numpy.ones((2, 1, 2, 2))
    sol = momentum_descent(Terms(bad), x0, [(0.1, 5)])
    assert sol.status == "diverged" and sol.iterations == 0 and sol.nonfinite == (bad,)
    assert sol.x is x0  # the start: nothing finite came after it
    assert set(sol.history) == {"loss", "alpha", "tv", "total"}
    assert all(h.shape == (0, 2) for h in sol.history.values())
    assert momentum_descent(Terms(), x0, [(0.1, 5)]).nonfinite == ()


def test_a_sum_that_overflows_is_named_total():
    class Big(Terms):
        def energies(self, x):
            big = numpy.full(len(x), 1e308)
            return {"loss": big, "alpha": big, "total": big + big}
    sol = momentum_descent(Big(), numpy.ones((1, 1, 1, 1)), [(0.1, 3)])
    assert sol.status == "diverged" and sol.nonfinite == ("total",)


def test_a_last_step_that_blows_up_is_a_divergence_not_done():
    x0 = numpy.ones((1, 1, 1, 1))
    sol = momentum_descent(Quadratic(numpy.zeros((1, 1, 1, 1))), x0, [(1e200, 1)])
    assert sol.status == "diverged" and sol.nonfinite == ("loss",)  # E(1 - 1e200) = inf
    assert sol.x is x0 and sol.iterations == 0 and numpy.isfinite(sol.final["total"]).all()


def test_interruption_keeps_what_was_done():
    def stop(t, total, terms):
        if t == 3:
            raise KeyboardInterrupt
    sol = momentum_descent(Quadratic(numpy.zeros((1, 1, 2, 2))), numpy.ones((1, 1, 2, 2)),
                           [(0.1, 10)], callback=stop)
    assert sol.status == "interrupted" and sol.iterations == 3
    assert len(sol.history["total"]) == 3


def test_schedules_rescale_and_reject_nonsense():
    s = schedule("shallow")
    assert sum(n for _, n in s) == 800 and [e for e, _ in s] == pytest.approx(
        [0.004, 0.0004, 0.00004, 0.000004])
    assert sum(n for _, n in schedule("cnn")) == 400
    assert [n for _, n in schedule("cnn", iters=40)] == [10, 20, 10]
    with pytest.raises(ValueError):
        schedule("nope")
    with pytest.raises(ValueError):
        schedule("shallow", iters=2)
    with pytest.raises(ValueError):
        expand([(-1, 3)])
