"""The NumPy/CuPy door: device selection, and that every array function our
modules call through ``xp.`` exists in CuPy, so the GPU path is the same
code as the CPU path."""
import ast
import importlib
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from minigrad import backend

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("minigrad", "layers", "nets", "invert")


def python(code, *args, env=None):
    """What a fresh Python running ``code`` (with ``args``) in the project's
    folder prints, split into words."""
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout.split()


def xp_attribute_chains():
    """Every ``xp.a.b.c`` chain (as 'a.b.c') in the packages' sources, with
    where it occurs."""
    found = {}
    for pkg in PACKAGES:
        for dirpath, _, files in os.walk(os.path.join(ROOT, pkg)):
            for f in files:
                if not f.endswith(".py"):
                    continue
                path = os.path.join(dirpath, f)
                tree = ast.parse(open(path, encoding="utf-8").read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Attribute) and not isinstance(
                            getattr(node, "parent", None), ast.Attribute):
                        chain, cur = [], node
                        while isinstance(cur, ast.Attribute):
                            chain.append(cur.attr)
                            cur = cur.value
                        if isinstance(cur, ast.Name) and cur.id == "xp":
                            found.setdefault(".".join(reversed(chain)), path)
    return found


def test_scan_finds_the_calls_we_know_about():
    chains = xp_attribute_chains()
    for name in ("matmul", "zeros", "lib.stride_tricks.as_strided", "pad", "where"):
        assert any(c == name or c.startswith(name + ".") for c in chains), name


@pytest.mark.slow
def test_every_xp_function_exists_in_cupy():
    try:
        cupy = importlib.import_module("cupy")
    except Exception as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"cupy cannot be imported here ({err}); install cupy-cuda12x "
                    "(pip install 'invrep[gpu]') to run this check")
    missing = []
    for chain, where in sorted(xp_attribute_chains().items()):
        obj = cupy
        for part in chain.split("."):
            if not hasattr(obj, part):
                missing.append(f"cupy.{chain} (used in {os.path.relpath(where, ROOT)})")
                break
            obj = getattr(obj, part)
    assert not missing, "not in CuPy: " + "; ".join(missing)


def test_numpy_is_the_default():
    assert backend.get_array_module(np.zeros(2)) is np
    assert backend.default_dtype() is np.float32
    assert backend.asarray([1, 2]).dtype == np.float32


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.use("tpu")


def test_gpu_without_a_usable_device_says_so(monkeypatch):
    try:
        import cupy
        cupy.cuda.runtime.getDeviceCount()
        pytest.skip("a GPU is present")
    except ImportError:
        pass
    except Exception:
        pass
    before = backend._state["device"]
    with pytest.raises(RuntimeError, match="GPU was requested"):
        backend.use("gpu")
    assert backend._state["device"] == before  # the failed request changed nothing


def test_environment_variable_is_read_on_first_use(monkeypatch):
    monkeypatch.setitem(backend._state, "device", None)
    monkeypatch.setenv("MINIGRAD_DEVICE", "tpu")  # the default is cpu: only the variable says tpu
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.device()
    monkeypatch.setenv("MINIGRAD_DEVICE", " CPU ")
    assert backend.device() == "cpu"


def test_dtype_switch(monkeypatch):
    monkeypatch.setitem(backend._state, "dtype", np.float32)
    backend.set_default_dtype("float64")
    assert backend.asarray([1]).dtype == np.float64
    with pytest.raises(ValueError, match="float32 or float64"):
        backend.set_default_dtype("int8")


def test_parallel_runs_every_job_once_and_restores_the_blas_threads():
    done = []
    before = backend._blas_threads()[0]() if backend._blas_threads() else None
    backend.parallel(done.append, range(7))
    assert sorted(done) == list(range(7))
    if before is not None:
        assert backend._blas_threads()[0]() == before


def test_parallel_passes_a_failure_on_and_still_restores_the_blas_threads():
    def fail(job):
        if job == 3:
            raise ValueError("job 3")
    before = backend._blas_threads()[0]() if backend._blas_threads() else None
    with pytest.raises(ValueError, match="job 3"):
        backend.parallel(fail, range(5))
    if before is not None:
        assert backend._blas_threads()[0]() == before


