"""Peak resident memory of inversion iterations, ours and (when PyTorch is
installed) its PyTorch twin (``tools.peer``), each in a process of its own.

    python -m tools.bench_memory vgg19 pool5 4            # ours, one JSON line
    python -m tools.bench_memory vgg19 pool5 4 --peer     # the twin

One process builds the iteration (network, target code, start), reads its
resident set (``rss_mb``), resets the kernel's peak counter (Linux: "5"
into /proc/self/clear_refs), runs ``--iterations`` iterations and reads the
peak (``peak_mb``, VmHWM). ``growth_mb`` = peak - rss is what the
iterations themselves hold at their peak: activations, gradients, buffers.
``peak_mb`` is the whole process (interpreter, libraries, weights) at that
moment. Where the counter cannot be reset, ``peak_mb`` is the process's
peak since it started and ``reset`` is false.

``rows()`` runs both for every case of ``CASES`` and returns rows for
``tools.bench`` (``mem/<network>/<layer>/b<batch>``).
"""
import argparse
import json
import subprocess
import sys

from invert import representation

from . import peer
from .bench_deep import SIZE
from .bench_invert import Iteration

CASES = [("vgg19", "pool5", 4)]


def _status(field):
    """A /proc/self/status field in MB (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(network, layer, batch, twin=False, iterations=2):
    """{rss_mb, peak_mb, growth_mb, reset} of ``iterations`` iterations."""
    ours = Iteration(representation.get(network, layer), batch, SIZE)
    ours._build()
    step = ours.peer() if twin else ours
    if step is None:
        raise RuntimeError("PyTorch is not installed")
    rss = _status("VmRSS")
    reset = _reset_peak()
    for _ in range(iterations):
        step()
    peak = _status("VmHWM")
    return dict(rss_mb=round(rss, 1), peak_mb=round(peak, 1), growth_mb=round(peak - rss, 1),
                reset=reset)


def run(network, layer, batch, twin=False):
    """``measure`` in a fresh process (so that nothing else shares its peak)."""
    cmd = [sys.executable, "-m", "tools.bench_memory", network, layer, str(batch)]
    out = subprocess.run(cmd + (["--peer"] if twin else []), capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def rows(have):
    """One row per case whose network has weights (``have``)."""
    out = []
    for network, layer, batch in CASES:
        if network not in have:
            print(f"bench_memory: skipping {network}: no weights file", file=sys.stderr)
            continue
        row = dict(name=f"mem/{network}/{layer}/b{batch}", **run(network, layer, batch))
        if peer.available():
            twin = run(network, layer, batch, twin=True)
            row.update({f"peer_{k}": v for k, v in twin.items()},
                       growth_ratio=round(row["growth_mb"] / twin["growth_mb"], 2),
                       peak_ratio=round(row["peak_mb"] / twin["peak_mb"], 2))
        out.append(row)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.bench_memory", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("network")
    p.add_argument("layer")
    p.add_argument("batch", type=int)
    p.add_argument("--peer", action="store_true", help="the PyTorch twin instead of ours")
    p.add_argument("--iterations", type=int, default=2)
    a = p.parse_args(argv)
    print(json.dumps(measure(a.network, a.layer, a.batch, a.peer, a.iterations)))


if __name__ == "__main__":
    main()
