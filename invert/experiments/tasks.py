"""One task of an experiment: one run on one image, the unit of work that
``grid`` hands to this process or to a Dask worker.

A ``Task`` is plain data: the run's settings (already merged with its
preset and the command line's options), the image's path and size, and the
seed of its initial noise. The seed comes from the experiment's seed and
the task's name (``task_seed``: SHA-256 of the name into a NumPy
``SeedSequence``), never from the order in which tasks run, so a task gives
the same result in any process, in any order, on any day: tasks can be
spread over workers, stopped and resumed. (Bit for bit, that also needs
the same BLAS threading: ``grid`` gives every worker one thread.)

``execute(task, rep)`` runs a task and returns its result, which ``save``
writes as ``OUT/<run>/<image>.npz`` (reconstruction, both codes, every
restart, a JSON summary) and a PNG, each atomically.

In a worker, ``rep`` is not passed: ``network`` loads the task's network
once per process and keeps it (``LOADED``; ``LOADS`` counts the loads), and
one task runs at a time per process (``_ONE_AT_A_TIME``: a ``Net`` keeps its
activations between the forward and the backward pass, so two threads
cannot share it).
"""
import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy
from PIL import Image

from minigrad import backend
from nets import registry

from .. import presets, representation
from ..representation import KIND_DEFAULTS
from ..settings import schedule_spec
from ..api import invert_with
from ..images import load_image, save_npz, save_png

LOADED = {}          # network name -> Representation, in this process
LOADS = Counter()    # network name -> times loaded in this process
_ONE_AT_A_TIME = threading.Lock()


@dataclass(frozen=True)
class Task:
    name: str            # "<run>/<image stem>", also what the seed is derived from
    run: str
    image: str           # the image's path as listed (recorded in the result)
    source: str          # the same, absolute (what a worker reads)
    rep: str             # network name in nets.registry
    layer: str           # layer to cut it at (None: the network's default)
    options: dict        # every option of the run, the task's own seed included
    size: int = None     # resize to size x size (None: native resolution)
    colour: bool = False
    device: str = "cpu"

    @property
    def cost(self):
        """A rough relative cost, to start the longest tasks first: iterations
        (of the schedule the task runs) x restarts x copies x pixels x how
        deep the layer is in its network (0 to 1]."""
        network = registry.NETWORKS.get(self.rep)  # NOTE: None outside the registry
        layers = network.layers if network else []
        depth = (layers.index(self.layer) + 1) / len(layers) if self.layer in layers else 1.0
        o = self.options
        defaults = KIND_DEFAULTS.get(network.kind, {}) if network else {}
        iters = 1 if o.get("method") == "hoggle" else \
            sum(n for _, n in presets.schedule(schedule_spec(o, defaults), o.get("iters")))
        return iters * (o.get("restarts") or 1) * (o.get("copies") or 1) * (self.size or 1) ** 2 \
            * depth

    @property
    def key(self):
        """A name unique to the task's content (Dask's key): the same task
        submitted twice is one computation, a changed setting another."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return f"{self.name} {hashlib.sha256(text.encode()).hexdigest()[:16]}"


def task_seed(seed, name):
    """The seed of the task called ``name`` in an experiment seeded ``seed``
    (a non-negative integer): a 64-bit integer from a NumPy SeedSequence
    over ``seed`` and the SHA-256 digest of ``name``. Stable across Python
    processes and versions (unlike ``hash``) and distinct for distinct names."""
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    words = numpy.frombuffer(hashlib.sha256(name.encode()).digest(), dtype="<u4")
    state = numpy.random.SeedSequence([int(seed), *words.tolist()]).generate_state(2, numpy.uint32)
    return int(state[0]) | int(state[1]) << 32


def load_resized(path, size=None, colour=False):
    """The grayscale (or ``colour``) image, optionally resized (Pillow
    LANCZOS, each channel) to size x size."""
    a = load_image(path, gray=not colour)
    if size is None or a.shape[:2] == (size, size):
        return a
    planes = [Image.fromarray(c.astype(numpy.float32), mode="F").resize(
        (size, size), Image.Resampling.LANCZOS) for c in numpy.atleast_3d(a).transpose(2, 0, 1)]
    return numpy.squeeze(numpy.stack([numpy.asarray(c, numpy.float64) for c in planes], -1))


def make_task(run, path, rep, options, seed, size=None, colour=False):
    """The task of ``run`` (a ``Representation`` and its merged options) on
    the image at ``path``, seeded from the experiment's ``seed``."""
    name = f"{run}/{Path(path).stem}"
    return Task(name=name, run=run, image=str(path), source=os.path.abspath(path),
                rep=rep.name, layer=rep.layer,
                options={**options, "seed": task_seed(seed, name)},
                size=size, colour=colour, device=backend.device())


def network(name, layer=None):
    """Network ``name`` cut at ``layer``, loaded once per process."""
    if name not in LOADED:
        LOADED[name] = representation.get(name)
        LOADS[name] += 1
    return LOADED[name].at(layer) if layer else LOADED[name]


def execute(task, rep=None, progress=None):
    """Run ``task`` (on ``rep``, else on this process's copy of its network);
    returns the result ``save`` writes, status "interrupted" after a Ctrl-C."""
    with _ONE_AT_A_TIME:
        if backend.device() != task.device:
            backend.use(task.device)
        rep = rep or network(task.rep, task.layer)
        image = load_resized(task.source, task.size, task.colour)
        res = invert_with(image, rep, options=task.options, progress=progress)
    info = dict(image=task.image, run=task.run, status=res.status, seconds=res.seconds,
                iterations=res.iterations, settings=res.settings,
                final={k: v.tolist() for k, v in res.final.items()},
                image_error=float(res.image_error[res.best]))
    return dict(status=res.status, seconds=res.seconds, image=res.image, arrays=dict(
        recon=numpy.float32(res.image), phi=res.phi[res.best], phi0=res.phi0,
        info=json.dumps(info, default=str), restarts=numpy.float32(res.images)))


def save(target, result):
    """Write a finished result: ``target`` (.npz) and its PNG, atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_png(target.with_suffix(".png"), result["image"])
    save_npz(target, **result["arrays"])
