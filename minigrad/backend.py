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

Parallel work on the CPU
------------------------
NumPy runs each array operation on one core; only its matrix products
(BLAS) use several. ``parallel(fn, jobs)`` runs independent jobs (bands of
an image, say) in threads, one per core the BLAS would use, since NumPy's
loops and BLAS calls release Python's lock, with the BLAS made
single-threaded meanwhile so that the cores are not asked for twice. That
needs the BLAS's thread control: OpenBLAS as NumPy's wheels ship it
(``_blas_threads``); with another BLAS, a BLAS set to one thread, one core
or CuPy arrays the jobs run one after the other.
NOTE: why not leave the threads to OpenBLAS: its threads wait for work by
spinning, so on a machine shared with other processes each of the many
small products of ``layers.winograd`` waited for a descheduled thread
(VGG-19 conv1_2, 64 channels at 227x227, forward on a loaded 2-core machine:
2.1 s with OpenBLAS's 2 threads, 70 ms as two threads of single-threaded
bands), and the additions between products ran on one core only. For the
same reason ``blas_threads(1)`` runs small products on one thread
(``layers.conv_fast``).
NOTE: after each product on several threads, OpenBLAS's idle threads keep
spinning for 2^28 cycles (about 0.1 s here) before they sleep (its
``THREAD_TIMEOUT``; OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` = n, meaning
2^n cycles, at start-up), so the NumPy loops and one-thread products that
follow (Winograd's transforms, ReLU, the bands of ``parallel``) shared
their cores with a spinning thread. Importing this module sets
``OPENBLAS_THREAD_TIMEOUT=20`` (2^20 cycles, a third of a millisecond:
long enough for back-to-back products, short beside the work between
them) unless the environment sets it; that takes effect only if NumPy
was not imported before (``THREAD_TIMEOUT_IN_TIME``): every package of
this project imports minigrad first, and a program that imports NumPy
before them can set the variable itself. Whole iterations on this
2-core machine, five alternating processes each, against OpenBLAS's 28:
VGG-19 relu3_1 at batch 1 median 0.79, pool5 at batch 1 0.94, CaffeNet
fc8 at batch 4 0.95; against 4 (OpenBLAS's shortest): VGG-19 relu3_1
1.00, CaffeNet fc8 at batch 4 0.99, SqueezeNet pool10 0.98, HOG 0.97.

Memory
------
An iteration allocates and frees the same large temporaries again and
again. glibc's malloc serves blocks above its mmap threshold with fresh
``mmap``s and gives freed memory at the top of its heap back to the system
above its trim threshold, so each iteration faults the same pages in again,
zero-filled by the kernel: 3,500 page faults per SqueezeNet iteration, a
seventh of its time.
``keep_freed_memory()`` (called by every inversion) raises both thresholds
(``mallopt``, glibc only; elsewhere it does nothing), so freed blocks are
reused; the process then keeps its peak size until it exits.
"""
import contextlib
import ctypes
import glob
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

# NOTE: read by OpenBLAS when NumPy loads it, so before ``import numpy``
# ("Parallel work on the CPU" above)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")
THREAD_TIMEOUT_IN_TIME = "numpy" not in sys.modules

import numpy  # noqa: E402

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


# -- memory -------------------------------------------------------------------
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
MMAP_THRESHOLD_MAX = 32 << 20  # glibc's largest on 64-bit systems (4 MB x sizeof(long))
_malloc = {}


def keep_freed_memory():
    """Let glibc's malloc keep and reuse freed memory (see the module
    docstring), once per process. True when the settings were made, False
    where malloc is not glibc's."""
    if "done" not in _malloc:
        _malloc["done"] = False
        try:
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        _malloc["done"] = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)
                               and mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1))
    return _malloc["done"]


# -- parallel work on the CPU -------------------------------------------------
_threads = {"lock": threading.Lock()}


def _openblas():
    """(library, symbol stem, symbol suffix) of the OpenBLAS inside NumPy's
    wheel, or None where it cannot be found (another BLAS, a system build)."""
    if "openblas" not in _threads:
        _threads["openblas"] = None
        folder = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
        for path in sorted(glob.glob(os.path.join(folder, "*openblas*"))):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for stem, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                                 ("openblas", "64_"), ("openblas", "")):
                if getattr(lib, f"{stem}_get_num_threads{suffix}", None) is not None:
                    _threads["openblas"] = (lib, stem, suffix)
                    return _threads["openblas"]
    return _threads["openblas"]


def _blas_threads():
    """(get, set) of the thread count of the OpenBLAS inside NumPy's wheel,
    or None where it cannot be found."""
    if "blas" not in _threads:
        _threads["blas"] = None
        found = _openblas()
        if found is not None:
            lib, stem, suffix = found
            get = getattr(lib, f"{stem}_get_num_threads{suffix}")
            put = getattr(lib, f"{stem}_set_num_threads{suffix}", None)
            if put is not None:
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                _threads["blas"] = (get, put)
    return _threads["blas"]


def blas_core():
    """The name of the kernels OpenBLAS runs ("Haswell": AVX2, "SkylakeX":
    AVX-512, ...), or None where it cannot be asked. OpenBLAS picks them
    for the CPU unless the environment names them (``OPENBLAS_CORETYPE``)."""
    found = _openblas()
    corename = None if found is None else \
        getattr(found[0], f"{found[1]}_get_corename{found[2]}", None)
    if corename is None:
        return None
    corename.restype = ctypes.c_char_p
    return corename().decode()


def cpu_workers():
    """How many threads ``parallel`` uses: the cores this process may run on,
    at most as many as the BLAS is set to use (1: run jobs in turn)."""
    blas = _blas_threads()
    if blas is None:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, blas[0]()))


@contextlib.contextmanager
def blas_threads(n):
    """The BLAS limited to ``n`` threads inside the block (where its thread
    count can be set; elsewhere nothing changes)."""
    blas = _blas_threads()
    if blas is None:
        yield
        return
    get, put = blas
    before = get()
    put(min(n, before))
    try:
        yield
    finally:
        put(before)


def parallel(fn, jobs, xp=numpy):
    """Call ``fn(job)`` for every job (independent: they write disjoint
    arrays). On the CPU in ``cpu_workers()`` threads with the BLAS
    single-threaded meanwhile; otherwise one after the other."""
    jobs = list(jobs)
    workers = cpu_workers() if xp is numpy and len(jobs) > 1 else 1
    if workers < 2:
        for job in jobs:
            fn(job)
        return
    get, put = _blas_threads()
    with _threads["lock"]:  # NOTE: one parallel section at a time
        if _threads.get("workers") != workers:
            _threads["pool"], _threads["workers"] = ThreadPoolExecutor(workers, "minigrad"), workers
        pool = _threads["pool"]
        before = get()
        put(1)
        try:
            for _ in pool.map(fn, jobs):
                pass
        finally:
            put(before)