def test_blas_threads_limits_inside_the_block_only():
    blas = backend._blas_threads()
    if blas is None:  # another BLAS: the block changes nothing and still runs
        with backend.blas_threads(1):
            pass
        return
    before = blas[0]()
    with backend.blas_threads(1):
        assert blas[0]() == 1
        assert backend.cpu_workers() == 1  # nothing runs in parallel inside
    assert blas[0]() == before


FAULTS = """
import resource, sys, numpy
from minigrad import backend
if sys.argv[1] == "keep":
    assert backend.keep_freed_memory() and backend.keep_freed_memory()  # once, then cached
def rounds(n):  # temporaries of several sizes, one of them outliving the next round's
    kept = None
    for k in range(n):
        a = numpy.ones((1 + k % 3) << 20, numpy.float32)
        c = numpy.ones(3 << 20, numpy.float32)
        kept = numpy.ones((2 + k % 2) << 20, numpy.float32)
        del a, c
rounds(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds(20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not hasattr(os, "confstr") or "glibc" not in (os.confstr("CS_GNU_LIBC_VERSION") or ""),
                    reason="keep_freed_memory sets glibc's malloc only")
def test_keeping_freed_memory_stops_faulting_the_same_pages_in_again():
    faults = {how: int(python(FAULTS, how)[0]) for how in ("default", "keep")}
    # 20 rounds of 24-36 MB: glibc's defaults map and fault most of it in afresh
    assert faults["default"] > 2000 and faults["keep"] < faults["default"] / 4, faults


SPIN = """
import os, time
from minigrad import backend
import numpy
print(backend.THREAD_TIMEOUT_IN_TIME, os.environ["OPENBLAS_THREAD_TIMEOUT"])
a = numpy.ones((1024, 1024), numpy.float32)
for _ in range(3):
    a @ a  # on several threads
start = time.process_time()
time.sleep(0.05)  # idle: only OpenBLAS's threads can use the CPU meanwhile
print(time.process_time() - start)
"""


def run_spin(env_value):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT",
                                                            "OPENBLAS_NUM_THREADS",
                                                            "OMP_NUM_THREADS")}
    if env_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = env_value
    out = python(SPIN, env=env)
    return out[0] == "True", out[1], float(out[2])


@pytest.mark.skipif(backend.cpu_workers() < 2, reason="needs OpenBLAS on two cores or more")
def test_openblas_threads_do_not_spin_after_a_product():
    in_time, value, cpu = run_spin(None)  # ours: 2^20 cycles, well under a millisecond
    assert in_time and value == "20" and cpu < 0.02, (in_time, value, cpu)
    # OpenBLAS's default (2^28 cycles, about 0.1 s) spins through the sleep,
    # seen only when a core is free for the spinning threads (NOTE: on a
    # machine busy with other work they wait for a core instead)
    busy = os.getloadavg()[0] > backend.cpu_workers() - 1
    in_time, value, cpu = run_spin("28")
    assert in_time and value == "28" and (cpu > 0.03 or busy), (in_time, value, cpu)


def test_every_package_sets_the_thread_timeout_before_numpy_loads():
    code = "import {0}; from minigrad import backend; print(backend.THREAD_TIMEOUT_IN_TIME)"
    late = python("import numpy; " + code.format("minigrad"))
    assert late == ["False"]  # the test can tell
    for package in ("minigrad", "layers", "nets", "invert", "invert.run", "tools.bench",
                    "tools.profile_iter", "tools.bench_grid"):
        assert python(code.format(package)) == ["True"], package


@pytest.mark.skipif(backend.blas_core() is None or platform.machine() != "x86_64",
                    reason="needs NumPy's own OpenBLAS on an x86-64 CPU")
def test_blas_core_names_the_kernels_openblas_runs():
    for core in ("Sandybridge", "Haswell"):  # AVX and AVX2 kernels
        env = dict(os.environ, OPENBLAS_CORETYPE=core)
        assert python("from minigrad import backend; print(backend.blas_core())",
                      env=env) == [core]
