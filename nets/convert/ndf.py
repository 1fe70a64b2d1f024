"""ndf's SqueezeNet 1.1 pickle -> ours.

The file (``ndf/example_models/weights/squeezenet_weights.pkl``) is a
pickled dict ``{layer: [kernel (kh, kw, in, out), bias (out,)]}`` with
Caffe's layer names (``conv1``, ``fire2/squeeze1x1``, ..., ``conv10``), the
weights of DeepScale's Caffe SqueezeNet 1.1 (BGR input, 0..255 minus the
ImageNet mean colour). It is read with ``nets.convert.safe_pickle`` (NumPy arrays
only). Names: '/' -> '_'; the first layer is permuted to RGB.
"""
from ..cnn import squeezenet1_1_shapes
from ..weights import check_shapes

from . import safe_pickle
from .common import IMAGENET_MEAN_RGB, ConversionError, bgr_to_rgb, from_hwio, write


def read_ndf(path):
    with open(path, "rb") as f:
        data = safe_pickle.load(f)
    if not isinstance(data, dict):
        raise ConversionError(f"{path}: expected a dict of layers, got {type(data).__name__}")
    return data


def convert_squeezenet(src, dst, package="", shapes=None):
    """``shapes`` overrides SqueezeNet's kernel shapes (small test copies)."""
    weights = {}
    for name, value in read_ndf(src).items():
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ConversionError(f"{src}: layer '{name}' should be [kernel, bias]")
        ours = name.replace("/", "_")
        weights[f"{ours}/w"] = from_hwio(value[0], f"{src}:{name}")
        weights[f"{ours}/b"] = value[1].astype("float32")
    shapes = shapes or squeezenet1_1_shapes()
    check_shapes(weights, shapes, src, "squeezenet1_1")
    bgr_to_rgb(weights, "conv1")
    weights = {f"{l}/{k}": weights[f"{l}/{k}"] for l in shapes for k in "wb"}
    return write(dst, weights, "squeezenet1_1", src, "nets.convert.ndf.convert_squeezenet",
                 IMAGENET_MEAN_RGB, (227, 227), package=package,
                 licence="BSD-2-Clause (SqueezeNet, DeepScale); packaged by ndf (MIT)")
