"""Running an experiment's tasks (``tasks.Task``): in this process, or on a
Dask cluster (``dask.distributed``, the optional extra ``invrep[dask]``).

``run(pending, reps, workers, scheduler, progress, log)`` runs every
``(task, target file)`` of ``pending`` and writes each finished result to
its file (``tasks.save``, atomically) as soon as it arrives, here, in the
calling process: workers need the code, the weights and the images, never
the output folder. It returns an ``Outcome`` (finished, failed, interrupted).

* ``workers`` 1 (or None, no ``scheduler``): the in-process loop, one task
  after the other, with the network ``reps[run]`` the caller loaded.
* ``workers`` N > 1: a local Dask cluster of N worker processes with one
  thread each (and one BLAS thread: ``PRE_SPAWN`` is in their environment
  before they import NumPy), started here and closed at the end
  (``local_cluster``).
* ``scheduler`` (an address such as tcp://host:8786, or a scheduler's
  JSON file): the tasks go to that existing cluster (``dask scheduler`` and
  ``dask worker``, dask-jobqueue on SLURM, ...).

Each worker loads a network once and keeps it (``tasks.network``). On
Dask the tasks start longest first (by ``Task.cost``), one per worker at
a time, with Dask's housekeeping made rarer (``QUIET``).
Faults: a worker that dies in a task (killed, out of memory) is restarted
by its nanny and the scheduler runs the task again elsewhere (up to Dask's
``distributed.scheduler.allowed-failures`` times, 3, before calling the
task failed); a task that raises is reported with its name
(``Outcome.failed``) and the others go on; Ctrl-C cancels what is queued
or running, and what was finished stays written. ``progress(done, total,
workers, note)`` is called after every task (and, in-process, every
iteration, ``note`` saying which).
"""
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

try:  # NOTE: optional; pip install 'invrep[dask]'
    import dask
    import distributed
except ImportError:
    dask = distributed = None

from .tasks import execute, save

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# NOTE: what a nanny puts in a worker's environment before it starts (so before
# NumPy loads its BLAS): one thread, and not Dask's MALLOC_TRIM_THRESHOLD_=65536,
# which fixes glibc's mmap threshold at 128 kB: every large temporary is then
# mapped and faulted in afresh, 2.5x the CPU time of a SqueezeNet task
# (tools/bench_grid.py). Every inversion sets malloc's thresholds itself too
# (backend.keep_freed_memory), which also covers `dask worker`.
PRE_SPAWN = {**ONE_THREAD, "MALLOC_TRIM_THRESHOLD_": None}
# NOTE: Dask's housekeeping, made rarer for a grid of tasks of seconds to
# minutes: a worker's profiler samples its task's stack every 10 ms, its
# nanny polls its memory every 100 ms, every event loop ticks every 20 ms.
# With two workers on two cores that took CPU from the tasks (table3 on
# SqueezeNet, 2 photos, 100 iterations: tasks of 78.3 CPU s in one process
# took the two workers 92.9 s, 82.6 s with these; docs/scale.md). For
# `dask worker`, the same settings in its environment (README):
# DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False and so on.
# worker-saturation 1.0: a worker holds one task at a time, so no task
# waits behind a long one while another worker is idle.
QUIET = {"distributed.worker.profile.enabled": False,
         "distributed.worker.memory.monitor-interval": "1s",
         "distributed.admin.tick.interval": "1s",
         "distributed.admin.system-monitor.interval": "2s",
         "distributed.scheduler.worker-saturation": 1.0}
INSTALL = "pip install 'invrep[dask]'"
CONNECT_TIMEOUT = "20s"
# NOTE: a terminal's Ctrl-C reaches the local workers too (one process group);
# they leave it to the command, which cancels the tasks and closes them
IGNORE_CTRL_C = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)"


@dataclass
class Outcome:
    done: list = field(default_factory=list)     # names of the tasks finished and written
    failed: dict = field(default_factory=dict)   # name -> one-line reason
    interrupted: bool = False


def cores():
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_workers():
    """One worker per core when Dask is installed, else 1 (this process)."""
    return cores() if distributed is not None else 1


