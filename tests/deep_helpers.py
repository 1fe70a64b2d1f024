"""A scaled-down CaffeNet registered as the registry's "caffenet" (its file
in a temporary INVREP_WEIGHTS), so deep experiments run through the real
registry in seconds; a folder of small photos."""
import dataclasses

import numpy
import pytest
from PIL import Image

from nets import cnn, registry
from nets.weights import save_weights
from weights_helpers import CAFFENET_SMALL

META = dict(architecture="caffenet", source_package="test", input_order="RGB",
            input_scale=255.0, mean_rgb=[123.0, 117.0, 104.0], input_size=[227, 227])


@pytest.fixture
def small_caffenet(tmp_path, monkeypatch):
    weights = cnn.random_weights(CAFFENET_SMALL, numpy.random.default_rng(0))
    folder = tmp_path / "weights"
    folder.mkdir()
    save_weights(str(folder / "caffenet.h5"), weights, META)
    monkeypatch.setenv("INVREP_WEIGHTS", str(folder))
    monkeypatch.setitem(registry.NETWORKS, "caffenet", dataclasses.replace(
        registry.NETWORKS["caffenet"], shapes=lambda: dict(CAFFENET_SMALL)))
    return folder


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = numpy.random.default_rng(0)
    for k in range(3):
        a = (rng.random((60, 64, 3)) * 255).astype(numpy.uint8)
        Image.fromarray(a).save(folder / f"im{k}.png")
    return folder
