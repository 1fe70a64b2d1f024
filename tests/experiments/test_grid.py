"""invert.experiments.tasks and .grid: an experiment as a grid of tasks,
each seeded by its name; the same results in this process and on a real
local Dask cluster, after a worker is killed mid-grid, and on a rerun
(which skips everything); a failing task is named and the others go on;
without Dask the loop runs and asking for workers says how to install it."""
import dataclasses
import io
import os
import signal
import subprocess
import sys
import threading
import time

import numpy
import pytest
from PIL import Image

from invert import presets
from invert.experiments import Experiment, Run, grid, tasks
from invert import experiments
from invert.run import TaskProgress
from tools.bench_grid import compare
from weights_helpers import ROOT

HOG_RUNS = {"a": Run("hog-tiny"), "b=5": Run("hog-tiny", dict(lambda_tv=5.0)),
            "c": Run("hog-tiny", dict(beta=1.0))}


@pytest.fixture
def folder(tmp_path):
    rng = numpy.random.default_rng(0)
    (tmp_path / "images").mkdir()
    for k in range(4):
        a = (rng.random((64, 64, 3)) * 255).astype(numpy.uint8)
        Image.fromarray(a).save(tmp_path / "images" / f"im{k}.png")
    return tmp_path / "images"


@pytest.fixture
def hog_grid(monkeypatch):
    """An experiment of 3 HOG runs (no weights, loads in a blink), as the
    registry, presets and experiments of this process see it."""
    monkeypatch.setitem(presets.PRESETS, "hog-tiny", dict(rep="hog", schedule="shallow", iters=8))
    monkeypatch.setitem(experiments.EXPERIMENTS, "hog-grid",
                        Experiment("hog-grid", "HOG grid", lambda network: HOG_RUNS))


def quiet(*_):
    pass


def test_a_task_seed_comes_from_the_experiment_seed_and_the_name_only():
    seeds = {tasks.task_seed(s, n) for s in (0, 1) for n in ("a/im0", "a/im1", "b/im0")}
    assert len(seeds) == 6 and all(0 <= s < 2 ** 64 for s in seeds)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        tasks.task_seed(-1, "a/im0")


def test_a_task_costs_more_with_iterations_restarts_pixels_and_depth(folder):
    from invert import representation
    conv = representation.get("caffenet-random")
    task = tasks.make_task("r", folder / "im0.png", conv.at("conv3"), dict(iters=10), 0, 64)
    more = {"iters": dataclasses.replace(task, options={**task.options, "iters": 30}),
            "restarts": dataclasses.replace(task, options={**task.options, "restarts": 3}),
            "pixels": dataclasses.replace(task, size=128),
            "depth": dataclasses.replace(task, layer="fc8")}
    for what, other in more.items():
        assert other.cost > task.cost, what
    assert more["iters"].cost == pytest.approx(3 * task.cost)
    assert more["restarts"].cost == pytest.approx(3 * task.cost)
    assert more["pixels"].cost == pytest.approx(4 * task.cost)
    assert dataclasses.replace(task, layer=None).cost == more["depth"].cost  # None: the last layer
    assert dataclasses.replace(task, rep="not-registered").cost == more["depth"].cost
    # without iters, the length of the schedule the task runs: HOG's 800, a CNN's 400
    plain = {rep: tasks.make_task("r", folder / "im0.png", representation.get(rep), {}, 0, 64)
             for rep in ("hog", "caffenet-random")}
    assert plain["hog"].cost == 2 * plain["caffenet-random"].cost


def test_the_table_names_each_runs_extras(tmp_path, folder, hog_grid):
    experiments.run_experiment("hog-grid", folder, tmp_path / "o", limit=1, only=["a"],
                               log=quiet, judge="none", solver="adam", jitter=1, copies=2,
                               schedule=[(4.0, 8)])
    assert "solver adam, jitter 1, 2 copies, 8 iterations" in (tmp_path / "o" / "table.md").read_text()


@pytest.mark.slow
def test_a_task_seed_is_the_same_in_another_process():
    code = "from invert.experiments.tasks import task_seed; print(task_seed(7, 'conv1/im3'))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert int(other.stdout) == tasks.task_seed(7, "conv1/im3")  # not Python's hash()


