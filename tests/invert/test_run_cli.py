"""The command line end to end (subprocess): the files it writes, --out as a
folder or one picture, the inputs people have (16-bit, EXIF-rotated,
transparent), and its bad-input table: a one-line message naming the
problem, the exit status, no traceback, and no output left behind."""
import json
import os
import subprocess
import sys

import numpy
import pytest
from PIL import Image

from image_files import write_tiff
from invert import presets
from nets import cnn
from nets.weights import save_weights
from weights_helpers import ROOT

pytestmark = pytest.mark.slow  # every test here starts Python (invert.run) at least once
# a representation that exists without HOG or downloaded weights
FAST = ["--rep", "caffenet-random", "--layer", "conv2"]


def run(*args, cwd=None, env=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "invert.run", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd or ROOT,
                          timeout=300)


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


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


@pytest.fixture(scope="module")
def bad_weights(tmp_path_factory):
    """Weights folders whose squeezenet1_1.h5 is not HDF5 / holds a NaN."""
    garbage, nan = tmp_path_factory.mktemp("garbage"), tmp_path_factory.mktemp("nan")
    (garbage / "squeezenet1_1.h5").write_bytes(b"not HDF5 at all" * 100)
    weights = cnn.random_weights(cnn.squeezenet1_1_shapes(), numpy.random.default_rng(0))
    weights["fire3_expand3x3/w"][0, 0, 0, 0] = numpy.nan
    save_weights(str(nan / "squeezenet1_1.h5"), weights, dict(
        architecture="squeezenet1_1", source_package="test", input_order="RGB",
        input_scale=255.0, mean_rgb=[123.0, 117.0, 104.0], input_size=[224, 224]))
    return garbage, nan


