"""Throughput of an experiment's grid: one process against N Dask workers,
and whether they wrote the same results.

    python -m tools.bench_grid                    # table3 on SqueezeNet, 1 vs 2 workers
    python -m tools.bench_grid --pairs 3 --limit 4 --iters 100 --workers 2
    python -m tools.bench_grid --compare OUT_A OUT_B   # only compare two outputs

Each pair runs the same ``python -m invert.run table3 --rep ... --limit
--iters --runs`` twice into fresh folders, first with ``--workers 1`` (the
in-process loop) and then with ``--workers N`` (a local Dask cluster),
every process with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and
friends in its environment, as the workers), and reports the wall time of
each command, the ratio of the two in each pair (A B A B: a change in the
machine's load hits both sides of a pair alike) and the load average
before and after. Wall time is the whole command: loading, starting the
cluster, the tasks, the tables.

``compare(a, b)`` lists the results that differ between two output
folders: every array of every ``.npz`` and its JSON summary, all but the
``seconds`` it took.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy

from invert.experiments import grid
from invert.experiments.deep import TABLE3_LAYERS
from nets import registry


def compare(a, b):
    """[(relative path, what differs)] between the results of folders a and b
    (a file missing on one side counts); empty when they are the same."""
    a, b = Path(a), Path(b)
    files = sorted({p.relative_to(a) for p in a.rglob("*.npz")}
                   | {p.relative_to(b) for p in b.rglob("*.npz")})
    diffs = []
    for rel in files:
        if not (a / rel).is_file() or not (b / rel).is_file():
            diffs.append((str(rel), "missing in " + (str(a) if not (a / rel).is_file() else str(b))))
            continue
        with numpy.load(a / rel) as fa, numpy.load(b / rel) as fb:
            if sorted(fa.files) != sorted(fb.files):
                diffs.append((str(rel), f"arrays {sorted(fa.files)} != {sorted(fb.files)}"))
                continue
            infos = [json.loads(str(f["info"])) for f in (fa, fb)]
            for info in infos:
                info.pop("seconds")
            if infos[0] != infos[1]:
                keys = [k for k in infos[0] if infos[0].get(k) != infos[1].get(k)]
                diffs.append((str(rel), f"summary differs in {keys}"))
            for k in fa.files:
                if k != "info" and not numpy.array_equal(fa[k], fb[k]):
                    diffs.append((str(rel), f"{k} differs (max |a - b| "
                                            f"{numpy.abs(fa[k] - fb[k]).max():.3g})"))
    return diffs


def default_runs(network):
    """Table 3's runs of ``network`` at each layer's default lambda_tv."""
    net = registry.get(network)
    return [f"{layer}/lambda_tv={net.default_lambda_tv(layer):g}" for layer in TABLE3_LAYERS[network]]


def timed_run(args, workers, out):
    env = {**os.environ, **grid.ONE_THREAD}
    cmd = [sys.executable, "-m", "invert.run", "table3", "--rep", args.rep, "--limit",
           str(args.limit), "--iters", str(args.iters), "--runs", ",".join(args.runs),
           "--workers", str(workers), "--out", str(out), "--quiet"]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.bench_grid", description=__doc__.split("\n")[0])
    p.add_argument("--rep", default="squeezenet1_1")
    p.add_argument("--limit", type=int, default=4, help="images (default %(default)s)")
    p.add_argument("--iters", type=int, default=100, help="iterations (default %(default)s)")
    p.add_argument("--runs", help="comma-separated runs (default: every Table 3 layer at its "
                   "default lambda_tv)")
    p.add_argument("--workers", type=int, default=2, help="workers of side B (default %(default)s)")
    p.add_argument("--pairs", type=int, default=2, help="A/B pairs (default %(default)s)")
    p.add_argument("--keep", metavar="DIR", help="keep the outputs in DIR (default: a temporary folder)")
    p.add_argument("--compare", nargs=2, metavar="DIR", help="only compare two output folders")
    args = p.parse_args(argv)
    if args.compare:
        diffs = compare(*args.compare)
        for rel, what in diffs:
            print(f"{rel}: {what}")
        print("same results" if not diffs else f"{len(diffs)} difference(s)")
        return 1 if diffs else 0
    args.runs = args.runs.split(",") if args.runs else default_runs(args.rep)
    tasks = args.limit * len(args.runs)
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench_grid-"))
    print(f"# table3 --rep {args.rep}: {len(args.runs)} runs x {args.limit} images = {tasks} tasks, "
          f"{args.iters} iterations, one BLAS thread per process; {grid.cores()} cores")
    print("| pair | 1 process (s) | tasks/min | "
          f"{args.workers} workers (s) | tasks/min | ratio | load before -> after |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    outs = []
    for k in range(args.pairs):
        load = os.getloadavg()[0]
        a = timed_run(args, 1, root / f"a{k}")
        b = timed_run(args, args.workers, root / f"b{k}")
        outs += [root / f"a{k}", root / f"b{k}"]
        print(f"| {k + 1} | {a:.1f} | {60 * tasks / a:.1f} | {b:.1f} | {60 * tasks / b:.1f} "
              f"| {a / b:.2f} | {load:.2f} -> {os.getloadavg()[0]:.2f} |", flush=True)
    diffs = [(o, d) for o in outs[1:] for d in compare(outs[0], o)]
    print(f"\nresults of all {len(outs)} runs identical to the first: {not diffs}")
    for o, (rel, what) in diffs[:10]:
        print(f"  {o}/{rel}: {what}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
