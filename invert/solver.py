"""Momentum gradient descent with a piecewise-constant learning rate (§2.1).

    mu_{t+1} = m mu_t - eta_t dE/dx(x_t),    x_{t+1} = x_t + mu_{t+1},   m = 0.9

The velocity mu is reset to 0 whenever eta changes (the authors' code: after a
tenfold drop the old velocity would overshoot for many iterations).

A schedule is a list of segments ``(eta, iterations)``; named schedules live
in ``presets.SCHEDULES``. All restarts are one batch x of shape
(N, C, H, W), so N restarts cost one pass of a batch of N.

The loop records, before each update, every energy term of every restart
(``history[term]`` has shape (iterations, N)), so the last row describes the
x the step started from; ``final`` holds the terms at the returned x.
It stops early, keeping the last finite x, when an energy or the gradient
stops being finite ("diverged", ``nonfinite`` naming the terms: "loss",
"alpha", "tv", "total" when only their sum overflows, or "gradient"; from
the first iteration on, when x is the start and the history is empty), or
on Ctrl-C ("interrupted"). The x after the last update is checked too.
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
    iterations: int = 0       # updates applied to x
    resets: list = field(default_factory=list)  # iterations where mu was reset
    nonfinite: tuple = ()     # diverged: the terms that stopped being finite


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
def momentum_descent(objective, x, schedule, momentum=0.9, callback=None, step=None,
                     project=None):
    """Minimise ``objective`` from x; see the module docstring.

    objective  has ``evaluate(x) -> (energies dict of (N,), dE/dx)`` and
               ``energies(x)``.
    callback   called as ``callback(t, total_iterations, energies)`` after
               each iteration (for progress displays).
    step       optional ``step(grad, eta)`` replacing ``eta * grad`` in the
               update (e.g. ``adaptive.AdaptiveStep``); project: optional
               ``project(x)`` applied after each update (e.g. a box).
    """
    rates = expand(schedule)
    xp = get_array_module(x)
    mu = xp.zeros_like(x)
    records, resets, used = [], [], []
    status, previous, bad, final = "done", None, (), None
    good, done = x, 0  # the last x with finite energies, and its updates
    try:
        for t, eta in enumerate(rates):
            terms, grad = objective.evaluate(x)
            bad = nonfinite(terms, grad)
            if bad:
                status, final = "diverged", terms
                break
            records.append(terms)
            good, done = x, t
            if eta != previous:  # NOTE: a new rate starts from rest
                mu = xp.zeros_like(x)
                resets.append(t)
                previous = eta
            mu = momentum * mu - (eta * grad if step is None else step(grad, eta))
            x = x + mu if project is None else project(x + mu)
            used.append(eta)
            if callback is not None:
                callback(t + 1, len(rates), terms)
        else:
            terms = objective.energies(x)
            bad = nonfinite(terms)
            if bad:  # NOTE: the last update blew up
                status = "diverged"
            else:
                good, done, final = x, len(rates), terms
    except KeyboardInterrupt:
        status = "interrupted"
        good, done = x, len(used)
    if status == "interrupted":
        final = objective.energies(good)
    elif status == "diverged" and records:
        final = records[-1]  # NOTE: else the start's own (non-finite) energies
    n = x.shape[0]
    history = {k: numpy.array([r[k] for r in records]).reshape(len(records), n)
               for k in (records[0] if records else final)}
    return Solution(x=good, history=history, final=final, status=status,
                    iterations=done, resets=resets, nonfinite=bad if status == "diverged" else ())
