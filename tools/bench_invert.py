"""Timing of one inversion iteration, for the project's benchmark.

``cases()`` returns rows ``(name, callable, flops_or_None)``; calling the
callable runs exactly one solver iteration (forward to the layer, the loss,
both priors, backward, the momentum update) on a 227x227 input:

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


def one_iteration(rep, batch=1, size=(227, 227), seed=0, lambda_tv=5.0):
    """A callable that performs one momentum step of inverting ``rep``."""
    rng = numpy.random.default_rng(seed)
    h, w = size
    image = rng.random((h, w, 3) if rep.channels == 3 else (h, w))
    dtype = backend.default_dtype()
    phi0 = rep.forward(backend.asarray(rep.to_centred(image), dtype))
    sigma = rep.sigma(h, w)
    obj = Objective(rep, phi0, sigma, lambda_alpha=(sigma / (128 * rep.unit)) ** 6 / (h * w),
                    lambda_tv=lambda_tv)
    state = {"x": random_init(rng, (batch, rep.channels, h, w), dtype)}
    state["mu"] = state["x"] * 0

    def step():
        _, grad = obj.evaluate(state["x"])
        state["mu"] = 0.9 * state["mu"] - 1e-9 * grad  # NOTE: tiny: x stays put
        state["x"] = state["x"] + state["mu"]
    return step


def iteration_case(name, layer=None, batch=1, size=(227, 227)):
    """The row ``iter/<name>[/<layer>]/b<batch>`` for any representation."""
    rep = representation.get(name, layer)
    label = "/".join(["iter", name] + ([layer] if layer else []) + [f"b{batch}"])
    return label, one_iteration(rep, batch, size), None


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
