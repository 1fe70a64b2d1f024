"""Shared by the weights/networks/converter tests: where fetched files live,
skips that name the fetch command, small architectures, distinct values."""
import os
from pathlib import Path

import numpy
import pytest

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS_DIR = Path(os.environ.get("INVREP_WEIGHTS", ROOT / "weights"))  # as nets.weights
IMAGENET_DIR = ROOT / "data" / "images" / "imagenet"
DATA = Path(__file__).resolve().parent / "data"

# CaffeNet's geometry with few channels (the channel counts of caffenet_small.npz)
CAFFENET_SMALL = {"conv1": (12, 3, 11, 11), "conv2": (32, 6, 5, 5), "conv3": (48, 32, 3, 3),
                  "conv4": (48, 24, 3, 3), "conv5": (32, 24, 3, 3), "fc6": (64, 32, 6, 6),
                  "fc7": (64, 64, 1, 1), "fc8": (10, 64, 1, 1)}


def need_weights(name):
    """The converted weights of network ``name``, or skip naming the command."""
    path = WEIGHTS_DIR / f"{name}.h5"
    if not path.exists():
        pytest.skip(f"{path} is absent: run `python -m invert.fetch weights` first")
    return path


def need_imagenet_images():
    files = sorted(IMAGENET_DIR.glob("imagenet_*.png")) if IMAGENET_DIR.exists() else []
    if len(files) != 20:
        pytest.skip(f"{IMAGENET_DIR} lacks the 20 foolbox images: run "
                    f"`python -m invert.fetch images` first")
    return files


def distinct_weights(shapes, seed=0):
    """Weights whose every value is distinct, biases included (so a value in
    the wrong place cannot go unnoticed)."""
    rng = numpy.random.default_rng(seed)
    out = {}
    for layer, shape in shapes.items():
        n = int(numpy.prod(shape))
        out[f"{layer}/w"] = (rng.permutation(n) + 1).reshape(shape).astype(numpy.float32) / n
        out[f"{layer}/b"] = -(rng.permutation(shape[0]) + 1).astype(numpy.float32) / shape[0]
    return out


def write_file(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path
