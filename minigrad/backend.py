"""The one door to the array backend: NumPy by default, CuPy on request.

Every other module writes ``xp = get_array_module(x)`` and never imports cupy.
Nothing here touches a GPU at import time, so the package imports on machines
without one.

Choosing the device
-------------------
* ``MINIGRAD_DEVICE=gpu`` (or ``cpu``) in the environment, read on first use;
* ``use("gpu")`` / ``use("cpu")`` from Python (wins over the environment).

Asking for the GPU when CuPy is missing or finds no usable device raises a
``RuntimeError`` that says so; we never fall back silently.

Dtypes
------
float32 is the working precision; the gradient checker runs in float64.
``default_dtype()`` is what ``asarray`` and the layers' parameter casts use.
"""
import os

import numpy

_state = {"device": None, "dtype": numpy.float32}
DEVICES = ("cpu", "gpu")


def _import_cupy():
    """Import cupy and check that a CUDA device really answers."""
    try:
        import cupy
    except Exception as err:  # ImportError, or a broken CUDA install
        raise RuntimeError(
            "the GPU was requested (MINIGRAD_DEVICE=gpu or use('gpu')) but "
            f"CuPy cannot be imported: {err}. Install a cupy-cuda* wheel that "
            "matches your CUDA driver, or use the CPU.") from err
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:
        raise RuntimeError(
            "the GPU was requested but CuPy finds no usable CUDA device: "
            f"{err}") from err
    if count < 1:
        raise RuntimeError("the GPU was requested but no CUDA device exists")
    return cupy


def use(device):
    """Select ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy) for new arrays."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; expected one of {DEVICES}")
    if device == "gpu":
        _import_cupy()
    _state["device"] = device


def device():
    """The current device name, reading ``MINIGRAD_DEVICE`` on first use."""
    if _state["device"] is None:
        use(os.environ.get("MINIGRAD_DEVICE", "cpu").strip().lower() or "cpu")
    return _state["device"]


def xp():
    """The array module of the current device."""
    return _import_cupy() if device() == "gpu" else numpy


def get_array_module(*arrays):
    """``cupy`` if any argument is a CuPy array, else ``numpy``."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy
            return cupy
    return numpy


def default_dtype():
    return _state["dtype"]


def set_default_dtype(dtype):
    """Set the working float dtype (float32 or float64)."""
    dtype = numpy.dtype(dtype)
    if dtype not in (numpy.float32, numpy.float64):
        raise ValueError(f"the working dtype must be float32 or float64, not {dtype}")
    _state["dtype"] = dtype.type


def asarray(a, dtype=None):
    """Move ``a`` to the current device as ``dtype`` (default: the working dtype)."""
    dtype = default_dtype() if dtype is None else dtype
    if device() == "gpu":
        return xp().asarray(a, dtype=dtype)
    return numpy.asarray(to_numpy(a), dtype=dtype)


def to_numpy(a):
    """A NumPy copy (or view) of ``a``, wherever it lives."""
    if type(a).__module__.startswith("cupy"):
        return a.get()
    return numpy.asarray(a)


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulated.

    NOTE: the one place where unbuffered scatter-add lives. NumPy has
    ``numpy.add.at``; CuPy spells it ``cupyx.scatter_add``.
    """
    if type(target).__module__.startswith("cupy"):
        import cupyx
        cupyx.scatter_add(target, index, values)
    else:
        numpy.add.at(target, index, values)
    return target