def bad_cases(tmp_path, photo, bad_weights):
    """name -> (arguments, exit status, what the one-line message must say, env)."""
    tiny = tmp_path / "tiny.png"
    Image.fromarray(numpy.zeros((5, 5, 3), numpy.uint8)).save(tiny)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    cut = tmp_path / "cut.png"
    cut.write_bytes(photo.read_bytes()[:200])
    white = tmp_path / "white.png"
    Image.new("RGB", (48, 40), "white").save(white)
    wide = tmp_path / "wide.tif"
    write_tiff(wide, numpy.linspace(0, 255, 40 * 48, dtype=numpy.float32).reshape(40, 48))
    blocker = tmp_path / "file"
    blocker.write_text("")
    folder = tmp_path / "looks.png"
    folder.mkdir()
    garbage, nan = bad_weights
    squeeze = ["--rep", "squeezenet1_1", "--image", photo]
    return {
        # what worked before: keep it
        "missing image": ([*FAST, "--image", tmp_path / "nope.png"], 1, ["not found"], None),
        "unreadable image": ([*FAST, "--image", text], 1, ["not an image format"], None),
        "truncated image": ([*FAST, "--image", cut], 1, ["cannot read image", "cut.png"], None),
        "too small": ([*FAST, "--image", tiny], 1, ["too small"], None),
        "unknown rep": (["--rep", "nonesuch", "--image", photo], 1,
                        ["unknown representation"], None),
        "unknown layer": (["--rep", "caffenet-random", "--layer", "conv9", "--image", photo], 1,
                          ["no layer 'conv9'"], None),
        "negative lambda": ([*FAST, "--image", photo, "--lambda-tv", -1], 1,
                            ["lambda_tv must be", ">= 0, got -1"], None),
        "negative alpha weight": ([*FAST, "--image", photo, "--lambda-alpha", -2], 1,
                                  ["lambda_alpha must be", ">= 0, got -2"], None),
        "unwritable out": ([*FAST, "--image", photo, "--out", blocker / "sub"], 1,
                           ["cannot write"], None),
        "corrupt weights": (squeeze, 1, ["squeezenet1_1", "corrupted or truncated"],
                            {"INVREP_WEIGHTS": str(garbage)}),
        "NaN weights": (squeeze, 1, ["fire3_expand3x3", "non-finite values"],
                        {"INVREP_WEIGHTS": str(nan)}),
        "all-zero target": (["--rep", "hog", "--image", white], 1, ["all zeros"], None),
        # the table
        "infinite lambda_tv": ([*FAST, "--image", photo, "--lambda-tv", "inf"], 1,
                               ["lambda_tv must be 'auto' or a finite number >= 0, got inf"], None),
        "huge lambda_alpha": ([*FAST, "--image", photo, "--lambda-alpha", "1e300"], 3,
                              ["diverged at the first iteration", "alpha term"], None),
        "negative iters": ([*FAST, "--image", photo, "--iters", -5], 1,
                           ["iters must be an integer >= 1, got -5"], None),
        "window beyond the code": ([*FAST, "--image", photo, "--window", 1000], 1,
                                   ["window must be an integer from 1 to 4",
                                    "conv2 is 4x5 neurons", "got 1000"], None),
        # more numbers, images and --out
        "NaN sigma": ([*FAST, "--image", photo, "--sigma", "nan"], 1,
                      ["sigma must be 'auto', 'paper' or a finite number > 0, got nan"], None),
        "infinite beta": ([*FAST, "--image", photo, "--beta", "inf"], 1,
                          ["beta must be a finite number > 0, got inf"], None),
        "no restarts": ([*FAST, "--image", photo, "--restarts", 0], 1,
                        ["restarts must be an integer >= 1, got 0"], None),
        "negative seed": ([*FAST, "--image", photo, "--seed", -1], 1,
                          ["seed must be an integer >= 0, got -1"], None),
        "fewer iters than segments": ([*FAST, "--image", photo, "--iters", 2,
                                      "--schedule", "shallow"], 1,
                                     ["iters must be an integer >= 4", "'shallow'"], None),
        "float image beyond [0, 1]": ([*FAST, "--image", wide], 1,
                                      ["wide.tif", "span [0, 255]", "outside [0, 1]"], None),
        "one picture, several reps": (["--image", photo, "--out", tmp_path / "r.png"], 1,
                                      ["--out", "r.png names one picture", "--rep"], None),
        "picture that is a folder": ([*FAST, "--image", photo, "--out", folder], 1,
                                     ["looks.png names a picture, but it is a folder"], None),
        "experiment into a picture": (["table1", "--images", tmp_path, "--out",
                                       tmp_path / "t.png"], 1, ["writes a folder"], None),
        "experiment limit 0": (["table1", "--images", tmp_path, "--limit", 0], 1,
                               ["limit must be an integer >= 1, got 0"], None),
    }


