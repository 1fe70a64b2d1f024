"""The deep networks we can load, in one table: architecture builder, kernel
shapes, default layer to invert, how its weights are obtained.

    net, prep = load_network("squeezenet1_1")        # weights/squeezenet1_1.h5
    x = prep(image)                                  # RGB [0,1] (H,W,3) -> NCHW
    logits = net.forward(x)                          # until=net.output
    image_back = prep.inverse(x)

Default layer of each network (``NETWORKS[name].default_layer``) is its
last layer: SqueezeNet's ``pool10`` (the 1000 logits), VGG-19's ``pool5``
(no fc layers ship), CaffeNet's ``fc8``, EfficientNet-Lite0's ``fc``.
"""
from collections import namedtuple

from . import cnn
from .preprocess import Preprocess
from .weights import WeightsError, load_weights

Network = namedtuple("Network", "build shapes default_layer obtain")

FETCH = "`python -m tools.fetch weights`"
CONVERT = ("`python -m tools.convert caffe|matconvnet|torchvision ... -o weights/caffenet.h5` "
           "from a file you hold (weights/README.md)")


def _efficientnet():
    from . import efficientnet
    return efficientnet


NETWORKS = {
    "vgg19": Network(cnn.vgg19, cnn.vgg19_shapes, "pool5", FETCH),
    "squeezenet1_1": Network(cnn.squeezenet1_1, cnn.squeezenet1_1_shapes, "pool10", FETCH),
    "caffenet": Network(cnn.caffenet, lambda: dict(cnn.CAFFENET_SHAPES), "fc8", CONVERT),
    "efficientnet_lite0": Network(lambda w: _efficientnet().efficientnet_lite0(w),
                                  lambda: _efficientnet().efficientnet_lite0_shapes(),
                                  "fc", FETCH),
}


def list_networks():
    """Names accepted by ``load_network``."""
    return list(NETWORKS)


def network_info(name):
    try:
        return NETWORKS[name]
    except KeyError:
        raise ValueError(f"unknown network {name!r}; known: {', '.join(NETWORKS)}") from None


def how_to_obtain(name):
    """One line naming the command that makes ``name``'s weights file."""
    return f"network '{name}' is obtained with {network_info(name).obtain}"


def load_network(name, weights_dir=None, path=None):
    """``(Net, Preprocess)`` for network ``name`` with the weights of
    ``path`` (default ``weights_dir/<name>.h5``; ``weights_dir`` default
    ``$INVREP_WEIGHTS`` or ``weights``), checked layer by layer
    against the architecture (``WeightsError`` naming file and layer)."""
    info = network_info(name)
    try:
        weights, meta = load_weights(path or name, weights_dir, shapes=info.shapes(),
                                     architecture=name)
    except WeightsError as err:
        if "does not exist" in str(err):
            raise WeightsError(f"{err}\n({how_to_obtain(name)})") from None
        raise
    return info.build(weights), Preprocess.from_meta(meta)
