"""What ``pip install .`` installs works from any folder: the commands a user
runs (fetching included) are in the installed packages, tools/ and tests/
are not, and the bundled photo comes along."""
import os
import subprocess
import sys

import pytest

from weights_helpers import ROOT


@pytest.mark.slow
def test_installed_commands_run_from_any_folder(tmp_path):
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
           str(target), str(ROOT)]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    installed = sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info"))
    assert installed == ["invert", "layers", "minigrad", "nets"]
    assert (target / "invert" / "data" / "astronaut.png").is_file()
    env = {**os.environ, "PYTHONPATH": str(target), "INVREP_WEIGHTS": str(tmp_path / "w")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in ("invert.fetch", "invert.run", "invert.convert", "invert.train_hoggle"):
        r = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True,
                           text=True, env=env, cwd=elsewhere, timeout=120)
        assert r.returncode == 0 and "usage: python -m " + command in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-c", "import invert, nets; print(invert.__file__, "
                        "nets.registry.get('vgg19').weights_file())"],
                       capture_output=True, text=True, env=env, cwd=elsewhere, timeout=120)
    where, weights = r.stdout.split()
    assert where.startswith(str(target)) and weights == str(tmp_path / "w" / "vgg19.h5")
