"""The solvers beside the paper's momentum: Adam and L-BFGS. Each reaches the
minimum of a small convex problem with a known solution and decreases the
real objective on a small HOG problem; L-BFGS's two-loop recursion is the
dense BFGS inverse on a quadratic; every solver and option repeats itself
for the same seed."""
import numpy
import pytest

import invert
from inversion_helpers import tiny_rep
from invert import parametrise
from invert.adam import Adam
from invert.lbfgs import LBFGS, two_loop
from invert.solver import Momentum, minimise


class Quadratic:
    """E(x) = 0.5 (x - c)^T A (x - c) per image, A diagonal with condition 100."""

    def __init__(self, shape, seed=0):
        rng = numpy.random.default_rng(seed)
        self.c = rng.standard_normal(shape)
        self.a = numpy.geomspace(1.0, 100.0, int(numpy.prod(shape[1:]))).reshape(shape[1:])

    def energies(self, x):
        e = 0.5 * (self.a * (x - self.c) ** 2).reshape(len(x), -1).sum(1)
        return {"loss": e, "total": e}

    def evaluate(self, x):
        return self.energies(x), self.a * (x - self.c)


@pytest.mark.parametrize("solver", [
    Momentum([(0.01, 600)]), Adam([(0.05, 300), (0.005, 300)]), LBFGS(60)],
    ids=["momentum", "adam", "lbfgs"])
def test_each_solver_reaches_the_minimum_of_a_convex_problem(solver):
    problem = Quadratic((2, 1, 4, 5))
    x0 = numpy.zeros((2, 1, 4, 5))
    sol = minimise(problem, x0, solver)
    assert sol.status == "done" and sol.iterations == solver.iterations
    numpy.testing.assert_allclose(sol.x, problem.c, atol=2e-3)
    assert (sol.final["total"] < 1e-5).all()


def test_lbfgs_is_one_evaluation_per_iteration_and_keeps_the_accepted_point():
    problem = Quadratic((1, 1, 3, 3), seed=1)
    calls = []
    evaluate = problem.evaluate
    problem.evaluate = lambda x: calls.append(1) or evaluate(x)
    solver = LBFGS(12, first_step=50.0)  # far too long a first step: it must backtrack
    sol = minimise(problem, numpy.zeros((1, 1, 3, 3)), solver)
    assert len(calls) == 12 and sol.history["total"].shape == (12, 1)
    accepted = min(sol.history["total"][:, 0])
    assert sol.final["total"][0] == pytest.approx(accepted)  # never a rejected trial


def test_lbfgs_rejects_a_non_finite_trial_and_goes_on():
    class Cliff(Quadratic):
        def evaluate(self, x):  # infinite beyond |x| > 3 (an overflow, say)
            terms, grad = super().evaluate(x)
            if numpy.abs(x).max() > 3:
                terms = {k: v * numpy.inf for k, v in terms.items()}
            return terms, grad
    problem = Cliff((1, 1, 2, 2), seed=2)
    sol = minimise(problem, numpy.zeros((1, 1, 2, 2)), LBFGS(40, first_step=100.0))
    assert sol.status == "done" and numpy.isfinite(sol.history["total"]).all()
    numpy.testing.assert_allclose(sol.x, problem.c, atol=1e-3)


def test_two_loop_is_the_dense_bfgs_inverse_on_a_quadratic():
    rng = numpy.random.default_rng(3)
    q = rng.standard_normal((6, 6))
    hessian = q @ q.T + 6 * numpy.eye(6)
    pairs = [(s, hessian @ s) for s in rng.standard_normal((4, 6))]  # y = A s
    gamma = 0.3
    h = gamma * numpy.eye(6)
    for s, y in pairs:  # BFGS's update of the inverse (Nocedal & Wright, eq. 6.17)
        rho = 1.0 / (y @ s)
        v = numpy.eye(6) - rho * numpy.outer(y, s)
        h = v.T @ h @ v + rho * numpy.outer(s, s)
    g = rng.standard_normal(6)
    numpy.testing.assert_allclose(two_loop(g, pairs, gamma), h @ g, rtol=1e-12)
    for s, y in pairs[-1:]:  # the secant condition of the newest pair
        numpy.testing.assert_allclose(two_loop(y, pairs, gamma), s, rtol=1e-12)


