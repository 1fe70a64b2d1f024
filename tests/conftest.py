import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
sys.path.insert(0, HERE)  # for tests/naive.py


@pytest.fixture(scope="session")
def ref_layers():
    return dict(np.load(os.path.join(DATA, "layers.npz")))


@pytest.fixture(scope="session")
def ref_caffenet():
    return dict(np.load(os.path.join(DATA, "caffenet_small.npz")))


def distinct(rng, shape, gap=0.1):
    """Values with pairwise gaps of at least ``gap`` (for max pooling), float64."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * gap - n * gap / 2).astype(np.float64)