def test_the_grid_is_every_run_on_every_image_seeded_by_name(folder, hog_grid):
    exp, paths, runs = experiments.plan("hog-grid", folder, seed=3)
    grid_ = experiments.task_grid(exp, paths, runs)
    assert [t.name for t in grid_[:4]] == ["a/im0", "b=5/im0", "c/im0", "a/im1"]
    assert len(grid_) == 12 and len({t.options["seed"] for t in grid_}) == 12
    assert all(t.options["seed"] == tasks.task_seed(3, t.name) for t in grid_)
    _, few, only_c = experiments.plan("hog-grid", folder, limit=2, only=["c"], seed=3)
    assert [t.key for t in experiments.task_grid(exp, few, only_c)] == \
        [t.key for t in grid_ if t.run == "c" and t.image in map(str, few)]
    changed = dataclasses.replace(grid_[0], options={**grid_[0].options, "beta": 1.5})
    assert changed.key != grid_[0].key and changed.name == grid_[0].name


def test_a_task_gives_the_same_result_whatever_runs_before_it(tmp_path, folder, hog_grid):
    experiments.run_experiment("hog-grid", folder, tmp_path / "all", limit=3, log=quiet)
    experiments.run_experiment("hog-grid", folder, tmp_path / "part", only=["c", "a"],
                               limit=2, log=quiet)
    assert len(list((tmp_path / "part").rglob("*.npz"))) == 4
    assert [d for d in compare(tmp_path / "all", tmp_path / "part")
            if "missing in" not in d[1]] == []
    assert len(list((tmp_path / "all").rglob("*.npz"))) == 9


def test_a_failing_task_is_named_and_the_others_go_on(tmp_path, folder, hog_grid, monkeypatch):
    real = tasks.load_resized
    monkeypatch.setattr(tasks, "load_resized", lambda path, *a: real(path, *a)
                        if not path.endswith("im2.png") else real(tmp_path / "gone.png"))
    logged = []
    with pytest.raises(experiments.TasksFailed, match=r"3 task\(s\) failed: a/im2: image "
                       "file not found: .*gone.png; b=5/im2") as err:
        experiments.run_experiment("hog-grid", folder, tmp_path / "out", log=logged.append)
    assert sorted(err.value.failed) == ["a/im2", "b=5/im2", "c/im2"]
    assert [r["images"] for r in err.value.rows] == [3, 3, 3]
    assert len(list((tmp_path / "out").rglob("*.npz"))) == 9
    assert any(m.startswith("failed: c/im2: image file not found") for m in logged)
    assert (tmp_path / "out" / "table.md").is_file()


def test_without_dask_the_loop_runs_and_workers_say_how_to_install(
        tmp_path, folder, hog_grid, monkeypatch):
    monkeypatch.setattr(grid, "distributed", None)
    assert grid.default_workers() == 1
    for where in (dict(workers=2), dict(scheduler="tcp://127.0.0.1:8786")):
        with pytest.raises(ValueError, match=r"needs Dask, which is not installed: pip install "
                           r"'invrep\[dask\]' \(or --workers 1 runs in this process\)"):
            experiments.run_experiment("hog-grid", folder, tmp_path / "x", **where)
    assert not (tmp_path / "x").exists()
    rows = experiments.run_experiment("hog-grid", folder, tmp_path / "y", limit=2, log=quiet)
    assert [r["images"] for r in rows] == [2, 2, 2]
    for bad, message in ((dict(workers=0), "workers must be a positive integer, got 0"),
                         (dict(workers=2, scheduler="x"), "not both")):
        with pytest.raises(ValueError, match=message):
            grid.check(**bad)


def test_task_progress_is_one_bar_over_the_tasks_with_the_workers():
    stream = io.StringIO()
    bar = TaskProgress("t3", stream)
    bar(0, 20, 2, "a/im0 1/40")
    for done in range(1, 21):
        bar(done, 20, 2, f"a/im{done}")
        bar(done, 20, 2, f"b/im{done} 5/40")  # in-process: an iteration, no new line
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("t3 [" + "#" * 30 + "] 20/20 tasks, 2 workers")
    assert "10/20 tasks, 2 workers" in lines[5]


