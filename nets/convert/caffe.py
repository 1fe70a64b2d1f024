"""Caffe ``.caffemodel`` (+ optional deploy ``.prototxt`` and mean
``.binaryproto``) -> ours, with the wire-format reader of ``nets.convert.protobuf``.

caffe.proto, the fields used:
    NetParameter      layer = 100 (LayerParameter), layers = 2 (V1LayerParameter)
    LayerParameter    name = 1, type = 2 (string), blobs = 7
    V1LayerParameter  name = 4, type = 5 (enum), blobs = 6
    BlobProto         num, channels, height, width = 1..4 (legacy 4-D shape),
                      data = 5 (float, packed), shape = 7 (BlobShape: dim = 1,
                      int64 packed), double_data = 8
Blobs per layer: [weights (out, in/groups, kh, kw), bias (out,)]; an
InnerProduct weight (out, C*H*W) is reshaped to the architecture's
(out, C, H, W) (Caffe flattens C, H, W in that order, as we do). Caffe layer
names map to ours with '/' -> '_' (CaffeNet's are ours already). Caffe
networks read BGR: the first layer is permuted to RGB, and the mean image
(``--mean``, a BlobProto (1, 3, H, W) BGR) is stored as RGB; without it
CaffeNet's ImageNet mean colour is recorded.

The prototxt, when given, is checked against our table: every weighted
layer's kernel size, stride, padding and groups must agree.
"""
import numpy

from ..weights import check_shapes

from . import protobuf as pb
from .common import ConversionError, bgr_to_rgb, write

CAFFE_MEAN_BGR = (104.00698793, 116.66876762, 122.67891434)  # ilsvrc_2012_mean.binaryproto
V1_TYPES = {4: "Convolution", 14: "InnerProduct"}


def blob_array(message):
    blob = pb.parse(message)
    if 7 in blob:
        shape = tuple(pb.varints(pb.parse(blob[7][-1]).get(1)))
    else:
        shape = tuple((blob.get(k) or [1])[-1] for k in (1, 2, 3, 4))
    data = pb.floats(blob.get(5)) if 5 in blob else pb.floats(blob.get(8), "<f8")
    if data.size != int(numpy.prod(shape)):
        raise ConversionError(f"blob of shape {shape} holds {data.size} values")
    return data.reshape(shape).astype(numpy.float32)


def read_caffemodel(path):
    """``[(name, type, [arrays])]`` of the layers that hold blobs."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return _layers(pb.parse(data), path)
    except pb.ProtobufError as err:
        raise ConversionError(f"{path}: not a readable .caffemodel ({err})") from err


def _layers(net, path):
    out = []
    for number, (n_name, n_type, n_blobs) in ((100, (1, 2, 7)), (2, (4, 5, 6))):
        for raw in net.get(number, []):
            layer = pb.parse(raw)
            blobs = [blob_array(b) for b in layer.get(n_blobs, [])]
            if blobs:
                kind = layer.get(n_type, [""])[-1]
                kind = bytes(kind).decode() if not isinstance(kind, int) else \
                    V1_TYPES.get(kind, str(kind))
                out.append((pb.string(layer, n_name), kind, blobs))
    if not out:
        raise ConversionError(f"{path}: no layer with weights; not a .caffemodel?")
    return out


def read_mean(path):
    """A mean ``.binaryproto`` (1, 3, H, W) BGR -> (H, W, 3) RGB."""
    with open(path, "rb") as f:
        mean = blob_array(f.read())
    return mean.reshape(mean.shape[-3:]).transpose(1, 2, 0)[:, :, ::-1]


def check_prototxt(path, net):
    """Kernel, stride, pad and groups of each conv in ``path`` against ``net``."""
    with open(path) as f:
        proto = pb.parse_text(f.read())
    for layer in proto.get("layer", []) + proto.get("layers", []):
        name = str(layer.get("name", [""])[0]).replace("/", "_")
        params = layer.get("convolution_param", [None])[0]
        if params is None or name not in net:
            continue
        ours = net[name]
        kh, kw = ours.params["w"].shape[2:]
        want = dict(kernel=(kh, kw), stride=ours.stride, pad=(ours.pad[0], ours.pad[2]),
                    groups=ours.groups)
        got = dict(kernel=(params.get("kernel_h", params.get("kernel_size", [1]))[0],
                           params.get("kernel_w", params.get("kernel_size", [1]))[0]),
                   stride=(params.get("stride_h", params.get("stride", [1]))[0],
                           params.get("stride_w", params.get("stride", [1]))[0]),
                   pad=(params.get("pad_h", params.get("pad", [0]))[0],
                        params.get("pad_w", params.get("pad", [0]))[0]),
                   groups=params.get("group", [1])[0])
        got["stride"], got["kernel"] = tuple(got["stride"]), tuple(got["kernel"])
        if got != want:
            raise ConversionError(f"{path}: layer '{name}' has {got}, but our table "
                                  f"builds it with {want}")


def convert_caffe(model, dst, network, prototxt=None, mean=None, package="", shapes=None):
    """Convert to ``network`` (a ``nets.registry.Network``); ``shapes``
    overrides its kernel shapes (small test copies)."""
    architecture, shapes = network.name, shapes or network.shapes()
    found = {name.replace("/", "_"): blobs for name, _, blobs in read_caffemodel(model)}
    weights = {}
    for layer, shape in shapes.items():
        blobs = found.get(layer)
        if blobs is None:
            raise ConversionError(f"{model}: no layer '{layer}' of '{architecture}' "
                                  f"(its layers with weights: {list(found)})")
        if blobs[0].size != numpy.prod(shape):
            raise ConversionError(f"{model}: layer '{layer}' weights {blobs[0].shape} do "
                                  f"not fit '{architecture}' {tuple(shape)}")
        weights[f"{layer}/w"] = blobs[0].reshape(shape)
        if len(blobs) > 1:
            weights[f"{layer}/b"] = blobs[1].reshape(-1)
    check_shapes(weights, shapes, model, architecture)
    bgr_to_rgb(weights, next(iter(shapes)))
    if prototxt:
        check_prototxt(prototxt, network.build(weights))
    mean_image = read_mean(mean) if mean else None
    mean_rgb = mean_image.mean(axis=(0, 1)) if mean else CAFFE_MEAN_BGR[::-1]
    return write(dst, weights, architecture, model, "nets.convert.caffe.convert_caffe",
                 mean_rgb, network.input_size, package=package, mean_image=mean_image)
