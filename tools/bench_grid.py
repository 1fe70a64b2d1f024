"""Throughput of an experiment's grid: one process against N Dask workers,
and whether they wrote the same results.

    python -m tools.bench_grid                    # table3 on SqueezeNet, 1 vs 2 workers
    python -m tools.bench_grid --pairs 3 --limit 4 --iters 100 --workers 2
    python -m tools.bench_grid --compare OUT_A OUT_B   # only compare two outputs
    OPENBLAS_NUM_THREADS=1 python -m tools.bench_grid --task-times vgg19 --iters 40

Each pair runs the same ``python -m invert.run table3 --rep ... --limit
--iters --runs`` twice into fresh folders, first with ``--workers 1`` (the
in-process loop) and then with ``--workers N`` (a local Dask cluster),
every process with one BLAS thread (``OPENBLAS_NUM_THREADS=1`` and
friends in its environment, as the workers), and reports the wall time of
each command, the ratio of the two in each pair (A B A B: a change in the
machine's load hits both sides of a pair alike) and the load average
before and after. Wall time is the whole command: loading, starting the
cluster, the tasks, the tables. The CPU time of each command (its worker
processes included) tells what the load cannot: on a machine shared with
other programs, N workers get a larger share of the cores than one
process, so the wall-time ratio is only the speed-up when the machine is
otherwise idle, while "CPU s per task B/A" (1.00: the workers do each task
as cheaply as one process; more: they slow each other, e.g. through the
memory bus, or Dask costs) holds under any load.

``compare(a, b)`` lists the results that differ between two output
folders: every array of every ``.npz`` and its JSON summary, all but the
``seconds`` it took.

``--task-times NETWORK`` times one Table 3 task per layer (the first photo,
the layer's default lambda_tv, ``--iters`` iterations; CaffeNet through its
random-weight stand-in, which costs the same) in this process, which must
have one BLAS thread like a worker, and prints what the full Table 3 (100
photos x its layers x 3 lambda_tv, 400 iterations each) costs: the CPU
times are scaled by 400 / ``--iters`` (the iterations dominate: the set-up
is one forward pass) and divided among N workers (a lower bound: no task is
split, so never less than the longest task).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy

from invert import representation
from invert.experiments import grid, load_resized
from invert.experiments.deep import LAMBDAS, TABLE3_LAYERS
from invert.experiments.tasks import execute, make_task
from invert.settings import choose
from nets import registry

PAPER_IMAGES, PAPER_ITERS = 100, 400
STAND_IN = {"caffenet": "caffenet-random"}  # same arithmetic, random weights


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


def task_times(network, images, iters):
    """[(layer, CPU seconds, wall seconds)] of one Table 3 task per layer of
    ``network`` (with one BLAS thread, CPU time is what the task costs a
    core of its own, whatever else runs on the machine)."""
    rep = representation.get(STAND_IN.get(network, network))
    image = sorted(Path(images).iterdir())[0]
    load_resized(image, 227, True)  # NOTE: a bad photo fails here, not in a timing
    times = []
    for layer in TABLE3_LAYERS[network]:
        _, _, options = choose(preset="cnn", layer=layer, iters=iters,
                               lambda_tv=registry.get(network).default_lambda_tv(layer))
        task = make_task(layer, image, rep.at(layer), options, 0, 227, True)
        cpu, wall = time.process_time(), time.perf_counter()
        execute(task, rep.at(layer))
        times.append((layer, time.process_time() - cpu, time.perf_counter() - wall))
    return times


def print_costs(network, times, iters, workers=(1, 2, 16, 100, 1000)):
    scale = PAPER_ITERS / iters
    print(f"# {network}: one Table 3 task per layer, {iters} iterations, one BLAS thread; "
          f"load {os.getloadavg()[0]:.2f}\n")
    print(f"| layer | CPU s | wall s | CPU s x {PAPER_ITERS} / {iters} |\n| --- | --- | --- | --- |")
    for layer, t, wall in times:
        print(f"| {layer} | {t:.2f} | {wall:.2f} | {t * scale:.1f} |")
    per_lambda = sum(t for _, t, _ in times) * scale * PAPER_IMAGES
    tasks = PAPER_IMAGES * len(times) * len(LAMBDAS)
    print(f"\nfull Table 3: {PAPER_IMAGES} photos x {len(times)} layers x {len(LAMBDAS)} "
          f"lambda_tv = {tasks} tasks, {per_lambda * len(LAMBDAS) / 3600:.1f} CPU-hours")
    print("| workers | " + " | ".join(map(str, workers)) + " |")
    print("| --- " * (len(workers) + 1) + "|")
    longest = max(t for _, t, _ in times) * scale
    print("| hours | " + " | ".join(
        f"{max(per_lambda * len(LAMBDAS) / n, longest) / 3600:.2f}" for n in workers) + " |")


def timed_run(args, workers, out):
    """(wall seconds, CPU seconds) of one command, its worker processes included."""
    env = {**os.environ, **grid.ONE_THREAD}
    cmd = [sys.executable, "-m", "invert.run", "table3", "--rep", args.rep, "--limit",
           str(args.limit), "--iters", str(args.iters), "--runs", ",".join(args.runs),
           "--workers", str(workers), "--out", str(out), "--quiet"]
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


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
    p.add_argument("--task-times", metavar="NETWORK", choices=sorted(TABLE3_LAYERS),
                   help="only time one task per Table 3 layer and print the full table's cost")
    p.add_argument("--images", default="data/images/imagenet", help="photos (default %(default)s)")
    args = p.parse_args(argv)
    if args.task_times:
        if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            p.error("time tasks as a worker runs them: OPENBLAS_NUM_THREADS=1 python -m "
                    "tools.bench_grid --task-times ...")
        print_costs(args.task_times, task_times(args.task_times, args.images, args.iters),
                    args.iters)
        return 0
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
    print("| pair | 1 process: wall s (CPU s) | tasks/min | "
          f"{args.workers} workers: wall s (CPU s) | tasks/min | ratio | CPU s per task B/A "
          "| load before -> after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    outs = []
    for k in range(args.pairs):
        load = os.getloadavg()[0]
        (a, cpu_a), (b, cpu_b) = (timed_run(args, n, root / f"{side}{k}")
                                  for n, side in ((1, "a"), (args.workers, "b")))
        outs += [root / f"a{k}", root / f"b{k}"]
        print(f"| {k + 1} | {a:.1f} ({cpu_a:.0f}) | {60 * tasks / a:.1f} | {b:.1f} ({cpu_b:.0f}) "
              f"| {60 * tasks / b:.1f} | {a / b:.2f} | {cpu_b / cpu_a:.2f} "
              f"| {load:.2f} -> {os.getloadavg()[0]:.2f} |", flush=True)
    diffs = [(o, d) for o in outs[1:] for d in compare(outs[0], o)]
    print(f"\nresults of all {len(outs)} runs identical to the first: {not diffs}")
    for o, (rel, what) in diffs[:10]:
        print(f"  {o}/{rel}: {what}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
