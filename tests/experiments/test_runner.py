"""invert.experiments.runner: an experiment over a folder writes its tables
and montage, resumes where it stopped, and validates before any work."""
import numpy
import pytest
from PIL import Image

from invert import experiments, presets
from invert.experiments import Experiment, Run
from deep_helpers import small_caffenet  # noqa: F401 (fixture)


@pytest.fixture
def folder(tmp_path):
    rng = numpy.random.default_rng(0)
    for k in range(3):
        a = (rng.random((40, 48, 3)) * 255).astype(numpy.uint8)
        Image.fromarray(a).save(tmp_path / f"im{k}.png")
    return tmp_path


@pytest.fixture
def tiny_experiment(monkeypatch):
    monkeypatch.setitem(presets.PRESETS, "tiny", dict(rep="caffenet-random", layer="conv1",
                                                      schedule="cnn", iters=3))
    runs = {"a": Run("tiny", paper=(10.0, 1.0)), "b=1": Run("tiny", dict(lambda_tv=1.0))}
    monkeypatch.setitem(experiments.EXPERIMENTS, "tiny",
                        Experiment("tiny", "tiny", lambda network: runs))


@pytest.mark.slow
def test_experiment_writes_tables_and_resumes(tmp_path, folder, tiny_experiment):
    out = tmp_path / "out"
    rows = experiments.run_experiment("tiny", folder, out, log=lambda *a: None)
    assert [r["run"] for r in rows] == ["a", "b=1"] and rows[0]["images"] == 3
    assert rows[0]["reported_mean"] == 10.0 and rows[0]["error_mean"] > 0
    assert rows[1]["reported_mean"] is None
    for name in ("table.md", "table.csv", "per_image.csv", "montage.png"):
        assert (out / name).is_file()
    assert "| a | 3 |" in (out / "table.md").read_text()
    assert "lambda_tv 1," in (out / "table.md").read_text()  # run b's own setting
    assert len((out / "per_image.csv").read_text().splitlines()) == 1 + 6
    stamp = (out / "a" / "im0.npz").stat().st_mtime_ns
    logged = []
    experiments.run_experiment("tiny", folder, out, log=logged.append)
    assert logged == [] and (out / "a" / "im0.npz").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_experiment_validates_before_any_work(tmp_path, folder, tiny_experiment):
    with pytest.raises(ValueError, match="lambda_tv must be .* >= 0, got -1"):
        experiments.run_experiment("tiny", folder, tmp_path / "out", lambda_tv=-1)
    assert not (tmp_path / "out").exists()
    for key, value in (("limit", 0), ("size", -3)):
        with pytest.raises(ValueError, match=f"{key} must be an integer >= 1, got {value}"):
            experiments.run_experiment("tiny", folder, tmp_path / "out", **{key: value})
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="unknown experiment"):
        experiments.plan("table9", folder)
    with pytest.raises(ValueError, match="no run.* c; its runs are: a, b=1"):
        experiments.plan("tiny", folder, only=["c"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no image files"):
        experiments.plan("tiny", tmp_path / "empty")


def test_a_network_is_loaded_once_per_experiment(folder, monkeypatch, small_caffenet):
    from invert import representation
    loads = []
    real = representation.get
    monkeypatch.setattr(representation, "get", lambda *a, **k: loads.append(a) or real(*a, **k))
    _, _, runs = experiments.plan("fig6", folder, rep="caffenet")
    assert len(runs) == 20 and loads == [("caffenet",)]
    assert len({id(rep.net) for rep, _, _ in runs.values()}) == 1


def test_unknown_network_is_refused_before_any_work(tmp_path, folder):
    with pytest.raises(ValueError, match="no runs for 'hog'"):
        experiments.run_experiment("fig6", folder, tmp_path / "x", rep="hog")
    assert not (tmp_path / "x").exists()
