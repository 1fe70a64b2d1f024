"""tools.bench_grid.compare: two output folders hold the same results when
every array and every summary but the time taken are equal; anything else
is named."""
import json

import numpy

from invert.images import save_npz
from tools.bench_grid import compare, default_runs


def write(folder, name, recon, seconds=1.0, status="done"):
    (folder / "run").mkdir(parents=True, exist_ok=True)
    info = json.dumps(dict(status=status, seconds=seconds, settings=dict(seed=3)))
    save_npz(folder / "run" / name, recon=numpy.float32(recon), info=info)


def test_compare_ignores_the_time_taken_and_names_every_difference(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    x = numpy.random.default_rng(0).random((4, 5))
    write(a, "im0.npz", x, seconds=1.0)
    write(b, "im0.npz", x, seconds=9.0)
    assert compare(a, b) == []
    y = x.copy()
    y[1, 2] += 1e-6
    write(a, "im1.npz", x)
    write(b, "im1.npz", y)
    write(a, "im2.npz", x, status="done")
    write(b, "im2.npz", x, status="diverged")
    write(a, "im3.npz", x)
    gap = numpy.abs(numpy.float32(y) - numpy.float32(x)).max()
    assert gap > 0
    assert compare(a, b) == [("run/im1.npz", f"recon differs (max |a - b| {gap:.3g})"),
                             ("run/im2.npz", "summary differs in ['status']"),
                             ("run/im3.npz", f"missing in {b}")]


def test_default_runs_are_each_layer_at_its_own_lambda():
    runs = default_runs("squeezenet1_1")
    assert len(runs) == 15 and runs[0] == "conv1/lambda_tv=0.5" and runs[-1] == "pool10/lambda_tv=5"
