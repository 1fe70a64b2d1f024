"""tools.peer: the PyTorch twin computes the same objective as ours (energies
and gradient on one input) for every kind of network the benchmark times.
PyTorch is never required: without it these tests skip (the only skip of
this kind; the twin exists only for the side-by-side benchmark)."""
import numpy
import pytest

from invert import representation
from invert.representation import Representation
from nets import cnn, efficientnet
from nets.preprocess import Preprocess
from tools import peer
from tools.bench_invert import Iteration
from weights_helpers import CAFFENET_SMALL

torch = pytest.importorskip("torch")

MEAN = Preprocess((120.0, 110.0, 100.0))


def _small(name):
    rng = numpy.random.default_rng(0)
    if name == "caffenet":
        return cnn.caffenet(cnn.random_weights(CAFFENET_SMALL, rng)), "fc8", 227
    if name == "vgg19":
        shapes = cnn.vgg19_shapes((8, 8, 16, 16, 16))
        return cnn.vgg19(cnn.random_weights(shapes, rng)), "pool5", 67
    if name == "squeezenet1_1":
        shapes = cnn.squeezenet1_1_shapes(scale=0.125, classes=10)
        return cnn.squeezenet1_1(cnn.random_weights(shapes, rng)), "pool10", 67
    shapes = efficientnet.efficientnet_lite0_shapes(widths=0.25, classes=10)
    net = efficientnet.efficientnet_lite0(cnn.random_weights(shapes, rng), input_size=64,
                                          widths=0.25)
    return net, "fc", 64


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) for n in (
    "caffenet", "vgg19", "squeezenet1_1", "efficientnet_lite0")] + ["hog"])
def test_twin_energies_and_gradient_equal_ours(name):
    if name == "hog":
        rep, size = representation.get("hog"), 67
    else:
        net, layer, size = _small(name)
        rep = Representation(name, net, MEAN, layer=layer)
    ours = Iteration(rep, 2, (size, size))
    ours._build()
    energies, grad = ours.obj.evaluate(ours.x0)
    twin = peer.TorchObjective(ours.obj, ours.x0.shape)
    twin_energies, twin_grad = twin.evaluate(torch.as_tensor(ours.x0))
    assert energies["loss"].min() > 1e-3  # the loss matters in the total
    for term in ("loss", "alpha", "tv", "total"):
        numpy.testing.assert_allclose(twin_energies[term], energies[term], rtol=2e-5)
    # float32 against float32 in another summation order: up to 2e-6 of the
    # largest gradient for the others, 8e-6 to 1.1e-5 for EfficientNet-Lite0's
    # 60 layers (measured with OpenBLAS's AVX-512 and AVX2 kernels)
    bound = 3e-5 if name == "efficientnet_lite0" else 1e-5
    assert numpy.abs(twin_grad.numpy() - grad).max() <= bound * numpy.abs(grad).max()


def test_a_layer_without_translation_is_named():
    rep = representation.get("dsift")
    with pytest.raises(NotImplementedError, match="layer 'gradient'.*'dsift'"):
        peer.TorchNet(rep.net, rep.layer, (1, 1, 32, 32))
