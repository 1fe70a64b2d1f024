"""invert.representation: a registry network cut at a layer, its units, and
its lambda_tv by layer."""
import dataclasses

import numpy
import pytest

from invert import representation
from invert.representation import Representation
from nets import registry
from nets.preprocess import Preprocess
from inversion_helpers import tiny_net


def test_centred_units_round_trip():
    rng = numpy.random.default_rng(1)
    gray = Representation("g", None, Preprocess(0.5, scale=1.0, channels=1), shift=0.5)
    img = rng.random((5, 6))
    z = gray.to_centred(img)
    assert z.shape == (1, 1, 5, 6) and numpy.allclose(z, img - 0.5)
    assert numpy.allclose(gray.from_centred(z)[0], img) and gray.unit == 1 / 255
    cnn = Representation("c", None, Preprocess([100.0, 110.0, 120.0]))
    img = rng.random((5, 6, 3))
    z = cnn.to_centred(img)
    assert numpy.allclose(z[0, 2], 255 * img[..., 2] - 120.0)
    assert numpy.allclose(cnn.from_centred(z)[0], img)
    assert numpy.array_equal(cnn.from_centred(z + 1e4)[0], numpy.ones((5, 6, 3)))  # clipped
    assert gray.sigma(512, 512) == pytest.approx(gray.rho * 512)


def test_networks_come_from_the_registry(monkeypatch):
    toy = registry.Network("toy", "cnn", "a toy", tiny_net, lambda: tiny_net().names,
                           registry.depth_rule, default_layer="conv2",
                           preprocess=Preprocess((100.0, 100.0, 100.0)))
    monkeypatch.setitem(registry.NETWORKS, "toy", toy)
    rep = representation.get("toy")
    assert rep.layer == "conv2" and rep.channels == 3 and rep.network is toy
    assert rep.defaults["lambda_tv"] == 5.0 and rep.defaults["box"]  # depth 4/4: 5
    assert representation.get("toy", "conv1").defaults["lambda_tv"] == 0.5  # depth 1/4
    assert rep.at("relu1").defaults["lambda_tv"] == 0.5 and rep.at("relu1").net is rep.net
    with pytest.raises(ValueError, match="no layer 'fc9'"):
        representation.get("toy", "fc9")
    with pytest.raises(ValueError, match="unknown representation 'nonesuch'"):
        representation.get("nonesuch")


@pytest.mark.slow
def test_units_of_each_kind():
    hog = representation.get("hog")
    assert hog.layer is None and hog.shift == 0.5 and hog.rho == 0.2327
    assert hog.defaults == dict(schedule="shallow", lambda_tv=5.0)
    cnn = representation.get("caffenet-random", "conv2")
    assert cnn.shift == 0.0 and cnn.rho == 68.9 and cnn.unit == 1.0
    assert cnn.defaults == dict(schedule="cnn", adaptive=16.0, box=True, lambda_tv=5.0)


def test_a_missing_weights_file_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("INVREP_WEIGHTS", str(tmp_path))
    with pytest.raises(ValueError) as err:
        representation.get("vgg19")
    assert "\n" not in str(err.value) and "invert.fetch weights" in str(err.value)
    stand_in = dataclasses.replace(registry.get("caffenet"), shapes=None,
                                   build=lambda: None)  # no file needed: nothing read
    assert not stand_in.needs_weights and stand_in.has_weights(str(tmp_path))
