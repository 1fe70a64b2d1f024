"""PyTorch checkpoints read without torch: the zip format and the legacy
format, written here by a small encoder that speaks torch's pickle
conventions (persistent ids for storages, ``_rebuild_tensor_v2``); the
torchvision-style and EfficientNet converters on top."""
import collections
import io
import pickle
import sys
import types
import zipfile

import numpy
import pytest

from nets import efficientnet
from nets.weights import load_weights
from nets.convert.pytorch import BN_EPS, convert_efficientnet_lite0, convert_sequential
from nets.convert.torchfile import LEGACY_MAGIC, read_torch
from nets.registry import get
from weights_helpers import CAFFENET_SMALL

CAFFENET = get("caffenet")


class Storage:
    def __init__(self, key, array):
        self.key, self.array = key, numpy.ascontiguousarray(array).ravel()


class Tensor:
    """Pickles as torch does: ``_rebuild_tensor_v2(storage, offset, size, stride, ...)``."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride))

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, self.args + (False, collections.OrderedDict())


@pytest.fixture
def fake_torch(monkeypatch):
    """Just enough of a ``torch`` module for pickle to name its globals."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called: the test only writes")
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", \
        "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in ("FloatStorage", "LongStorage"):
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            cls = sys.modules["torch"].LongStorage if obj.array.dtype == numpy.int64 \
                else sys.modules["torch"].FloatStorage
            return ("storage", cls, obj.key, "cpu", obj.array.size)
        return None


def tensors(state):
    """A state dict of arrays -> Tensors, one storage each (key = index)."""
    out, storages = collections.OrderedDict(), []
    for i, (k, v) in enumerate(state.items()):
        s = Storage(str(i), v)
        storages.append(s)
        out[k] = Tensor(s, 0, v.shape, [int(numpy.prod(v.shape[j + 1:])) for j in range(v.ndim)])
    return out, storages


def save_zip(path, state, extra=None):
    obj, storages = tensors(state)
    obj.update(extra or {})
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        for s in storages + [t.args[0] for t in (extra or {}).values()]:
            z.writestr(f"archive/data/{s.key}", s.array.astype("<" + s.array.dtype.str[1:]).tobytes())


def save_legacy(path, state):
    obj, storages = tensors(state)
    with open(path, "wb") as f:
        for header in (LEGACY_MAGIC, 1001, dict(protocol_version=1001, little_endian=True,
                                                type_sizes=dict(short=2, int=4, long=4))):
            pickle.dump(header, f, protocol=2)
        Pickler(f, protocol=2).dump(obj)
        pickle.dump([s.key for s in storages], f, protocol=2)
        for s in storages:
            f.write(s.array.size.to_bytes(8, "little"))
            f.write(s.array.tobytes())


def test_zip_and_legacy_formats(fake_torch, tmp_path):
    rng = numpy.random.default_rng(0)
    state = {"a.weight": rng.standard_normal((4, 3, 2, 2)).astype(numpy.float32),
             "a.num_batches_tracked": numpy.array(7, dtype=numpy.int64)}
    # a view: columns 1..2 of a 3x4 storage, transposed (offset 1, strides (1, 4))
    base = Storage("view", numpy.arange(12, dtype=numpy.float32))
    view = {"v": Tensor(base, 1, (2, 3), (1, 4))}
    save_zip(tmp_path / "m.pth", state, extra=view)
    out = read_torch(str(tmp_path / "m.pth"))
    numpy.testing.assert_array_equal(out["a.weight"], state["a.weight"])
    assert out["a.num_batches_tracked"] == 7
    numpy.testing.assert_array_equal(out["v"], numpy.arange(12.0).reshape(3, 4)[:, 1:3].T)
    save_legacy(tmp_path / "old.pth", state)
    out = read_torch(str(tmp_path / "old.pth"))
    numpy.testing.assert_array_equal(out["a.weight"], state["a.weight"])
    assert int(out["a.num_batches_tracked"]) == 7


