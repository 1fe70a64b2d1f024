"""The protobuf reader and the Caffe converter, on caffemodels this test
encodes itself (new ``layer`` and legacy V1 ``layers`` messages)."""
import numpy
import pytest

from nets.weights import load_weights
from nets.convert import protobuf as pb
from nets.convert.common import ConversionError
from nets.convert.caffe import check_prototxt, convert_caffe
from nets.registry import get
from weights_helpers import CAFFENET_SMALL

CAFFENET = get("caffenet")


# -- a tiny protobuf encoder ---------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, value):
    """int -> varint field; bytes/str -> length-delimited field."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


def blob(array, legacy=False):
    data = field(5, numpy.asarray(array, "<f4").tobytes())  # packed floats
    if legacy:  # num, channels, height, width (fc weights as (1, 1, out, in))
        dims = (1,) * (4 - array.ndim) + array.shape
        return b"".join(field(i + 1, d) for i, d in enumerate(dims)) + data
    shape = field(1, b"".join(varint(d) for d in array.shape))  # packed int64 dims
    return field(7, shape) + data


def caffemodel(layers, legacy=False):
    """layers: [(name, type, [arrays])]."""
    out = b""
    for name, kind, arrays in layers:
        if legacy:  # V1LayerParameter: name 4, type 5 (enum), blobs 6
            body = field(4, name) + field(5, {"Convolution": 4, "InnerProduct": 14,
                                              "ReLU": 18}[kind])
            body += b"".join(field(6, blob(a, legacy=True)) for a in arrays)
            out += field(2, body)
        else:  # LayerParameter: name 1, type 2, blobs 7
            body = field(1, name) + field(2, kind) + b"".join(field(7, blob(a)) for a in arrays)
            out += field(100, body)
    return field(1, "CaffeNet") + out


PROTOTXT = """
name: "CaffeNet"  # comment
input: "data"
input_dim: 10 input_dim: 3 input_dim: 227 input_dim: 227
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 12 kernel_size: 11 stride: 4 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution"
  convolution_param { num_output: 32 pad: 2 kernel_size: 5 group: 2 } }
layer { name: "conv3" type: "Convolution"
  convolution_param { num_output: 48 pad: 1 kernel_size: 3 } }
layer { name: "fc6" type: "InnerProduct" inner_product_param { num_output: 64 } }
"""


def test_protobuf_reader():
    msg = field(1, 150) + field(2, "hi") + varint(3 << 3 | 5) + numpy.float32(1.5).tobytes() \
        + varint(3 << 3 | 5) + numpy.float32(-2).tobytes() + field(4, varint(1) + varint(300))
    parsed = pb.parse(msg)
    assert parsed[1] == [150] and pb.string(parsed, 2) == "hi"
    numpy.testing.assert_array_equal(pb.floats(parsed[3]), [1.5, -2])  # unpacked floats
    assert pb.varints(parsed[4]) == [1, 300]  # packed varints
    with pytest.raises(pb.ProtobufError, match="truncated|runs past"):
        pb.parse(field(2, "hello")[:-2])
    text = pb.parse_text(PROTOTXT)
    assert text["input_dim"] == [10, 3, 227, 227]
    assert text["layer"][2]["convolution_param"][0]["group"] == [2]
    assert text["layer"][1]["name"] == ["relu1"]


@pytest.mark.parametrize("legacy", [False, True])
def test_caffemodel_to_ours(tmp_path, legacy):
    rng = numpy.random.default_rng(3)
    src, layers = {}, []
    for layer, shape in CAFFENET_SMALL.items():
        w = (rng.permutation(int(numpy.prod(shape))) + 1).reshape(shape).astype(numpy.float32)
        b = rng.permutation(shape[0]).astype(numpy.float32)
        src[layer] = (w, b)
        stored = w.reshape(shape[0], -1) if layer.startswith("fc") else w
        kind = "InnerProduct" if layer.startswith("fc") else "Convolution"
        layers.append((layer, kind, [stored, b]))
        layers.append((layer.replace("conv", "relu").replace("fc", "relu"), "ReLU", []))
    model = tmp_path / "caffenet.caffemodel"
    model.write_bytes(caffemodel(layers, legacy))
    prototxt = tmp_path / "deploy.prototxt"
    prototxt.write_text(PROTOTXT)
    mean_bgr = rng.random((1, 3, 9, 9)).astype(numpy.float32) * 255
    mean = tmp_path / "mean.binaryproto"
    mean.write_bytes(blob(mean_bgr))
    dst = str(tmp_path / "caffenet.h5")
    convert_caffe(str(model), dst, CAFFENET, prototxt=str(prototxt), mean=str(mean),
                  shapes=CAFFENET_SMALL)
    loaded, meta = load_weights(dst, shapes=CAFFENET_SMALL, architecture="caffenet")
    for layer, (w, b) in src.items():
        expect = w[:, ::-1] if layer == "conv1" else w  # BGR -> RGB on the first layer
        numpy.testing.assert_array_equal(loaded[f"{layer}/w"], expect)
        numpy.testing.assert_array_equal(loaded[f"{layer}/b"], b)
    rgb = mean_bgr[0].transpose(1, 2, 0)[:, :, ::-1]
    numpy.testing.assert_array_equal(meta["mean_image"], rgb)
    numpy.testing.assert_allclose(meta["mean_rgb"], rgb.mean(axis=(0, 1)), rtol=1e-6)
    # without a mean file, CaffeNet's mean colour, in RGB
    convert_caffe(str(model), dst, CAFFENET, shapes=CAFFENET_SMALL)
    numpy.testing.assert_allclose(load_weights(dst)[1]["mean_rgb"], [122.679, 116.669, 104.007],
                                  atol=1e-3)


def test_caffe_errors(tmp_path):
    model = tmp_path / "m.caffemodel"
    model.write_bytes(caffemodel([("conv1", "Convolution", [numpy.ones((12, 3, 11, 11))])]))
    with pytest.raises(ConversionError, match="no layer 'conv2' of 'caffenet'"):
        convert_caffe(str(model), str(tmp_path / "o.h5"), CAFFENET, shapes=CAFFENET_SMALL)
    model.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ConversionError, match="m.caffemodel: not a readable .caffemodel"):
        convert_caffe(str(model), str(tmp_path / "o.h5"), CAFFENET, shapes=CAFFENET_SMALL)


def test_prototxt_geometry_mismatch_names_the_layer(tmp_path):
    from nets import cnn
    from weights_helpers import distinct_weights
    net = cnn.caffenet(distinct_weights(CAFFENET_SMALL))
    path = tmp_path / "deploy.prototxt"
    path.write_text(PROTOTXT)
    check_prototxt(str(path), net)  # agrees
    path.write_text(PROTOTXT.replace("pad: 1 kernel_size: 3", "pad: 0 kernel_size: 3"))
    with pytest.raises(ConversionError, match="layer 'conv3'"):
        check_prototxt(str(path), net)
