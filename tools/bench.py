"""Benchmarks: time per call and achieved GFLOP/s, next to this machine's own
float32 matrix-multiply speed measured in the same run.

    python -m tools.bench                 # table
    python -m tools.bench --json          # one JSON object per line
    python -m tools.bench --only conv     # rows whose name contains 'conv'

Rows are named ``<kind>/<what>/<pass>/b<batch>``; e.g. ``layer/conv2/fwd+bwd/b1``
is one forward plus one backward to the input of CaffeNet's conv2 at its
227x227 shape. Other modules add rows through a ``cases()`` function
returning ``(name, callable, flops_or_None)`` (see ``SOURCES``).

Timing: one warm-up call, then repeated calls until ``--min-time`` seconds
(at least three); the median is reported. GFLOP/s counts multiply-adds as
two operations; ``gemm_gflops`` is the best of a few 2048^3 float32 products.
The GEMM is measured again after the last row (row ``gemm/.../end``); when
the two differ by more than ``DRIFT`` the machine's speed changed during the
run (other load, a noisy VM) and a warning on stderr says the ratios of this
run are not to be trusted.
"""
import argparse
import importlib
import json
import sys
import time

import numpy as np

from minigrad import backend

DRIFT = 0.15  # largest tolerated change of the GEMM speed during a run
# modules that contribute rows through cases(); absent ones are skipped
SOURCES = ["tools.bench_layers", "tools.bench_shallow", "tools.bench_invert",
           "tools.bench_deep"]


def gemm_gflops(xp, size=2048, repeats=3):
    a = xp.ones((size, size), dtype=xp.float32)
    a @ a
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ a
        _sync(xp)
        best = min(best, time.perf_counter() - t0)
    return 2 * size ** 3 / best / 1e9


def _sync(xp):
    if xp is not np:  # NOTE: GPU calls are asynchronous
        xp.cuda.Stream.null.synchronize()


def time_call(fn, xp, min_time=0.5, min_repeats=3, max_repeats=200):
    fn()
    _sync(xp)
    times, start = [], time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < min_time
                                       and len(times) < max_repeats):
        t0 = time.perf_counter()
        fn()
        _sync(xp)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def collect(only=None):
    cases = []
    for module in SOURCES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name == module:
                continue
            raise
        for case in mod.cases():
            if not only or any(o in case[0] for o in only):
                cases.append(case)
    return cases


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--only", nargs="*", help="keep rows whose name contains any of these")
    p.add_argument("--min-time", type=float, default=0.5,
                   help="seconds of repeated calls per row (default 0.5)")
    p.add_argument("--device", choices=backend.DEVICES, default=None,
                   help="cpu (NumPy) or gpu (CuPy); default MINIGRAD_DEVICE or cpu")
    args = p.parse_args(argv)
    if args.device:
        backend.use(args.device)
    xp = backend.xp()
    gemm = gemm_gflops(xp)
    rows = [gemm_row("gemm/2048x2048/float32", gemm, gemm)]
    emit(rows[0], args.json, header=True)
    for name, fn, flops in collect(args.only):
        ms = time_call(fn, xp, args.min_time)
        row = dict(name=name, ms=round(ms, 4),
                   gflops=None if flops is None else round(flops / ms / 1e6, 2),
                   gemm_gflops=round(gemm, 2))
        if flops is not None:
            row["fraction_of_gemm"] = round(flops / ms / 1e6 / gemm, 3)
        rows.append(row)
        emit(row, args.json)
    end = gemm_gflops(xp)
    rows.append(gemm_row("gemm/2048x2048/float32/end", end, gemm))
    emit(rows[-1], args.json)
    drift = drift_warning(gemm, end)
    if drift:
        print(drift, file=sys.stderr)
    return rows


def gemm_row(name, gflops, reference, size=2048):
    return dict(name=name, ms=round(2 * size ** 3 / gflops / 1e6, 4), gflops=round(gflops, 2),
                gemm_gflops=round(reference, 2))


def drift_warning(start, end, limit=None):
    """A message when the GEMM speed at the end of a run is off its start by
    more than ``limit`` (default ``DRIFT``), else None."""
    change = end / start - 1
    if abs(change) <= (DRIFT if limit is None else limit):
        return None
    return (f"warning: matrix-multiply speed changed by {change:+.0%} during the run "
            f"({start:.1f} -> {end:.1f} GFLOP/s): the machine was not quiet; compare "
            f"rows only within a quiet run")


def emit(row, as_json, header=False):
    if as_json:
        print(json.dumps(row), flush=True)
        return
    if header:
        print(f"{'name':<40} {'ms':>10} {'GFLOP/s':>9} {'of gemm':>8}   "
              f"(gemm {row['gemm_gflops']:.1f} GFLOP/s, {backend.device()})")
    g = "-" if row["gflops"] is None else f"{row['gflops']:.1f}"
    f = "" if row["gflops"] is None else f"{row['gflops'] / row['gemm_gflops']:.0%}"
    print(f"{row['name']:<40} {row['ms']:>10.3f} {g:>9} {f:>8}", flush=True)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
