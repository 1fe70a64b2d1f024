"""Where one inversion iteration spends its time, layer by layer: the same
iteration as the benchmark's ``iter/`` rows (``tools.bench_invert``), with
every layer's forward and backward timed.

    python -m tools.profile_iter vgg19 pool5 --batch 4
    python -m tools.profile_iter caffenet-random fc8
    python -m tools.profile_iter hog --top 5

Each layer's ``forward`` and ``backward`` are wrapped with a timer for
``--iters`` iterations after one warm-up; "rest" is what the iteration
spends outside the network's layers (the loss, the priors, the step). The
table lists the costliest lines, their share of the iteration, and each
kind of layer's total. Timers cost a few microseconds per call, nothing
beside layers of a millisecond, so the iteration's time is the benchmark's.
"""
import argparse
import sys
import time
from collections import defaultdict

from invert import representation

from .bench_invert import Iteration


def timed(layer, name, spent):
    """Wrap ``layer``'s forward and backward to add their seconds to ``spent``."""
    for kind in ("forward", "backward"):
        inner = getattr(layer, kind)

        def wrapper(*args, _inner=inner, _key=(name, type(layer).__name__, kind), **kwargs):
            start = time.perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_key] += time.perf_counter() - start
        setattr(layer, kind, wrapper)


def profile(name, layer=None, batch=1, size=227, iters=3):
    """({(layer, kind of layer, "forward"/"backward"): seconds per iteration},
    seconds per iteration in all)."""
    rep = representation.get(name, layer)
    step = Iteration(rep, batch, (size, size))
    step()  # NOTE: warm-up, and builds the state
    spent = defaultdict(float)
    for lname in rep.net.names:
        timed(rep.net[lname], lname, spent)
    start = time.perf_counter()
    for _ in range(iters):
        step()
    total = (time.perf_counter() - start) / iters
    return {k: v / iters for k, v in spent.items()}, total


def report(name, layer, batch, size, spent, total, top):
    lines = [f"# {name}{'/' + layer if layer else ''}, batch {batch}, {size}x{size}: "
             f"{1e3 * total:.1f} ms per iteration", "",
             "| layer | kind | pass | ms | share |", "| --- | --- | --- | --- | --- |"]
    for (lname, kind, which), s in sorted(spent.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| {lname} | {kind} | {which} | {1e3 * s:.1f} | {100 * s / total:.1f} % |")
    rest = total - sum(spent.values())
    lines.append(f"| (rest: loss, priors, step) | | | {1e3 * rest:.1f} | {100 * rest / total:.1f} % |")
    kinds = defaultdict(float)
    for (_, kind, which), s in spent.items():
        kinds[f"{kind} {which}"] += s
    lines += ["", "| kind of layer, pass | ms | share |", "| --- | --- | --- |"]
    for kind, s in sorted(kinds.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {kind} | {1e3 * s:.1f} | {100 * s / total:.1f} % |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.profile_iter",
                                description=__doc__.split("\n")[0])
    p.add_argument("network")
    p.add_argument("layer", nargs="?")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--size", type=int, default=227)
    p.add_argument("--iters", type=int, default=3, help="timed iterations (default %(default)s)")
    p.add_argument("--top", type=int, default=10, help="lines listed (default %(default)s)")
    args = p.parse_args(argv)
    try:
        spent, total = profile(args.network, args.layer, args.batch, args.size, args.iters)
    except ValueError as err:  # NOTE: an unknown network or layer, missing weights
        print(f"python -m tools.profile_iter: error: {err}", file=sys.stderr)
        return 2
    print(report(args.network, args.layer, args.batch, args.size, spent, total, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
