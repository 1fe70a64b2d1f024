"""Benchmarks: time per call and achieved GFLOP/s, next to this machine's own
float32 matrix-multiply speed measured in the same run.

    python -m tools.bench                 # table
    python -m tools.bench --json          # one JSON object per line
    python -m tools.bench --only conv     # rows whose name contains 'conv'

Rows are named ``<kind>/<what>/<pass>/b<batch>``; e.g. ``layer/conv2/fwd+bwd/b1``
is one forward plus one backward to the input of CaffeNet's conv2 at its
227x227 shape. The modules of ``SOURCES`` add rows through a ``cases()``
function returning ``(name, callable, flops_or_None)``.

Timing: one warm-up call, then repeated calls until ``--min-time`` seconds
(at least three). Every row, the 2048^3 float32 GEMM included, reports two
statistics of the same calls: the median (``ms``, ``gflops``, what a run
sees) and the best (``ms_best``, ``gflops_best``, what the code does when
the machine leaves it alone). ``fraction_of_gemm`` divides median by median
and ``fraction_of_gemm_best`` best by best, never one by the other: on a
shared VM a 2 ms call is often hit by another tenant while a 100 ms GEMM
averages the hits out, so a median row over a best GEMM understates small
layers. GFLOP/s counts multiply-adds as two operations. The GEMM is
measured again after the last row (row ``gemm/.../end``); when its median
speed differs from the first by more than ``DRIFT`` the machine's speed
changed during the run and a warning on stderr says the ratios of this run
are not to be trusted.

The PyTorch peer: when PyTorch happens to be installed (it is never a
dependency), every ``iter/`` row is also timed as its PyTorch twin
(``tools.peer``: the same network, weights, objective and step), in
alternating blocks of calls so that a drift of the machine touches both,
each block after a rest (``SETTLE``) so that neither library's idle
threads still spin into the other's block;
columns ``torch ms`` and ``ours/torch`` (median over median, best over
best). Rows whose network has a layer without a translation (DSIFT) say so
on stderr. ``--no-peer`` leaves it out.

Memory: rows ``mem/<network>/<layer>/b<batch>`` (``tools.bench_memory``,
VGG-19 pool5 at batch 4) give the peak resident memory of a process running
inversion iterations, ours and the twin's, each in a fresh process: the
whole process's peak and its growth over the state before the first
iteration. They run when no ``--only`` is given or one of them names
``mem/``.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from minigrad import backend
from nets import registry

from . import bench_deep, bench_invert, bench_layers, bench_memory, bench_shallow, peer

DRIFT = 0.15  # largest tolerated change of the GEMM speed during a run
SOURCES = [bench_layers, bench_shallow, bench_invert, bench_deep]  # each has cases()


GEMM_SIZE = 2048
GEMM_FLOPS = 2 * GEMM_SIZE ** 3


def gemm_timing(xp, min_time=0.5):
    """(median ms, best ms) of a GEMM_SIZE^3 float32 product."""
    a = xp.ones((GEMM_SIZE, GEMM_SIZE), dtype=xp.float32)
    return time_call(lambda: a @ a, xp, min_time)


def _sync(xp):
    if xp is not np:  # NOTE: GPU calls are asynchronous
        xp.cuda.Stream.null.synchronize()


def _times(fn, xp, min_time, min_repeats=3, max_repeats=200):
    """Seconds of repeated calls, for at least ``min_time`` seconds."""
    times, start = [], time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < min_time
                                       and len(times) < max_repeats):
        t0 = time.perf_counter()
        fn()
        _sync(xp)
        times.append(time.perf_counter() - t0)
    return times


def _summary(times):
    return float(np.median(times)) * 1e3, min(times) * 1e3


def time_call(fn, xp, min_time=0.5, min_repeats=3, max_repeats=200):
    """(median ms, best ms) over repeated calls, after one warm-up call."""
    fn()
    _sync(xp)
    return _summary(_times(fn, xp, min_time, min_repeats, max_repeats))


SETTLE = 0.2  # seconds of rest before each block of ``time_pair``


def time_pair(fn, other, xp, min_time=0.5, rounds=2, settle=SETTLE):
    """(median ms, best ms) of ``fn`` and of ``other``, after a warm-up call
    of each: ``rounds`` blocks of each in turn, ``min_time / rounds`` seconds
    (at least two calls) per block, each block after ``settle`` seconds of
    rest. NOTE: the rest lets the threads one library leaves spinning after
    its block go to sleep before the other's block starts: OpenBLAS's spin
    for up to 2^28 cycles (about 0.1 s) where its ``OPENBLAS_THREAD_TIMEOUT``
    was not lowered (``minigrad.backend``); without it they slowed
    PyTorch's first call of each block (VGG-19 relu3_1 at batch 1: PyTorch
    241 ms, 151 ms once our threads slept at once)."""
    fn()
    other()
    _sync(xp)
    a, b = [], []
    for _ in range(rounds):
        time.sleep(settle)
        a += _times(fn, xp, min_time / rounds, min_repeats=2)
        time.sleep(settle)
        b += _times(other, xp, min_time / rounds, min_repeats=2)
    return _summary(a), _summary(b)


def twin_of(name, fn):
    """The PyTorch twin of an ``iter/`` row (None without PyTorch, without a
    translation of one of its layers, or on the GPU)."""
    make = getattr(fn, "peer", None)
    if make is None or not name.startswith("iter/") or backend.device() != "cpu":
        return None
    try:
        return make()
    except NotImplementedError as err:
        print(f"bench: no PyTorch peer for {name}: {err}", file=sys.stderr)
        return None


def collect(only=None):
    cases = []
    for module in SOURCES:
        for case in module.cases():
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
    p.add_argument("--no-peer", action="store_true",
                   help="do not time the PyTorch twin of iter/ rows even if PyTorch is installed")
    args = p.parse_args(argv)
    if args.device:
        backend.use(args.device)
    xp = backend.xp()
    with_peer = not args.no_peer and backend.device() == "cpu" and peer.available()
    gemm = gemm_timing(xp)
    rows = [result_row("gemm/2048x2048/float32", gemm, GEMM_FLOPS, gemm)]
    rows[0]["blas_core"] = backend.blas_core()
    emit(rows[0], args.json, header=(peer.version() if with_peer else "no PyTorch peer") +
         (f"; OpenBLAS {rows[0]['blas_core']} kernels" if rows[0]["blas_core"] else ""))
    pinned = pinned_warning(rows[0]["blas_core"], os.environ.get("OPENBLAS_CORETYPE"),
                            cpu_flags())
    if pinned and with_peer:
        print(pinned, file=sys.stderr)
    for name, fn, flops in collect(args.only):
        twin = twin_of(name, fn) if with_peer else None
        if twin is None:
            rows.append(result_row(name, time_call(fn, xp, args.min_time), flops, gemm))
        else:
            ours, theirs = time_pair(fn, twin, xp, args.min_time)
            rows.append(result_row(name, ours, flops, gemm, peer_timing=theirs))
        emit(rows[-1], args.json)
    if not args.only or any("mem/" in o for o in args.only):
        for row in bench_memory.rows(registry.with_weights()[0]):
            rows.append(row)
            emit_memory(row, args.json)
    rows.append(result_row("gemm/2048x2048/float32/end", gemm_timing(xp), GEMM_FLOPS, gemm))
    emit(rows[-1], args.json)
    drift = drift_warning(rows[0]["gflops"], rows[-1]["gflops"])
    if drift:
        print(drift, file=sys.stderr)
    return rows


def result_row(name, timing, flops, gemm, peer_timing=None):
    """One result: ``timing``, ``gemm`` and ``peer_timing`` (the PyTorch
    twin's, or None) are (median ms, best ms) pairs."""
    (ms, best), gemm_rate = timing, [GEMM_FLOPS / t / 1e6 for t in gemm]
    r = dict(name=name, ms=round(ms, 4), ms_best=round(best, 4), gflops=None,
             gemm_gflops=round(gemm_rate[0], 2), gemm_gflops_best=round(gemm_rate[1], 2))
    if peer_timing is not None:
        r.update(peer_ms=round(peer_timing[0], 4), peer_ms_best=round(peer_timing[1], 4),
                 ratio=round(ms / peer_timing[0], 3), ratio_best=round(best / peer_timing[1], 3))
    if flops is not None:
        rate = [flops / t / 1e6 for t in (ms, best)]
        r.update(gflops=round(rate[0], 2), gflops_best=round(rate[1], 2),
                 fraction_of_gemm=round(rate[0] / gemm_rate[0], 3),
                 fraction_of_gemm_best=round(rate[1] / gemm_rate[1], 3))
    return r


def drift_warning(start, end, limit=None):
    """A message when the GEMM speed at the end of a run is off its start by
    more than ``limit`` (default ``DRIFT``), else None."""
    change = end / start - 1
    if abs(change) <= (DRIFT if limit is None else limit):
        return None
    return (f"warning: matrix-multiply speed changed by {change:+.0%} during the run "
            f"({start:.1f} -> {end:.1f} GFLOP/s): the machine was not quiet; compare "
            f"rows only within a quiet run")


AVX512 = ("avx512f", "avx512bw", "avx512dq", "avx512vl")  # what OpenBLAS's SkylakeX kernels need


def cpu_flags():
    """The CPU's feature flags (Linux's /proc/cpuinfo), or an empty set."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def pinned_warning(core, coretype, flags):
    """A warning when the environment (``OPENBLAS_CORETYPE``) holds OpenBLAS
    to AVX2 kernels on a CPU with AVX-512, which PyTorch's oneDNN uses
    whatever that variable says; else None."""
    if not coretype or core not in ("Haswell", "Zen") or not set(AVX512) <= flags:
        return None
    return (f"note: OPENBLAS_CORETYPE={coretype} holds OpenBLAS to its {core} (AVX2) kernels "
            f"on this CPU with AVX-512, which PyTorch uses: the /torch ratios compare "
            f"different instruction sets (run with the variable unset for OpenBLAS's own "
            f"choice)")


def emit(row, as_json, header=None):
    """Print one row; ``header`` (a note on the PyTorch peer) prints the
    column titles first."""
    if as_json:
        print(json.dumps(row), flush=True)
        return
    if header:
        print(f"{'':<40} {'median':-^47} {'best':-^47}\n"
              f"{'name':<40} " + 2 * f"{'ms':>10} {'GFLOP/s':>9} {'of gemm':>8} {'torch ms':>10} "
              f"{'/torch':>7} " + f"  (gemm {row['gemm_gflops']:.1f} / "
              f"{row['gemm_gflops_best']:.1f} GFLOP/s, {backend.device()}; {header})")
    cells = []
    for ms, rate, frac, peer_ms, ratio in (
            ("ms", "gflops", "fraction_of_gemm", "peer_ms", "ratio"),
            ("ms_best", "gflops_best", "fraction_of_gemm_best", "peer_ms_best", "ratio_best")):
        known, twin = row["gflops"] is not None, "ratio" in row
        cells.append(f"{row[ms]:>10.3f} {f'{row[rate]:.1f}' if known else '-':>9} "
                     f"{f'{row[frac]:.0%}' if known else '':>8} "
                     f"{f'{row[peer_ms]:.3f}' if twin else '':>10} "
                     f"{f'{row[ratio]:.2f}' if twin else '':>7}")
    print(f"{row['name']:<40} {cells[0]} {cells[1]}", flush=True)


def emit_memory(row, as_json):
    if as_json:
        print(json.dumps(row), flush=True)
        return
    text = f"peak {row['peak_mb']:.0f} MB, iterations {row['growth_mb']:.0f} MB"
    if "peer_peak_mb" in row:
        text += (f"; torch: peak {row['peer_peak_mb']:.0f} MB, iterations "
                 f"{row['peer_growth_mb']:.0f} MB; ours/torch {row['peak_ratio']:.2f} (peak), "
                 f"{row['growth_ratio']:.2f} (iterations)")
    print(f"{row['name']:<40} {text}", flush=True)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
