"""Every ``xp.<name>`` the HOG / DSIFT layers call exists in CuPy, so the same
code runs on the GPU. Runs without a GPU: it only imports cupy."""
import os
import re

import pytest

MODULES = ["layers/fastmath.py", "layers/gradient.py", "layers/orientation.py",
           "layers/cellpool.py", "layers/binpool.py", "layers/hognorm.py", "layers/dsift.py"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def xp_names():
    names = set()
    for path in MODULES:
        with open(os.path.join(ROOT, path)) as f:
            names.update(re.findall(r"\bxp\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", f.read()))
    return sorted(names)


def test_scan_finds_names():
    assert {"einsum", "take_along_axis", "frexp", "pad"} <= set(xp_names())  # argmax no longer used


@pytest.mark.parametrize("name", xp_names())
def test_name_exists_in_cupy(name):
    try:
        import cupy
    except Exception as err:  # no cupy wheel, or a broken CUDA install
        pytest.skip(f"cupy cannot be imported here ({err}); cannot check xp.{name}")
    obj = cupy
    for part in name.split("."):
        assert hasattr(obj, part), f"cupy has no {name} (used as xp.{name} in the shallow layers)"
        obj = getattr(obj, part)
