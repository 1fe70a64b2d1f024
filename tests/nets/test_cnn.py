"""nets.cnn and nets.efficientnet: the architectures (VGG-19, SqueezeNet 1.1,
EfficientNet-Lite0) as layer tables: names and shapes at full size, forward
and check_backward through scaled-down copies."""
import numpy
import pytest

from minigrad import check_backward
from nets import cnn, efficientnet
from weights_helpers import distinct_weights


def random_net_weights(shapes, seed):
    w = cnn.random_weights(shapes, numpy.random.default_rng(seed), dtype="float64")
    rng = numpy.random.default_rng(seed + 1)
    for k in w:
        if k.endswith("/b"):
            w[k] = 0.1 * rng.standard_normal(w[k].shape)
    return w


SMALL = {
    "vgg19": (lambda: cnn.vgg19(random_net_weights(cnn.vgg19_shapes((2, 3, 4, 4, 5)), 0)),
              (2, 3, 32, 32), "pool5", (2, 5, 1, 1)),
    "squeezenet1_1": (lambda: cnn.squeezenet1_1(random_net_weights(
        cnn.squeezenet1_1_shapes(scale=1 / 16, classes=7), 1)), (2, 3, 47, 47), "pool10",
        (2, 7, 1, 1)),
    "efficientnet_lite0": (lambda: efficientnet.efficientnet_lite0(
        random_net_weights(efficientnet.efficientnet_lite0_shapes(widths=0.125, classes=6), 2),
        input_size=32, widths=0.125), (1, 3, 32, 32), "fc", (1, 6, 1, 1)),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_copy_forward_and_backward(name):
    build, in_shape, last, out_shape = SMALL[name]
    net = build()
    assert net.output == last
    x = numpy.random.default_rng(3).standard_normal(in_shape)
    y = net.forward(x)
    assert y.shape == out_shape and numpy.isfinite(y).all()
    check_backward(net, x, seed=4, atol=1e-7, rtol=1e-5)


@pytest.mark.slow
def test_vgg19_full_size_names_and_shapes():
    net = cnn.vgg19(distinct_weights(cnn.vgg19_shapes()))
    convs = [n for n in net.names if n.startswith("conv")]
    assert convs == [f"conv{b}_{i}" for b, d in zip(range(1, 6), (2, 2, 4, 4, 4))
                     for i in range(1, d + 1)]
    assert {"relu5_4", "pool5", "relu1_1"} <= set(net.names) and net.output == "pool5"
    shapes = net.shapes((1, 3, 224, 224))
    assert shapes["relu1_2"] == (1, 64, 224, 224) and shapes["pool5"] == (1, 512, 7, 7)
    assert net.receptive_field("conv1_1")[:2] == (3, 3)
    assert net.receptive_field("pool1")[:2] == (6, 6)


def test_squeezenet_full_size_names_and_shapes():
    net = cnn.squeezenet1_1(distinct_weights(cnn.squeezenet1_1_shapes()))
    shapes = net.shapes((1, 3, 227, 227))
    assert shapes["conv1"] == (1, 64, 113, 113) and shapes["pool1"] == (1, 64, 56, 56)
    assert shapes["fire3_concat"] == (1, 128, 56, 56) and shapes["pool3"] == (1, 128, 27, 27)
    assert shapes["pool5"] == (1, 256, 13, 13) and shapes["fire9_concat"] == (1, 512, 13, 13)
    assert shapes["pool10"] == (1, 1000, 1, 1) and net.output == "pool10"
    # expand 1x1 and 3x3 both read the squeeze ReLU; the concat puts 1x1 first
    assert net.inputs["fire2_expand3x3"] == ("fire2_relu_squeeze1x1",)
    assert net.inputs["fire2_concat"] == ("fire2_relu_expand1x1", "fire2_relu_expand3x3")
    assert "relu_conv10" not in net and "conv10" in net


def test_efficientnet_full_size_names_and_shapes():
    net = efficientnet.efficientnet_lite0(distinct_weights(
        efficientnet.efficientnet_lite0_shapes()))
    shapes = net.shapes((1, 3, 224, 224))
    assert shapes["stem_conv"] == (1, 32, 112, 112)
    assert shapes["block15_project"] == (1, 320, 7, 7) and shapes["fc"] == (1, 1000, 1, 1)
    adds = [n for n in net.names if n.endswith("_add")]
    assert adds == [f"block{i}_add" for i in (2, 4, 6, 7, 9, 10, 12, 13, 14)]
    assert "block0_expand" not in net and net["block3_dw"].pad == (1, 2, 1, 2)
    sym = efficientnet.efficientnet_lite0(distinct_weights(
        efficientnet.efficientnet_lite0_shapes()), padding="symmetric")
    assert sym["block3_dw"].pad == (2, 2, 2, 2)