def test_truncated_and_foreign_files(fake_torch, tmp_path):
    from nets.convert.common import ConversionError
    save_legacy(tmp_path / "old.pth", {"w": numpy.ones((100,), numpy.float32)})
    data = (tmp_path / "old.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:-40])
    with pytest.raises(ConversionError, match="truncated"):
        read_torch(str(tmp_path / "cut.pth"))
    (tmp_path / "junk.pth").write_bytes(b"\x00" * 64)
    with pytest.raises(ConversionError, match="neither a torch zip checkpoint"):
        read_torch(str(tmp_path / "junk.pth"))


def test_torchvision_style_caffenet(fake_torch, tmp_path):
    rng = numpy.random.default_rng(1)
    modules = ["features.0", "features.4", "features.8", "features.10", "features.12",
               "classifier.1", "classifier.4", "classifier.6"]
    state, src = collections.OrderedDict(), {}
    for module, (layer, shape) in zip(modules, CAFFENET_SMALL.items()):
        w = rng.standard_normal(shape).astype(numpy.float32)
        src[layer] = w
        state[module + ".weight"] = w.reshape(shape[0], -1) if module.startswith("class") else w
        state[module + ".bias"] = rng.standard_normal(shape[0]).astype(numpy.float32)
    # file order, not string order: features.10 comes after features.8
    save_zip(tmp_path / "caffenet.pth", state)
    dst = str(tmp_path / "caffenet.h5")
    convert_sequential(str(tmp_path / "caffenet.pth"), dst, CAFFENET, shapes=CAFFENET_SMALL)
    loaded, meta = load_weights(dst, shapes=CAFFENET_SMALL, architecture="caffenet")
    std = numpy.array([0.229, 0.224, 0.225]) * 255
    numpy.testing.assert_allclose(loaded["conv1/w"], src["conv1"] / std.reshape(1, 3, 1, 1),
                                  rtol=1e-6)
    numpy.testing.assert_allclose(meta["mean_rgb"], numpy.array([0.485, 0.456, 0.406]) * 255)
    for layer in list(CAFFENET_SMALL)[1:]:
        numpy.testing.assert_array_equal(loaded[f"{layer}/w"], src[layer])
    numpy.testing.assert_array_equal(loaded["conv4/b"], state["features.10.bias"])
    # Caffe preprocessing: BGR first layer flipped, BGR mean reversed
    convert_sequential(str(tmp_path / "caffenet.pth"), dst, CAFFENET, preprocess="caffe",
                       shapes=CAFFENET_SMALL)
    loaded, meta = load_weights(dst)
    numpy.testing.assert_array_equal(loaded["conv1/w"], src["conv1"][:, ::-1])
    numpy.testing.assert_allclose(meta["mean_rgb"], [123, 117, 104])


def test_efficientnet_bn_folding(fake_torch, tmp_path):
    widths = 0.125
    shapes = efficientnet.efficientnet_lite0_shapes(widths)
    rng = numpy.random.default_rng(2)
    names = {"stem_conv": ("_conv_stem", "_bn0"), "head_conv": ("_conv_head", "_bn1")}
    for layer in shapes:
        if layer.startswith("block"):
            i, kind = layer[5:].split("_", 1)
            conv, bn = {"expand": ("_expand_conv", "_bn0"), "dw": ("_depthwise_conv", "_bn1"),
                        "project": ("_project_conv", "_bn2")}[kind]
            names[layer] = (f"_blocks.{i}.{conv}", f"_blocks.{i}.{bn}")
    state = collections.OrderedDict()
    for layer, (conv, bn) in names.items():
        c = shapes[layer][0]
        state[conv + ".weight"] = rng.standard_normal(shapes[layer]).astype(numpy.float32)
        state[bn + ".weight"] = rng.random(c).astype(numpy.float32) + 0.5
        state[bn + ".bias"] = rng.standard_normal(c).astype(numpy.float32)
        state[bn + ".running_mean"] = rng.standard_normal(c).astype(numpy.float32)
        state[bn + ".running_var"] = rng.random(c).astype(numpy.float32) + 0.5
    state["_fc.weight"] = rng.standard_normal(shapes["fc"][:2]).astype(numpy.float32)
    state["_fc.bias"] = rng.standard_normal(shapes["fc"][0]).astype(numpy.float32)
    save_legacy(tmp_path / "eff.pth", state)
    dst = str(tmp_path / "eff.h5")
    convert_efficientnet_lite0(str(tmp_path / "eff.pth"), dst, widths=widths)
    loaded, meta = load_weights(dst, shapes=shapes)
    for layer in ("block3_dw", "block5_project", "stem_conv"):
        conv, bn = names[layer]
        s = state[bn + ".weight"] / numpy.sqrt(state[bn + ".running_var"] + BN_EPS)
        w = state[conv + ".weight"] * s.reshape(-1, 1, 1, 1) / (128.0 if layer == "stem_conv" else 1)
        numpy.testing.assert_allclose(loaded[f"{layer}/w"], w, rtol=1e-5)
        numpy.testing.assert_allclose(loaded[f"{layer}/b"],
                                      state[bn + ".bias"] - s * state[bn + ".running_mean"],
                                      rtol=1e-5, atol=1e-6)
    numpy.testing.assert_array_equal(loaded["fc/w"][:, :, 0, 0], state["_fc.weight"])
    numpy.testing.assert_array_equal(meta["mean_rgb"], [127, 127, 127])
