"""The command line end to end (subprocess), and its bad-input cases: a
one-line message, a non-zero exit, and no output left behind."""
import json
import os
import subprocess
import sys

import numpy
import pytest
from PIL import Image

from weights_helpers import ROOT

pytestmark = pytest.mark.slow  # every test here starts Python (invert.run) at least once
# a representation that exists without HOG or downloaded weights
FAST = ["--rep", "caffenet-random", "--layer", "conv2"]


def run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "invert.run", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd or ROOT,
                          timeout=300)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    rng = numpy.random.default_rng(0)
    Image.fromarray((rng.random((40, 48, 3)) * 255).astype(numpy.uint8)).save(path)
    return path


def test_end_to_end_writes_pngs_and_json(tmp_path, photo):
    out = tmp_path / "out"
    r = run(*FAST, "--image", photo, "--out", out, "--iters", 12, "--restarts", 2,
            "--lambda-tv", 0.5, "--seed", 3, "--quiet")
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "results.json").read_text())
    job = data["jobs"][0]
    for key in ("name", "status", "iterations", "seconds", "best", "error", "files",
                "settings", "final", "history"):
        assert key in job
    assert job["status"] == "done" and job["iterations"] == 12
    s = job["settings"]
    assert s["lambda_tv"] == 0.5 and s["seed"] == 3 and s["restarts"] == 2
    assert len(job["history"]["total"]) == 12 and len(job["history"]["total"][0]) == 2
    for name in job["files"] + ["original.png"]:
        with Image.open(out / name) as im:
            assert im.size == (48, 40)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files


def test_help_explains_the_options():
    r = run("--help")
    assert r.returncode == 0
    for flag in ("--rep", "--layer", "--image", "--out", "--lambda-tv", "--beta",
                 "--iters", "--schedule", "--restarts", "--seed", "--device"):
        assert flag in r.stdout


def bad_cases(tmp_path, photo):
    tiny = tmp_path / "tiny.png"
    Image.fromarray(numpy.zeros((5, 5, 3), numpy.uint8)).save(tiny)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    blocker = tmp_path / "file"
    blocker.write_text("")
    return {
        "missing image": ([*FAST, "--image", tmp_path / "nope.png"], "not found"),
        "unreadable image": ([*FAST, "--image", text], "image"),
        "too small": ([*FAST, "--image", tiny], "too small"),
        "unknown rep": (["--rep", "nonesuch", "--image", photo], "unknown representation"),
        "unknown layer": (["--rep", "caffenet-random", "--layer", "conv9", "--image", photo],
                          "no layer"),
        "negative lambda": ([*FAST, "--image", photo, "--lambda-tv", -1], "non-negative"),
        "negative alpha weight": ([*FAST, "--image", photo, "--lambda-alpha", -2], "non-negative"),
        "unwritable out": ([*FAST, "--image", photo, "--out", blocker / "sub"], "cannot write"),
    }


@pytest.mark.parametrize("case", ["missing image", "unreadable image", "too small",
                                  "unknown rep", "unknown layer", "negative lambda",
                                  "negative alpha weight", "unwritable out"])
def test_bad_input_fails_cleanly(tmp_path, photo, case):
    args, message = bad_cases(tmp_path, photo)[case]
    out = tmp_path / "out"
    if "--out" not in args:
        args = [*args, "--out", out]
    r = run(*args, "--iters", 4, "--quiet")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert not out.exists()


def test_divergence_is_reported_and_the_last_finite_result_kept(tmp_path, photo):
    out = tmp_path / "out"
    r = run(*FAST, "--image", photo, "--out", out, "--sigma", 1e5, "--iters", 8,
            "--preset", "cnn-paper", "--quiet")  # NOTE: the default's box would save it
    assert r.returncode == 3
    assert "diverged" in r.stderr and "Traceback" not in r.stderr
    job = json.loads((out / "results.json").read_text())["jobs"][0]
    assert job["status"] == "diverged"


def test_sigterm_stops_cleanly_and_keeps_what_was_done(tmp_path, photo):
    import signal
    import time
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "invert.run", "--rep", "hog", "--image",
                             str(photo), "--out", str(out), "--iters", "1000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)
    # the first progress line (non-terminal: one per tenth) cannot come before
    # the end, so wait for the solver by the original being written
    deadline = time.monotonic() + 60
    while not (out / "original.png").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    job = json.loads((out / "results.json").read_text())["jobs"][0]
    assert job["status"] == "interrupted" and 0 < job["iterations"] < 1000000
    with Image.open(out / "hog.png") as im:
        assert im.size == (48, 40)


def test_main_job_names_how_to_get_each_missing_network(tmp_path, monkeypatch, capsys):
    from invert import run as command
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "squeezenet1_1.h5").write_bytes(b"")
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path / "w"))  # listing honours it too
    jobs = command.main_jobs(command.parser().parse_args(["--lambda-tv", "2"]))
    assert jobs == [("hog", None, {"lambda_tv": 2.0}), ("squeezenet1_1", None, {"lambda_tv": 2.0})]
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 3
    assert any("vgg19" in n and "invert.fetch weights" in n for n in notes)
    assert any("caffenet" in n and "invert.convert" in n and "fetch" not in n for n in notes)
    jobs = command.main_jobs(command.parser().parse_args(["--preset", "dsift-paper"]))
    assert [j[0] for j in jobs] == ["dsift"]  # the preset's representation only


def test_explicit_options_beat_the_preset(tmp_path, photo):
    out = tmp_path / "out"
    r = run("--rep", "hogb", "--preset", "dsift", "--lambda-tv", 0.5, "--image", photo,
            "--out", out, "--iters", 8, "--quiet")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "results.json").read_text())["jobs"][0]["settings"]
    assert (s["rep"], s["lambda_tv"]) == ("hogb", 0.5)
    assert s["schedule"] == [[0.004, 2], [0.0004, 2], [4e-05, 2], [4e-06, 2]]  # the preset's


def test_device_comes_from_the_environment_unless_given(tmp_path, photo):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MINIGRAD_DEVICE": "tpu"}
    args = [sys.executable, "-m", "invert.run", *FAST, "--image", str(photo), "--iters", "3",
            "--out", str(tmp_path / "o"), "--quiet"]
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 1 and "unknown device 'tpu'" in r.stderr  # read, not overridden
    r = subprocess.run(args + ["--device", "cpu"], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
