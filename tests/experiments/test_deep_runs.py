"""Deep experiments end to end on a scaled-down CaffeNet (through the real
registry): Table 3 resumes cell by cell, Figs. 7 and 9 draw their pictures;
the command line on SqueezeNet when its weights are present."""
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy
import pytest
from PIL import Image

from invert import experiments, judge
from invert.experiments.figures import pivot
from deep_helpers import photos, small_caffenet  # noqa: F401 (fixtures)
from weights_helpers import ROOT, need_weights

TINY = ["conv1/lambda_tv=0.5", "conv1/lambda_tv=50", "pool2/lambda_tv=5"]


def test_table3_writes_the_pivot_and_resumes(tmp_path, small_caffenet, photos):
    out = tmp_path / "t3"
    rows = experiments.run_experiment("table3", photos, out, only=TINY, size=67, iters=3,
                                      rep="caffenet", log=lambda *a: None)
    assert [r["run"] for r in rows] == TINY and all(r["images"] == 3 for r in rows)
    assert rows[0]["reported_mean"] == 10.0  # the paper's CNN-A conv1, lambda 0.5
    md = (out / "table3.md").read_text()
    assert "| conv1 | " in md and "| pool2 | " in md and "lambda_tv=50" in md
    assert (out / "table3.csv").read_text().count("\n") == 1 + 3
    stamp = (out / "conv1" / "lambda_tv_0.5" / "im0.npz").stat().st_mtime_ns
    logged = []
    experiments.run_experiment("table3", photos, out, only=TINY + ["conv2/lambda_tv=0.5"],
                               size=67, iters=3, rep="caffenet", log=logged.append)
    assert len(logged) == 3 and all("conv2/lambda_tv=0.5" in m for m in logged)
    assert (out / "conv1" / "lambda_tv_0.5" / "im0.npz").stat().st_mtime_ns == stamp
    info = json.loads(str(numpy.load(out / "conv1" / "lambda_tv_0.5" / "im0.npz")["info"]))
    assert info["settings"]["box"] and info["settings"]["height"] == 67


def test_the_judge_and_the_recognise_experiment(tmp_path, small_caffenet, photos, monkeypatch):
    out = tmp_path / "rec"
    rows = experiments.run_experiment("recognise", photos, out, rep="caffenet",
                                      judge="caffenet", iters=3, log=lambda *a: None)
    assert [r["run"] for r in rows] == ["fc8", "fc8/cnn"] and rows[0]["judge"] == "caffenet"
    assert 0 <= rows[0]["judge_top1"] <= rows[0]["judge_top5"] <= 3
    assert rows[0]["image_error_mean"] > 0
    md = (out / "table.md").read_text()
    assert "caffenet: top-5 / top-1" in md
    lo, hi = experiments.runner.metrics.wilson_interval(rows[0]["judge_top5"], 3)
    assert f"| {rows[0]['judge_top5']}/3 ({100 * lo:.0f}-{100 * hi:.0f} %) / " in md
    assert (out / "recognise.png").is_file() and (out / "judge-caffenet.json").is_file()
    lines = (out / "per_image.csv").read_text().splitlines()
    assert "judge_class" in lines[0] and len(lines[1].split(",")) == len(lines[0].split(","))
    # a second summary reads the judge's verdicts from its cache
    monkeypatch.setattr(experiments.runner, "Judge", None)
    again = experiments.run_experiment("recognise", photos, out, rep="caffenet",
                                       judge="caffenet", iters=3, log=lambda *a: None)
    assert again == rows
    # ... until the judge would be shown the reconstructions otherwise
    judged = []
    monkeypatch.setattr(experiments.runner, "Judge", lambda name: judged.append(name) or
                        judge.Judge(name))
    monkeypatch.setattr(experiments.runner, "shown_stretched", lambda name: True)
    experiments.run_experiment("recognise", photos, out, rep="caffenet", judge="caffenet",
                               iters=3, log=lambda *a: None)
    assert judged == ["caffenet"]
    with pytest.raises(ValueError, match="no weights for the judge 'vgg19'"):
        experiments.run_experiment("recognise", photos, tmp_path / "x", rep="caffenet",
                                   judge="vgg19")
    assert not (tmp_path / "x").exists()


def test_pivot_of_no_finished_run_is_a_sentence_not_a_broken_table():
    md, csv = pivot("Table 3", {}, [])
    assert "No run has finished yet." in md and "| layer |" not in md
    assert csv.count("\n") == 1
    row = dict(run="a", images=2, error_mean=12.34, error_std=1.0,
               reported_mean=None, reported_std=None)
    runs = {"a": (SimpleNamespace(name="vgg19", layer="pool1"), dict(lambda_tv=5.0), None)}
    md, csv = pivot("Table 3", runs, [row])
    assert "| pool1 | 12.3 +- 1.0 |" in md and "| --- | --- |" in md and "(vgg19, 2 images)" in md
    assert csv.splitlines()[1].startswith("pool1,5,2,12.34")  # from the run, not its name


def test_one_image_experiment_says_why_it_has_no_error(tmp_path, small_caffenet, photos):
    experiments.run_experiment("fig6", photos, tmp_path / "f6", limit=1, only=["conv1"],
                               iters=3, rep="caffenet", log=lambda *a: None)
    md = (tmp_path / "f6" / "table.md").read_text()
    assert "needs at least two finished images" in md and "| run |" not in md
    assert (tmp_path / "f6" / "montage.png").exists()


@pytest.mark.slow
def test_fig7_restarts_and_fig9_boxes(tmp_path, small_caffenet, photos):
    experiments.run_experiment("fig7", photos, tmp_path / "f7", only=["fc8"], iters=3,
                               restarts=2, rep="caffenet", log=lambda *a: None)
    assert sorted(p.name for p in (tmp_path / "f7").glob("restarts-*.png")) == \
        ["restarts-im0.png", "restarts-im1.png"]
    experiments.run_experiment("fig9", photos, tmp_path / "f9", only=["conv1", "pool2"],
                               iters=3, rep="caffenet", log=lambda *a: None)
    with Image.open(tmp_path / "f9" / "window.png") as im:
        assert im.size[0] > 3 * 160
    res = numpy.load(tmp_path / "f9" / "conv1" / "im0.npz")
    assert res["recon"].shape == (227, 227, 3)


@pytest.mark.slow
def test_command_line_inverts_squeezenet_from_its_last_layer(tmp_path):
    need_weights("squeezenet1_1")
    photo = tmp_path / "p.png"
    Image.fromarray((numpy.random.default_rng(0).random((64, 64, 3)) * 255)
                    .astype(numpy.uint8)).save(photo)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "invert.run", "--rep", "squeezenet1_1",
                        "--image", str(photo), "--iters", "4", "--out", str(tmp_path / "o"),
                        "--quiet"], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    job = json.loads((tmp_path / "o" / "results.json").read_text())["jobs"][0]
    assert job["settings"]["layer"] == "pool10" and job["status"] == "done"
    # the main job uses the network's best preset: Adam, no adaptive step
    assert job["settings"]["solver"] == "adam" and job["settings"]["adaptive"] is None and (tmp_path / "o" / "squeezenet1_1.png").is_file()
