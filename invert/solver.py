"""The descent loop and the paper's solver, momentum gradient descent (§2.1).

    mu_{t+1} = m mu_t - eta_t dE/dx(x_t),    x_{t+1} = x_t + mu_{t+1},   m = 0.9

The velocity mu is reset to 0 whenever eta changes (the authors' code: after a
tenfold drop the old velocity would overshoot for many iterations).

A schedule is a list of segments ``(eta, iterations)``; named schedules live
in ``presets.SCHEDULES``. All restarts are one batch x of shape
(N, C, H, W), so N restarts cost one pass of a batch of N.

``minimise`` runs any solver (``Momentum`` here, ``adam.Adam``,
``lbfgs.LBFGS``): one evaluation of the objective (energies and gradient)
per iteration, then ``solver.step`` gives the next x, which ``project``
(the box or pixel bound, module ``adaptive``) may move. It records, before
each update, every energy term of every restart (``history[term]`` has
shape (iterations, N)), so the last row describes the x the step started
from; ``final`` holds the terms at the returned x (``solver.result``: the
last x, or for L-BFGS the last accepted one). It stops early, keeping the
last finite x, when an energy or the gradient stops being finite
("diverged"; L-BFGS instead rejects such a trial point and backtracks), or
on Ctrl-C ("interrupted"). A divergence names the terms (``nonfinite``:
"loss", "alpha", "tv", "total" when only their sum overflows, or
"gradient"); from the first evaluation on, x is the start and the history
is empty; the x after the last update is checked too. ``before(t)``, when
given, runs before each evaluation (a new jitter shift).
"""
from dataclasses import dataclass, field

import numpy

from minigrad import backend
from minigrad.backend import get_array_module


def expand(schedule):
    """Per-iteration learning rates of a list of ``(eta, iterations)``."""
    rates = []
    for eta, iters in schedule:
        if not eta > 0 or int(iters) < 0:
            raise ValueError(f"a schedule segment needs eta > 0 and iterations >= 0, "
                             f"got ({eta}, {iters})")
        rates += [float(eta)] * int(iters)
    return rates


def random_init(rng, shape, dtype=None):
    """Gaussian noise rescaled to unit Euclidean norm per image (restart)."""
    x = rng.standard_normal(shape)
    x /= numpy.sqrt((x.reshape(shape[0], -1) ** 2).sum(axis=1)).reshape(-1, 1, 1, 1)
    return backend.asarray(x, dtype)


@dataclass
class Solution:
    x: object                 # the final (or last finite) batch
    history: dict             # term -> float64 array (iterations, N)
    final: dict               # term -> float64 array (N,) at x
    status: str = "done"      # "done", "interrupted" or "diverged"
    iterations: int = 0       # evaluations of the objective (= updates)
    resets: list = field(default_factory=list)  # iterations where mu was reset
    nonfinite: tuple = ()     # diverged: the terms that stopped being finite


class Momentum:
    """The paper's update (module docstring); ``step(grad, eta)`` optionally
    replaces ``eta * grad`` (e.g. ``adaptive.AdaptiveStep``)."""

    def __init__(self, schedule, momentum=0.9, step=None):
        self.rates, self.momentum, self.scaled = expand(schedule), float(momentum), step
        self.mu, self.previous, self.resets = None, None, []

    @property
    def iterations(self):
        return len(self.rates)

    def step(self, x, terms, grad, t):
        eta = self.rates[t]
        if eta != self.previous:  # NOTE: a new rate starts from rest
            self.mu = get_array_module(x).zeros_like(x)
            self.resets.append(t)
            self.previous = eta
        self.mu = self.momentum * self.mu - (eta * grad if self.scaled is None
                                             else self.scaled(grad, eta))
        return x + self.mu

    def record(self, terms):
        return terms

    def result(self, x):
        return x


def nonfinite(terms, grad=None):
    """Names of the energy terms (and "gradient") that are not finite; the
    sum "total" only when every term is finite on its own."""
    bad = tuple(k for k, v in terms.items() if k != "total" and not numpy.isfinite(v).all())
    if not bad and "total" in terms and not numpy.isfinite(terms["total"]).all():
        bad = ("total",)
    if grad is not None and not bool(get_array_module(grad).isfinite(grad).all()):
        bad += ("gradient",)
    return bad


@numpy.errstate(over="ignore", invalid="ignore", divide="ignore")  # NOTE: checked explicitly
def minimise(objective, x, solver, callback=None, project=None, before=None):
    """Minimise ``objective`` from x with ``solver``; see the module docstring.

    objective  has ``evaluate(x) -> (energies dict of (N,), dE/dx)`` and
               ``energies(x)``.
    solver     has ``iterations``, ``step(x, energies, grad, t) -> next x``,
               ``record(energies)`` (the history row) and ``result(x)``;
               ``robust`` solvers handle non-finite trial points themselves.
    callback   called as ``callback(t, total_iterations, energies)`` after
               each iteration (for progress displays).
    """
    records, status, bad, final = [], "done", (), None
    good, done = x, 0  # the last x with finite energies, and its updates
    robust = getattr(solver, "robust", False)
    try:
        for t in range(solver.iterations):
            if before is not None:
                before(t)
            terms, grad = objective.evaluate(x)
            bad = () if robust and t > 0 else nonfinite(terms, grad)
            if bad:
                status, final = "diverged", terms
                break
            records.append(solver.record(terms))
            good, done = x, t
            x = solver.step(x, terms, grad, t)
            x = x if project is None else project(x)
            if callback is not None:
                callback(t + 1, solver.iterations, records[-1])
        else:
            last = solver.result(x)
            terms = objective.energies(last)
            bad = nonfinite(terms)
            if bad:  # NOTE: the last update blew up
                status = "diverged"
            else:
                good, done, final = last, solver.iterations, terms
    except KeyboardInterrupt:
        status = "interrupted"
        good, done = x, len(records)
    if status == "interrupted":
        good = solver.result(good)
        final = objective.energies(good)
    elif status == "diverged" and records:
        final = records[-1]  # NOTE: else the start's own (non-finite) energies
    n = x.shape[0]
    history = {k: numpy.array([r[k] for r in records]).reshape(len(records), n)
               for k in (records[0] if records else final)}
    return Solution(x=good, history=history, final=final, status=status, iterations=done,
                    resets=getattr(solver, "resets", []),
                    nonfinite=bad if status == "diverged" else ())


def momentum_descent(objective, x, schedule, momentum=0.9, callback=None, step=None,
                     project=None):
    """The paper's solver: ``minimise`` with ``Momentum(schedule, momentum, step)``."""
    return minimise(objective, x, Momentum(schedule, momentum, step), callback, project)