def check(workers=None, scheduler=None):
    """Refuse, before any work, what cannot run (one line each)."""
    if workers is not None and scheduler is not None:
        raise ValueError("give a number of local workers or a Dask scheduler, not both")
    if workers is not None and (int(workers) != workers or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if distributed is None and (scheduler is not None or (workers or 1) > 1):
        where = f"the Dask scheduler {scheduler}" if scheduler else f"{workers} workers"
        raise ValueError(f"running on {where} needs Dask, which is not installed: {INSTALL} "
                         f"(or --workers 1 runs in this process)")


def run(pending, reps=None, workers=None, scheduler=None, progress=None, log=print):
    """Run every (task, target) of ``pending``; see the module docstring."""
    check(workers, scheduler)
    if not pending:
        return Outcome()
    if scheduler is None and (workers or 1) == 1:
        return _in_process(pending, reps or {}, progress, log)
    return _on_dask(pending, workers and min(workers, len(pending)), scheduler, progress, log)


def _failed(outcome, task, err, log):
    reason = str(err) if isinstance(err, ValueError) else f"{type(err).__name__}: {err}"
    if distributed is not None and isinstance(err, distributed.KilledWorker):
        reason = "its worker died every time it ran it (out of memory?)"
    outcome.failed[task.name] = reason.replace("\n", " ")
    log(f"failed: {task.name}: {outcome.failed[task.name]}")


def _in_process(pending, reps, progress, log):
    out, total = Outcome(), len(pending)
    for task, target in pending:
        finished = len(out.done) + len(out.failed)
        log(f"[{finished + 1}/{total}] {task.name}")
        step = progress and (lambda t, n, terms, name=task.name, k=finished:
                             progress(k, total, 1, f"{name} {t}/{n}"))
        try:
            try:
                result = execute(task, reps.get(task.run), step)
            except Exception as err:  # NOTE: reported by name; the other tasks go on
                _failed(out, task, err, log)
                continue
            if result["status"] == "interrupted":
                out.interrupted = True
                break
            save(target, result)
        except KeyboardInterrupt:
            out.interrupted = True
            break
        out.done.append(task.name)
        if progress:
            progress(len(out.done) + len(out.failed), total, 1, task.name)
    return out


@contextmanager
def _client(workers, scheduler):
    """A Dask client: of a new local cluster of ``workers`` processes, or
    connected to ``scheduler``."""
    if scheduler is not None:
        where = dict(scheduler_file=str(scheduler)) if str(scheduler).endswith(".json") \
            else dict(address=scheduler)
        try:
            client = distributed.Client(**where, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, ValueError) as err:
            raise ValueError(f"cannot reach the Dask scheduler {scheduler}: {err}") from None
        with client:
            yield client
        return
    with local_cluster(workers or default_workers()) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client


@contextmanager
def local_cluster(workers, **scheduler_options):
    """A Dask cluster of ``workers`` one-thread worker processes on this
    machine (``PRE_SPAWN`` in their environment; Ctrl-C left to this process).
    Dask's nannies also write to this process's environment (``PRE_SPAWN``,
    PYTHONHASHSEED, ...): it is given back as it was when the cluster closes."""
    before = dict(os.environ)
    try:
        with dask.config.set({**{f"distributed.nanny.pre-spawn-environ.{k}": v
                                 for k, v in PRE_SPAWN.items()}, **QUIET}):
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.CRITICAL, preload=[IGNORE_CTRL_C],
                scheduler_kwargs=scheduler_options or None)
        with cluster:
            yield cluster
    finally:
        for k in set(os.environ) - set(before):
            del os.environ[k]
        os.environ.update(before)


def _workers(client):
    return len(client.scheduler_info()["workers"])


def _on_dask(pending, workers, scheduler, progress, log):
    out, total = Outcome(), len(pending)
    target_of = {task.key: (task, target) for task, target in pending}
    with _client(workers, scheduler) as client:
        n = _workers(client)
        log(f"{total} tasks on {n} Dask worker{'s' * (n != 1)}")
        if progress:
            progress(0, total, n, "")
        # NOTE: the longest tasks first (a higher priority runs earlier), so that
        # the grid does not end with one worker on a long task and the rest idle
        order = sorted(pending, key=lambda p: p[0].cost, reverse=True)
        waiting = {task.key: client.submit(execute, task, key=task.key, retries=0,
                                           priority=len(order) - rank, pure=False)
                   for rank, (task, _) in enumerate(order)}
        try:
            arrivals = distributed.as_completed(list(waiting.values()), loop=client.loop)
            for future in arrivals:
                task, target = target_of[future.key]
                if future.status in ("lost", "pending"):
                    # NOTE: finished on a worker that died before we fetched the
                    # result: the scheduler computes it again; wait for that
                    arrivals.add(future)
                    continue
                if future.status == "finished":
                    result = future.result()
                    if result["status"] == "interrupted":  # NOTE: the worker got the Ctrl-C
                        raise KeyboardInterrupt
                    save(target, result)
                    out.done.append(task.name)
                elif future.status == "error":
                    _failed(out, task, future.exception(), log)
                else:  # NOTE: cancelled by another client of a shared scheduler
                    _failed(out, task, RuntimeError(f"Dask {future.status} it"), log)
                waiting.pop(future.key).release()
                now = _workers(client)
                if now != n:
                    log(f"workers: {n} -> {now}")
                    n = now
                if progress:
                    progress(len(out.done) + len(out.failed), total, n, task.name)
        except KeyboardInterrupt:
            out.interrupted = True
            client.cancel(list(waiting.values()))
    return out
