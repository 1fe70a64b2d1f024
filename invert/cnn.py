"""Deep networks as data: each architecture is a table of layer specs, and
one builder turns a table plus a weights dict into a ``minigrad.Net``.

Weights dicts map ``"<layer>/w"`` (out, in/groups, kh, kw) and
``"<layer>/b"`` (out,) to arrays, the layout of our HDF5 files
(``weights/README.md``).

CNN-A (SPEC §5) is Caffe's reference CaffeNet: conv -> relu -> max pool
(3x3/2, ceil) -> LRN (Caffe: n 5, alpha 1e-4, beta 0.75, k 1) twice, then
conv3-5, pool5, and fc6-fc8 as convolutions. Its 20 layers keep the paper's
names and numbering (``CAFFENET_LAYERS``).
"""
from minigrad import Net
from layers import LRN, Concat, Conv2d, Dropout, GlobalAvgPool, MaxPool2d, ReLU

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
    factory = {"relu": ReLU, "maxpool": MaxPool2d, "lrn": LRN, "dropout": Dropout,
               "gap": GlobalAvgPool, "concat": Concat}[kind]
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


def random_caffenet_weights(rng, dtype="float32", shapes=None):
    """He-initialised weights with CaffeNet's shapes (for timing and tests)."""
    import numpy
    weights = {}
    for lname, shape in (shapes or CAFFENET_SHAPES).items():
        fan_in = shape[1] * shape[2] * shape[3]
        weights[f"{lname}/w"] = (rng.standard_normal(shape) * (2.0 / fan_in) ** 0.5).astype(dtype)
        weights[f"{lname}/b"] = numpy.zeros(shape[0], dtype=dtype)
    return weights
