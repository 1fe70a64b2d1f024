"""Experiments over a folder: tables, montage, resuming; representations'
units; the hook to the deep-network registry."""
import sys
import types

import numpy
import pytest
from PIL import Image

from invert import experiments, presets, representations
from inversion_helpers import tiny_net


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
    monkeypatch.setitem(presets.EXPERIMENTS, "tiny", dict(
        title="tiny", runs={"a": dict(preset="tiny"), "b=1": dict(preset="tiny", lambda_tv=1.0)},
        paper={"a": (10.0, 1.0)}))


def test_experiment_writes_tables_and_resumes(tmp_path, folder, tiny_experiment):
    out = tmp_path / "out"
    rows = experiments.run_experiment("tiny", folder, out, log=lambda *a: None)
    assert [r["run"] for r in rows] == ["a", "b=1"] and rows[0]["images"] == 3
    assert rows[0]["reported_mean"] == 10.0 and rows[0]["error_mean"] > 0
    for name in ("table.md", "table.csv", "per_image.csv", "montage.png"):
        assert (out / name).is_file()
    assert "| a | 3 |" in (out / "table.md").read_text()
    assert len((out / "per_image.csv").read_text().splitlines()) == 1 + 6
    stamp = (out / "a" / "im0.npz").stat().st_mtime_ns
    logged = []
    experiments.run_experiment("tiny", folder, out, log=logged.append)
    assert logged == [] and (out / "a" / "im0.npz").stat().st_mtime_ns == stamp


def test_experiment_validates_before_any_work(tmp_path, folder, tiny_experiment):
    with pytest.raises(ValueError, match="non-negative"):
        experiments.run_experiment("tiny", folder, tmp_path / "out", lambda_tv=-1)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="unknown experiment"):
        experiments.plan("table9", folder)
    with pytest.raises(ValueError, match="no image files"):
        experiments.plan("tiny", tmp_path / "out" if (tmp_path / "out").mkdir() is None else 0)


def test_centred_units_round_trip():
    rng = numpy.random.default_rng(1)
    gray = representations.Representation("g", None, channels=1, unit=1 / 255, shift=0.5)
    img = rng.random((5, 6))
    z = gray.to_centred(img)
    assert z.shape == (1, 1, 5, 6) and numpy.allclose(z, img - 0.5)
    assert numpy.allclose(gray.from_centred(z)[0], img)
    cnn = representations.Representation("c", None, channels=3, mean=[100.0, 110.0, 120.0],
                                         bgr=True)
    img = rng.random((5, 6, 3))
    z = cnn.to_centred(img)
    assert numpy.allclose(z[0, 0], 255 * img[..., 2] - 100.0)
    assert numpy.allclose(cnn.from_centred(z)[0], img)
    assert gray.sigma(512, 512) == pytest.approx(0.0 if gray.rho == 0 else gray.rho * 512)


def test_deep_networks_come_from_the_weights_registry(monkeypatch, tmp_path):
    class Prep:
        scale = 255.0

        def forward(self, image):
            return 255.0 * image.transpose(2, 0, 1)[None] - 100.0

        def inverse(self, z):
            return ((z + 100.0) / 255.0).transpose(0, 2, 3, 1)

    fake = types.SimpleNamespace(
        list_networks=lambda: ["toy"],
        network_info=lambda name: types.SimpleNamespace(default_layer="conv2"),
        load_network=lambda name: (tiny_net(), Prep()))
    monkeypatch.setitem(sys.modules, "invert.networks", fake)
    monkeypatch.setattr("invert.networks", fake, raising=False)
    rep = representations.get("toy")
    assert rep.layer == "conv2" and rep.channels == 3 and rep.defaults["lambda_tv"] == 5.0  # deep_presets.default_lambda_tv
    assert representations.get("toy", "conv1").defaults["lambda_tv"] == 0.5
    with pytest.raises(ValueError, match="no layer"):
        representations.get("toy", "fc9")
    with pytest.raises(ValueError, match="unknown representation"):
        representations.get("nonesuch")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights").mkdir()
    assert representations.deep_networks() == ([], ["toy"])
    (tmp_path / "weights" / "toy.h5").write_bytes(b"")
    assert representations.deep_networks() == (["toy"], [])
