"""Read PyTorch checkpoints without torch: ``read_torch(path)`` ->
``{key: ndarray}`` (state dicts only; ``nets.convert.safe_pickle`` refuses code).

Zip format (torch >= 1.6, ``torch.save`` default): a zip archive
``<root>/data.pkl`` (the pickled state dict, tensors as persistent ids
``('storage', torch.<T>Storage, key, location, numel)``) and one member
``<root>/data/<key>`` per storage, raw little-endian elements.

Legacy format (torch < 1.6, ``_use_new_zipfile_serialization=False``):
consecutive pickles in one file,
    1. magic number 0x1950a86a20f9469cfc6c,  2. protocol version 1001,
    3. sys_info dict (``little_endian``, type sizes),  4. the state dict,
    5. the list of storage keys, in the order their data follow;
then per key: the element count (int64 little-endian) and the raw elements.
"""
import zipfile

import numpy

from . import safe_pickle
from .common import ConversionError

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001


def read_torch(path):
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    return _read_legacy(path)


def _collect(obj, refs):
    """The ``StorageRef``s behind every ``TensorRef`` in a (nested) state dict."""
    if isinstance(obj, safe_pickle.TensorRef):
        refs[obj.storage.key] = obj.storage
    elif isinstance(obj, dict):
        for v in obj.values():
            _collect(v, refs)
    return refs


def _resolve(state, storages, path):
    if not isinstance(state, dict):
        raise ConversionError(f"{path}: expected a state dict, found {type(state).__name__}")
    state = state.get("state_dict", state)
    out = {}
    for k, v in state.items():
        if isinstance(v, safe_pickle.TensorRef):
            out[k] = v.resolve(storages)
    return out


def _read_zip(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise ConversionError(f"{path}: a torch zip checkpoint has one data.pkl, found {pkl}")
        root = pkl[0][:-len("data.pkl")]
        with z.open(pkl[0]) as f:
            state = safe_pickle.load(f)
        storages = {}
        for key, ref in _collect(state, {}).items():
            member = f"{root}data/{key}"
            if member not in names:
                raise ConversionError(f"{path}: storage member {member} is missing")
            raw = z.read(member)
            storages[key] = _storage(raw, ref, path)
    return _resolve(state, storages, path)


def _storage(raw, ref, path):
    need = ref.numel * ref.dtype.itemsize
    if len(raw) < need:
        raise ConversionError(f"{path}: storage {ref.key} holds {len(raw)} bytes, "
                              f"needs {need} (truncated file?)")
    return numpy.frombuffer(raw[:need], dtype=ref.dtype.newbyteorder("<"))


def _read_legacy(path):
    with open(path, "rb") as f:
        try:
            magic = safe_pickle.load(f)
            protocol = safe_pickle.load(f)
            sys_info = safe_pickle.load(f)
        except Exception as err:
            raise ConversionError(f"{path}: neither a torch zip checkpoint nor a legacy "
                                  f"torch pickle ({err})") from err
        if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
            raise ConversionError(f"{path}: not a legacy torch file (magic {magic!r}, "
                                  f"protocol {protocol!r})")
        if not sys_info.get("little_endian", True):
            raise ConversionError(f"{path}: big-endian torch files are not supported")
        state = safe_pickle.load(f)
        keys = safe_pickle.load(f)
        refs = _collect(state, {})
        storages = {}
        for key in keys:
            count = int.from_bytes(f.read(8), "little")
            ref = refs.get(str(key))
            if ref is None:
                raise ConversionError(f"{path}: storage {key} is not used by any tensor")
            storages[ref.key] = _storage(f.read(count * ref.dtype.itemsize), ref, path)
    return _resolve(state, storages, path)