def test_adam_replays_by_hand():
    problem = Quadratic((1, 1, 1, 1), seed=4)
    sol = minimise(problem, numpy.zeros((1, 1, 1, 1)), Adam([(0.1, 3), (0.01, 2)]))
    x, m, v, a, c = 0.0, 0.0, 0.0, problem.a.item(), problem.c.item()
    for t, lr in enumerate([0.1] * 3 + [0.01] * 2, start=1):
        g = a * (x - c)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        x -= lr * (m / (1 - 0.9 ** t)) / ((v / (1 - 0.999 ** t)) ** 0.5 + 1e-12)
    assert sol.x.item() == pytest.approx(x, rel=1e-12)


def hog_image(seed=0):
    return numpy.random.default_rng(seed).random((32, 40))


@pytest.mark.parametrize("solver", ["momentum", "adam", "lbfgs"])
def test_each_solver_decreases_the_real_objective_on_a_small_hog_problem(solver):
    r = invert.invert(hog_image(), "hog", solver=solver, iters=60, restarts=2, seed=0,
                      schedule=[(4.0, 60)] if solver == "adam" else "shallow")
    total = r.history["total"]
    assert r.status == "done" and total.shape == (60, 2)
    assert (r.final["total"] < 0.5 * total[0]).all()


OPTIONS = {"momentum": {}, "adam": dict(solver="adam", schedule=[(4.0, 12)]),
           "lbfgs": dict(solver="lbfgs"), "jitter": dict(jitter=2),
           "adam-jitter-colour": dict(solver="adam", jitter=1, param="colour",
                                      schedule=[(4.0, 12)]),
           "fourier-bound": dict(param="fourier", bound=40.0, box=True),
           "adam-zoom": dict(solver="adam", zoom=0.1, jitter=1, schedule=[(4.0, 12)]),
           "adam-copies": dict(solver="adam", jitter=2, copies=3, schedule=[(4.0, 12)]),
           "adam-copies-polish": dict(solver="adam", jitter=2, copies=3, polish=0.25,
                                      schedule=[(4.0, 12)]),
           "adam-shrink-copies": dict(solver="adam", shrink=0.5, copies=2, polish=0.25,
                                      schedule=[(4.0, 12)]),
           "adam-coarse": dict(solver="adam", jitter=2, coarse=0.5, schedule=[(4.0, 12)]),
           "colour-coarse": dict(param="colour", coarse=0.25, octaves=1),
           "fourier-centred": dict(solver="adam", param="fourier", jitter=1, centre_code=True,
                                   schedule=[(4.0, 12)])}


@pytest.mark.parametrize("name", OPTIONS)
def test_same_seed_same_result(name):
    image = numpy.random.default_rng(5).random((24, 28, 3))
    rep = tiny_rep(dtype=numpy.float32)
    runs = [invert.invert(image, rep, iters=12, restarts=2, seed=s, **OPTIONS[name])
            for s in (7, 7, 8)]
    numpy.testing.assert_array_equal(runs[0].x, runs[1].x)
    assert not numpy.allclose(runs[0].x, runs[2].x)


def test_jitter_zero_and_pixels_are_the_paper_method_bit_for_bit():
    image = numpy.random.default_rng(6).random((24, 28, 3))
    rep = tiny_rep(dtype=numpy.float32)
    plain = invert.invert(image, rep, iters=12, seed=1)
    same = invert.invert(image, rep, iters=12, seed=1, jitter=0, param="pixels",
                         solver="momentum", bound=None)
    numpy.testing.assert_array_equal(plain.x, same.x)
    assert plain.history["total"].tolist() == same.history["total"].tolist()


