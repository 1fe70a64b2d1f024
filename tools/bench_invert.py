"""Timing of one inversion iteration, for the project's benchmark.

``cases()`` returns rows ``(name, callable, flops_or_None)``; calling the
callable (an ``Iteration``) runs exactly one solver iteration (forward to the
layer, the loss, both priors, backward, the momentum update) on a 227x227
input, and its ``peer()`` the same iteration in PyTorch when it is installed
(``tools.peer``):

* ``iter/hog/b1``, ``iter/dsift/b1``: grayscale, batch 1;
* ``iter/<network>/<layer>/b<batch>``: any representation, layer and batch
  through ``iteration_case`` (e.g. ``iteration_case("caffenet-random",
  "conv3", 4)``).

    python -m tools.bench_invert            # prints ms per iteration
"""
import sys
import time

import numpy

from invert import representation
from invert.objective import Objective
from invert.solver import random_init
from minigrad import backend

from . import peer


class Iteration:
    """One momentum step of inverting ``rep`` per call (batch of ``batch``
    restarts at ``size``), its state built on the first call; ``peer()``
    gives the same step in PyTorch (``tools.peer``) from the same start,
    or None when PyTorch is not installed."""

    def __init__(self, rep, batch=1, size=(227, 227), seed=0, lambda_tv=5.0):
        self.rep, self.batch, self.size = rep, batch, size
        self.seed, self.lambda_tv = seed, lambda_tv
        self.obj = None

    def _build(self):
        backend.keep_freed_memory()  # NOTE: as every inversion does (invert.api)
        rep, (h, w) = self.rep, self.size
        rng = numpy.random.default_rng(self.seed)
        image = rng.random((h, w, 3) if rep.channels == 3 else (h, w))
        dtype = backend.default_dtype()
        phi0 = rep.forward(backend.asarray(rep.to_centred(image), dtype))
        sigma = rep.sigma(h, w)
        self.obj = Objective(rep, phi0, sigma, lambda_tv=self.lambda_tv,
                             lambda_alpha=(sigma / (128 * rep.unit)) ** 6 / (h * w))
        self.x0 = random_init(rng, (self.batch, rep.channels, h, w), dtype)
        self.state = {"x": self.x0, "mu": self.x0 * 0}

    def __call__(self):
        if self.obj is None:
            self._build()
        _, grad = self.obj.evaluate(self.state["x"])
        self.state["mu"] = 0.9 * self.state["mu"] - 1e-9 * grad  # NOTE: tiny: x stays put
        self.state["x"] = self.state["x"] + self.state["mu"]

    def peer(self):
        if not peer.available():
            return None
        if self.obj is None:
            self._build()
        return peer.iteration(self.obj, backend.to_numpy(self.x0), 0.9, 1e-9)


def iteration_case(name, layer=None, batch=1, size=(227, 227)):
    """The row ``iter/<name>[/<layer>]/b<batch>`` for any representation."""
    rep = representation.get(name, layer)
    label = "/".join(["iter", name] + ([layer] if layer else []) + [f"b{batch}"])
    return label, Iteration(rep, batch, size), None


def cases():
    return [iteration_case(name) for name in ("hog", "dsift")]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rows = cases() if not argv else [iteration_case(argv[0], *(argv[1:2] or [None]),
                                                    *[int(a) for a in argv[2:3]])]
    for name, fn, _ in rows:
        fn()  # warm up
        n, start = 0, time.perf_counter()
        while n < 3 or time.perf_counter() - start < 2.0:
            fn()
            n += 1
        print(f"{name}: {1000 * (time.perf_counter() - start) / n:.1f} ms/iteration")


if __name__ == "__main__":
    main()