BAD = ["missing image", "unreadable image", "truncated image", "too small", "unknown rep",
       "unknown layer", "negative lambda", "negative alpha weight", "unwritable out",
       "corrupt weights", "NaN weights", "all-zero target", "infinite lambda_tv",
       "huge lambda_alpha", "negative iters", "window beyond the code", "NaN sigma",
       "infinite beta", "no restarts", "negative seed", "fewer iters than segments",
       "float image beyond [0, 1]", "one picture, several reps", "picture that is a folder",
       "experiment into a picture", "experiment limit 0"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_fails_cleanly(tmp_path, photo, bad_weights, case):
    args, status, message, env = bad_cases(tmp_path, photo, bad_weights)[case]
    out = tmp_path / "out"
    if "--out" not in args:
        args = [*args, "--out", out]
    before = files_under(tmp_path)
    r = run("--iters", 4, "--quiet", *args, env=env)  # NOTE: the case's own --iters wins
    assert r.returncode == status, r.stderr
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.strip().splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and all(m in lines[0] for m in message), r.stderr
    if status == 3:  # diverged: the last finite result, and why, are written
        job = json.loads((out / "results.json").read_text())["jobs"][0]
        assert job["status"] == "diverged" and "alpha" in job["nonfinite"]
        assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files
    else:
        assert files_under(tmp_path) == before  # nothing written, nothing half-written


def test_divergence_is_reported_and_the_last_finite_result_kept(tmp_path, photo):
    out = tmp_path / "out"
    r = run(*FAST, "--image", photo, "--out", out, "--sigma", 1e5, "--iters", 8,
            "--preset", "cnn-paper", "--quiet")  # NOTE: the default's box would save it
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    job = json.loads((out / "results.json").read_text())["jobs"][0]
    assert job["status"] == "diverged" and 0 < job["iterations"] < 8
    assert f"diverged after {job['iterations']} iteration" in r.stderr
    assert all(f"the {t}" in r.stderr for t in job["nonfinite"] if t == "gradient")
    assert len(job["history"]["total"]) == job["iterations"] + 1  # the last: the x written


def test_inputs_people_have_are_read_as_they_look(tmp_path):
    rng = numpy.random.default_rng(0)
    grey = (rng.random((40, 48)) * 20000 + 22000).astype(numpy.uint16)  # a mid-grey picture
    Image.fromarray(grey).save(tmp_path / "grey16.png")
    r = run(*FAST, "--image", tmp_path / "grey16.png", "--out", tmp_path / "g", "--iters", 4,
            "--quiet")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    with Image.open(tmp_path / "g" / "original.png") as im:  # not clipped to white
        numpy.testing.assert_allclose(numpy.asarray(im)[..., 0], grey / 257, atol=0.51)
    assert json.loads((tmp_path / "g" / "results.json").read_text())["jobs"][0]["error"][0] < 1

    phone = Image.fromarray((rng.random((40, 48, 3)) * 255).astype(numpy.uint8))
    exif = phone.getexif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    phone.save(tmp_path / "phone.jpg", exif=exif)
    rgba = (rng.random((40, 48, 4)) * 255).astype(numpy.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    for name, size in (("phone.jpg", (40, 48)), ("rgba.png", (48, 40))):
        r = run(*FAST, "--image", tmp_path / name, "--out", tmp_path / name.split(".")[0],
                "--iters", 4, "--quiet")
        assert r.returncode == 0, r.stderr
        with Image.open(tmp_path / name.split(".")[0] / "original.png") as im:
            assert im.size == size
    notes = [line for line in r.stderr.splitlines() if line.startswith("note:")]
    assert notes == [f"note: {tmp_path / 'rgba.png'}: transparent pixels composited on white"]


@pytest.mark.parametrize("name, fmt", [("result.png", "PNG"), ("sub/dir/result.jpg", "JPEG")])
def test_out_naming_a_picture_writes_that_picture_and_its_json(tmp_path, photo, name, fmt):
    out = tmp_path / "o" / name
    r = run(*FAST, "--image", photo, "--out", out, "--iters", 4, "--restarts", 2, "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.is_file() and out.with_suffix(".json").is_file()
    with Image.open(out) as im:
        assert (im.format, im.size) == (fmt, (48, 40))
    job = json.loads(out.with_suffix(".json").read_text())["jobs"][0]
    assert job["files"] == [out.name] and job["status"] == "done" and len(job["error"]) == 2
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, out.stem + ".json"])


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
    # each network with its own best preset, the explicit option beating it
    assert [(name, layer) for name, layer, _ in jobs] == [("hog", None), ("squeezenet1_1", None)]
    hog_best = {k: v for k, v in presets.PRESETS["hog-best"].items() if k != "rep"}
    assert jobs[0][2] == {**hog_best, "lambda_tv": 2.0, "preset": "hog-best"}
    # (SqueezeNet's last layer, its class scores: cnn-fourier)
    assert jobs[1][2] == {**presets.PRESETS["cnn-fourier"], "lambda_tv": 2.0,
                          "preset": "cnn-fourier"}
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


def test_centre_code_is_an_option_of_the_command_line():
    from invert import run as command
    given = command.options_from(command.parser().parse_args(["--centre-code"]))
    assert given["centre_code"] is True
    assert "centre_code" not in command.options_from(command.parser().parse_args([]))


def test_device_comes_from_the_environment_unless_given(tmp_path, photo):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MINIGRAD_DEVICE": "tpu"}
    args = [sys.executable, "-m", "invert.run", *FAST, "--image", str(photo), "--iters", "3",
            "--out", str(tmp_path / "o"), "--quiet"]
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert r.returncode == 1 and "unknown device 'tpu'" in r.stderr  # read, not overridden
    r = subprocess.run(args + ["--device", "cpu"], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