def test_bad_solver_options_are_named():
    image = hog_image()
    with pytest.raises(ValueError, match="solver must be one of momentum, adam, lbfgs"):
        invert.invert(image, "hog", solver="sgd", iters=4)
    with pytest.raises(ValueError, match="L-BFGS needs the same objective"):
        invert.invert(image, "hog", solver="lbfgs", jitter=2, iters=4)
    with pytest.raises(ValueError, match="jitter must be an integer >= 0, got -1"):
        invert.invert(image, "hog", jitter=-1, iters=4)
    with pytest.raises(ValueError, match="copies 2 needs jitter, zoom or shrink"):
        invert.invert(image, "hog", copies=2, iters=4)
    with pytest.raises(ValueError, match="copies must be an integer >= 1, got 0"):
        invert.invert(image, "hog", copies=0, jitter=1, iters=4)
    with pytest.raises(ValueError, match="polish 0.5 needs jitter, zoom or shrink"):
        invert.invert(image, "hog", polish=0.5, iters=4)
    with pytest.raises(ValueError, match=r"shrink must be a finite number in \[0, 1\), got 1"):
        invert.invert(image, "hog", shrink=1, iters=4)
    with pytest.raises(ValueError, match="L-BFGS needs the same objective"):
        invert.invert(image, "hog", solver="lbfgs", shrink=0.5, iters=4)
    with pytest.raises(ValueError, match=r"polish must be a finite number in \[0, 1\), got 1"):
        invert.invert(image, "hog", polish=1, jitter=1, iters=4)