@pytest.mark.slow
def test_the_command_line_without_dask_says_how_to_install_it(tmp_path, folder):
    code = ("import runpy, sys; sys.modules['distributed'] = None; "
            "runpy.run_module('invert.run', run_name='__main__')")
    run = subprocess.run([sys.executable, "-c", code, "table1", "--images", str(folder),
                          "--workers", "2", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and run.stderr.strip() == (
        "invert.run: error: running on 2 workers needs Dask, which is not installed: "
        "pip install 'invrep[dask]' (or --workers 1 runs in this process)")
    help_text = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True,
                               text=True, cwd=ROOT).stdout
    assert "--workers N" in help_text and "--scheduler ADDRESS" in help_text


# --- on a real local Dask cluster ------------------------------------------

distributed = pytest.importorskip("distributed", reason="the grid on Dask needs "
                                  "pip install 'invrep[dask]' (CI installs it)")
dask = pytest.importorskip("dask")


def reference(tmp_path, folder, **options):
    out = tmp_path / "in-process"
    experiments.run_experiment("hog-grid", folder, out, log=quiet, **options)
    return out


@pytest.mark.slow
def test_two_local_workers_write_what_the_in_process_loop_writes(tmp_path, folder, hog_grid):
    ref = reference(tmp_path, folder)
    logged, bar, environ = [], [], dict(os.environ)
    experiments.run_experiment("hog-grid", folder, tmp_path / "dask", workers=2,
                               log=logged.append, progress=lambda *a: bar.append(a))
    assert compare(ref, tmp_path / "dask") == []
    assert dict(os.environ) == environ  # as it was before the cluster
    assert logged[0] == "12 tasks on 2 Dask workers" and len(logged) == 1
    assert [b[:3] for b in bar] == [(k, 12, 2) for k in range(13)]
    assert (tmp_path / "dask" / "table.md").read_text().split("\n")[4:] == \
        (ref / "table.md").read_text().split("\n")[4:]  # all but the date


@pytest.fixture
def cluster(tmp_path):
    """An existing cluster of 2 workers, as `dask scheduler --scheduler-file`
    and `dask worker` make one."""
    with grid.local_cluster(2, scheduler_file=str(tmp_path / "s.json")) as c, \
            distributed.Client(c) as client:
        yield c, client


def kill_a_busy_worker(client, out, total, killed):
    """Once the first result is written, SIGKILL a worker that has a task."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.rglob("*.npz")):
        time.sleep(0.01)
    pids = client.run(os.getpid)
    busy = [w for w, keys in client.processing().items() if keys]
    killed.update(files=len(list(out.rglob("*.npz"))), worker=busy[0], tasks=client.processing()[busy[0]])
    os.kill(pids[busy[0]], signal.SIGKILL)


@pytest.mark.slow
def test_a_worker_killed_mid_grid_loses_nothing_and_a_rerun_skips_all(
        tmp_path, folder, hog_grid, cluster, monkeypatch):
    # NOTE: 300 iterations, 0.5 s a task here: the killer must find a worker busy
    monkeypatch.setitem(presets.PRESETS, "hog-tiny", dict(rep="hog", schedule="shallow", iters=300))
    ref = reference(tmp_path, folder, size=160)
    c, client = cluster
    out, killed = tmp_path / "dask", {}
    killer = threading.Thread(target=kill_a_busy_worker, args=(client, out, 12, killed))
    killer.start()
    experiments.run_experiment("hog-grid", folder, out, size=160, scheduler=c.scheduler_address,
                               log=quiet)
    killer.join()
    assert killed["files"] < 12 and killed["tasks"], killed  # it died with work in hand
    assert compare(ref, out) == []
    loads = client.run(lambda: tasks.LOADS["hog"])  # the restarted worker's and the other's
    assert len(loads) == 2 and set(loads.values()) <= {0, 1} and 1 in loads.values()
    environ = client.run(lambda: [os.environ.get(k) for k in grid.PRE_SPAWN])
    assert list(environ.values()) == [["1", "1", "1", None]] * 2  # restarted one too
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.npz")}
    logged = []
    experiments.run_experiment("hog-grid", folder, out, size=160, scheduler=c.scheduler_address,
                               log=logged.append)
    assert logged == [] and {p: p.stat().st_mtime_ns for p in out.rglob("*.npz")} == stamps


@pytest.mark.slow
def test_on_dask_the_longest_tasks_start_first_one_per_worker_quietly(tmp_path, folder, hog_grid):
    exp, paths, runs = experiments.plan("hog-grid", folder, limit=2)
    work = [(dataclasses.replace(t, options={**t.options, "iters": 4 + 3 * k}), tmp_path / f"{k}.npz")
            for k, t in enumerate(experiments.task_grid(exp, paths, runs))]
    with grid.local_cluster(1) as c, distributed.Client(c) as client:
        settings = client.run(lambda: {k: dask.config.get(k) for k in grid.QUIET})
        outcome = grid.run(work[::2] + work[1::2], scheduler=c.scheduler_address, log=quiet)
    assert list(settings.values()) == [grid.QUIET] and not outcome.failed, outcome.failed
    # one worker runs them one after the other, so they finish in the order they start
    assert outcome.done == [t.name for t, _ in sorted(work, key=lambda w: -w[0].cost)]


@pytest.mark.slow
def test_a_failing_task_on_dask_is_named_and_the_others_go_on(tmp_path, folder, hog_grid, cluster):
    c, client = cluster
    exp, paths, runs = experiments.plan("hog-grid", folder, limit=2)
    work = [(t, tmp_path / "o" / f"{k}.npz") for k, t in enumerate(experiments.task_grid(exp, paths, runs))]
    (tmp_path / "bad.png").write_text("not a picture")
    work[1] = (dataclasses.replace(work[1][0], source=str(tmp_path / "bad.png")), work[1][1])
    outcome = grid.run(work, scheduler=tmp_path / "s.json", log=quiet)
    assert outcome.failed == {"b=5/im0": f"not an image format Pillow can read: {tmp_path / 'bad.png'}"}
    assert sorted(outcome.done) == sorted(t.name for t, _ in work if t.name != "b=5/im0")
    assert sorted(p.name for p in (tmp_path / "o").glob("*.npz")) == [f"{k}.npz" for k in (0, 2, 3, 4, 5)]


@pytest.mark.slow
def test_ctrl_c_cancels_the_grid_and_a_rerun_finishes_it(tmp_path, folder):
    out = tmp_path / "out"
    # NOTE: a terminal's Ctrl-C is SIGINT to the whole process group, workers included
    code = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "runpy.run_module('invert.run', run_name='__main__')")
    # NOTE: table1-best, whose tasks run their iterations (0.3-0.8 s each here): the
    # paper's step diverges at once on these noise pictures, and tasks of a few
    # milliseconds all finished before the Ctrl-C on a loaded machine
    cmd = [sys.executable, "-c", code, "table1-best", "--images", str(folder), "--runs",
           "HOG,DSIFT", "--size", "128", "--iters", "200", "--workers", "2", "--out", str(out),
           "--quiet"]
    run = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(out.rglob("*.npz")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGINT)
    _, err = run.communicate(timeout=120)
    finished = sorted(p.name for p in out.rglob("*.npz"))
    assert run.returncode == 130 and "interrupted; finished results and tables are in" in err
    assert 1 <= len(finished) < 8 and not list(out.rglob(".*.tmp"))
    assert "Traceback" not in err
    again = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"{8 - len(finished)} tasks on 2 Dask workers" in again.stdout
    assert sorted(p.name for p in out.rglob("*.npz")) == sorted([f"im{k}.npz" for k in range(4)] * 2)
    one = cmd[:-5] + ["--workers", "1", "--out", str(tmp_path / "one"), "--quiet"]
    whole = subprocess.run(one, cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, **grid.ONE_THREAD})
    assert whole.returncode == 0, whole.stderr
    assert compare(tmp_path / "one", out) == []
