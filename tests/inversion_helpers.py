"""A tiny random CNN as a stand-in representation for the inversion tests."""
import numpy

from invert.representation import Representation
from layers import Conv2d, MaxPool2d, ReLU
from minigrad import Net
from nets.preprocess import Preprocess


def tiny_net(seed=0, channels=3, dtype=numpy.float64):
    rng = numpy.random.default_rng(seed)
    net = Net("tiny")
    net.add(Conv2d((rng.standard_normal((6, channels, 3, 3)) * 0.4).astype(dtype),
                   (rng.standard_normal(6) * 0.1).astype(dtype), pad=1), name="conv1")
    net.add(ReLU(), name="relu1")
    net.add(MaxPool2d(2), name="pool1")
    net.add(Conv2d((rng.standard_normal((5, 6, 3, 3)) * 0.4).astype(dtype)), name="conv2")
    return net


def tiny_rep(seed=0, channels=3, dtype=numpy.float64, layer=None):
    """Reads images in [0, 1] like HOG: centred input image - 0.5, shifted back."""
    return Representation("tiny", tiny_net(seed, channels, dtype),
                          Preprocess(0.5, scale=1.0, channels=channels), layer=layer,
                          shift=0.5, rho=0.23, defaults=dict(lambda_tv=5.0, schedule="shallow"))