def test_polish_runs_the_last_iterations_on_the_still_image(monkeypatch):
    """With polish 0.25 of 12 iterations, the first 9 see a moved image (and
    three copies of it), the last 3 the image as it is, once: the history's
    loss there is the unmoved loss of the x each step started from."""
    from invert.objective import Objective
    seen, real = [], Objective._terms

    def spy(self, x, jitter=True):
        terms, r = real(self, x, jitter)
        if jitter:  # NOTE: the iterations' evaluations, not the final energies
            seen.append((self._moved, len(r) // len(x), x.copy()))
        return terms, r
    monkeypatch.setattr(Objective, "_terms", spy)
    image = numpy.random.default_rng(9).random((24, 28, 3))
    rep = tiny_rep(dtype=numpy.float64)
    options = dict(iters=12, seed=2, solver="adam", schedule=[(4.0, 12)], jitter=2, copies=3,
                   dtype="float64")
    run = invert.invert(image, rep, polish=0.25, **options)
    assert [(moved, k) for moved, k, _ in seen] == [(True, 3)] * 9 + [(False, 1)] * 3
    s = run.settings
    still = Objective(rep, rep.forward(rep.to_centred(image)), s["sigma"], s["lambda_alpha"],
                      s["lambda_tv"])
    for t in (8, 9, 10, 11):
        loss = still.energies(seen[t][2])["loss"]
        assert (run.history["loss"][t] == pytest.approx(loss, rel=1e-10)) == (t >= 9), t
    assert s["polish"] == 0.25
    assert not numpy.allclose(run.x, invert.invert(image, rep, **options).x)


def test_coarse_to_fine_moves_the_smaller_images_first(monkeypatch):
    """coarse 0.5, 2 octaves, 12 iterations: 3 iterations on the image at 1/4
    of its size (enlarged: every x they evaluate is in the enlargement's
    range), 3 at 1/2, 6 on the image itself; the history runs on across the
    stages, the polish and the schedule count from the first iteration."""
    from invert.objective import Objective
    seen, real = [], Objective._terms

    def spy(self, x, jitter=True):
        terms, r = real(self, x, jitter)
        if jitter:
            seen.append((self._moved, x.copy()))
        return terms, r
    monkeypatch.setattr(Objective, "_terms", spy)
    image = numpy.random.default_rng(9).random((24, 28, 3))
    rep = tiny_rep(dtype=numpy.float64)
    options = dict(iters=12, seed=2, solver="adam", schedule=[(4.0, 6), (1.0, 6)], jitter=2,
                   dtype="float64", polish=0.25)
    run = invert.invert(image, rep, coarse=0.5, **options)
    assert len(seen) == 12 and run.history["loss"].shape == (12, 1) and run.iterations == 12
    assert [moved for moved, _ in seen] == [True] * 9 + [False] * 3

    def smallest_size(x):  # the coarsest grid that holds x exactly
        for f in (4, 2):
            p = parametrise.make("pixels", 3, 24, 28, f)
            if numpy.allclose(p.forward(p.inverse(x)), x, atol=1e-12):
                return f
        return 1
    # (each stage starts where the last ended: the full-size stage's first x
    # is the last x of the half-size one)
    assert [smallest_size(x) for _, x in seen] == [4] * 3 + [2] * 4 + [1] * 5
    assert not numpy.allclose(run.x, invert.invert(image, rep, **options).x)
    assert run.settings["coarse"] == 0.5 and run.settings["octaves"] == 2


def test_stages_and_schedule_parts():
    from invert.api import schedule_part, stages
    assert stages(dict(iters=300, coarse=0.0, octaves=2)) == [(1, 0, 300)]
    assert stages(dict(iters=300, coarse=0.5, octaves=2)) == [(4, 0, 75), (2, 75, 150),
                                                               (1, 150, 300)]
    assert stages(dict(iters=10, coarse=0.5, octaves=3)) == [(8, 0, 2), (4, 2, 3), (2, 3, 5),
                                                              (1, 5, 10)]
    schedule = [(8.0, 150), (2.0, 75), (0.5, 75)]
    assert schedule_part(schedule, 0, 75) == [(8.0, 75)]
    assert schedule_part(schedule, 100, 250) == [(8.0, 50), (2.0, 75), (0.5, 25)]
    assert schedule_part(schedule, 225, 300) == [(0.5, 75)]


def test_bad_coarse_options_are_named():
    image = hog_image()
    with pytest.raises(ValueError, match=r"coarse must be a finite number in \[0, 1\), got 1"):
        invert.invert(image, "hog", coarse=1, iters=4)
    with pytest.raises(ValueError, match="octaves must be an integer from 1 to 8, got 0"):
        invert.invert(image, "hog", coarse=0.5, octaves=0, iters=4)
    with pytest.raises(ValueError, match="coarse 0.1 of 20 iterations is 2: it must give each "
                                         "of the 3 octaves at least one"):
        invert.invert(image, "hog", coarse=0.1, octaves=3, iters=20)
    with pytest.raises(ValueError, match="coarse needs param pixels or colour, not fourier"):
        invert.invert(image, "hog", coarse=0.5, param="fourier", iters=20)


def test_the_surrogate_gradient_finds_hog_codes_the_exact_one_cannot():
    """HOG's hard bins give no gradient to orientations; the straight-through
    surrogate does, and the (exact) error of the result drops."""
    image = numpy.random.default_rng(8).random((48, 48))
    for k in range(2):  # smooth it: structure for HOG to see
        image = (image + numpy.roll(image, 1, k) + numpy.roll(image, -1, k)) / 3
    plain = invert.invert(image, "hog", preset="hog", iters=200, seed=0)
    helped = invert.invert(image, "hog", preset="hog", iters=200, seed=0, surrogate=True)
    assert helped.error[0] < 0.8 * plain.error[0]
    assert helped.settings["surrogate"] and not plain.settings["surrogate"]
    with pytest.raises(ValueError, match="surrogate is a gradient for HOG's hard orientation"):
        invert.invert(image, "hogb", iters=4, surrogate=True)
