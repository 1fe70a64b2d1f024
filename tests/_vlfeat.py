"""Locating VLFeat reference files for the parity tests.

The folder defaults to tests/data/vlfeat; set INVREP_VLFEAT_DIR to run the
same tests on another folder of files in the same format (the held-out set).
"""
import glob
import os

import numpy

DEFAULT_DIR = os.path.join(os.path.dirname(__file__), "data", "vlfeat")
VLFEAT_DIR = os.environ.get("INVREP_VLFEAT_DIR", DEFAULT_DIR)


def image_files():
    """Paths of every image file (every *.npz but hog_constants.npz)."""
    return sorted(p for p in glob.glob(os.path.join(VLFEAT_DIR, "*.npz"))
                  if os.path.basename(p) != "hog_constants.npz")


def keys(path):
    with numpy.load(path, allow_pickle=False) as z:
        return set(z.files)


def cases(wanted):
    """(path, key) for every file holding ``key``, for each key in ``wanted``;
    ids read ``file:key``."""
    out = []
    for path in image_files():
        have = keys(path)
        out += [(path, k) for k in wanted if k in have]
    return out


def case_id(case):
    path, key = case
    return f"{os.path.basename(path)}:{key}"


def load(path):
    with numpy.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def constants_file():
    for folder in (VLFEAT_DIR, DEFAULT_DIR):
        path = os.path.join(folder, "hog_constants.npz")
        if os.path.exists(path):
            return path
    raise FileNotFoundError("hog_constants.npz not found")


def nchw(image):
    """(H, W) or (H, W, 3) -> (1, C, H, W) float32."""
    x = image[None, None] if image.ndim == 2 else image.transpose(2, 0, 1)[None]
    return numpy.ascontiguousarray(x, dtype=numpy.float32)
