"""``invert.invert``: one call from an image to its reconstructions.

    >>> import invert
    >>> r = invert.invert("photo.png", rep="hog", restarts=2, seed=0)
    >>> r.image            # best restart, (H, W) or (H, W, 3) in [0, 1]
    >>> r.images           # every restart
    >>> r.history["loss"]  # (iterations, restarts), also "alpha", "tv", "total"
    >>> r.error            # ||Phi(x*) - Phi0|| / ||Phi0|| per restart
    >>> r.settings         # every resolved option (JSON-ready)
    >>> r.status           # "done", "interrupted" or "diverged" (r.nonfinite: which term)

Options (defaults in ``settings.OPTIONS``; a ``preset`` from
``presets.PRESETS`` fills them first, explicit arguments win, ``rep``
included: ``settings.choose``; every value is checked before any work,
a ValueError naming the option and its range):

sigma         "auto" (rho sqrt(C H W), ``representation``), "paper" (the
              authors' 27098.1 grey levels) or a number, in input units.
lambda_alpha  "auto" (heuristic, ``objective``), "paper" (2.16e8) or a number.
lambda_tv     None (the representation's default: 5 for HOG/DSIFT), "auto"
              (heuristic with ``a``), or a number.
alpha, beta   exponents of the two priors (6 and 2).
B, a          pixel half-range in grey levels and gradient fraction of the
              heuristics (128, 0.01).
schedule      a name of ``presets.SCHEDULES`` or [(eta, iterations), ...];
              ``iters`` rescales it to that many iterations in total.
restarts      random restarts, run together as one batch.
seed / rng    seed of the initial noise, or an explicit numpy Generator.
window, group   restrict the loss to the central n x n neurons or to the
              "first"/"second" half of the channels (Figs. 9-10).
gray          invert the grayscale image (forced for HOG/DSIFT).
solver        "momentum" (the paper's, module ``solver``), "adam" (module
              ``adam``: the schedule's rates are then steps in grey levels)
              or "lbfgs" (module ``lbfgs``: only the schedule's length
              counts); ``memory`` is L-BFGS's number of pairs (10).
adaptive      None, or cap each pixel's step at this many grey levels
              (IJCV 2016's AdaGrad denominator, module ``adaptive``;
              momentum only).
box           clip x to the valid pixel range after each step.
bound         None, or bound each pixel's colour norm by B grey levels
              (IJCV 2016; module ``adaptive``).
jitter        shift the network's input by up to J pixels, a new random
              shift each iteration (IJCV 2016; module ``objective``).
zoom          scale it by a random factor in [1/(1 + r), 1 + r] too.
shrink        F in [0, 1): lower that factor's range to [(1 - F)/(1 + r),
              1 + r], so the network mostly sees the image smaller and the
              reconstruction draws what it recognises larger.
copies        with jitter, zoom or shrink: see each restart K times per
              iteration, each copy moved its own way, and average (module
              ``objective``); K times the work per iteration.
polish        with jitter, zoom or shrink: the last fraction F of the
              iterations see the image as it is (no shift, no zoom, one
              copy), so the reconstruction ends fitted to the code of the
              image itself; 0 (default) jitters to the end.
coarse        coarse to fine: the first fraction F of the iterations move
              the image at a smaller size, enlarged (``octaves`` sizes, from
              1/2^K to 1/2, in equal shares, each a new start of the
              solver from the last; module ``parametrise``); 0 (default):
              the image itself throughout.
param         "pixels", "colour" or "fourier": what the solver moves
              (module ``parametrise``).
centre_code   compare the codes with each one's mean over the channels
              removed (module ``objective``): for class scores, what the
              softmax sees; ``error`` stays the plain one.
init_scale    the norm of each restart's initial noise (1: the paper's,
              an image of the norm of a typical image).
surrogate     HOG's hard orientation bins pass the bilinear gate's angular
              gradient back (a straight-through estimate; the energy stays
              exact; ``layers.orientation``).
              (A representation's ``defaults`` fill options first: the
              deep networks use adaptive=16, box=True,
              ``representation.KIND_DEFAULTS``.)
method        "descent" (the paper's method, all of the above) or "hoggle":
              HOGgle's paired-dictionary inversion of HOG (module
              ``hoggle``, the baseline of Table 1), which reads only
              ``dictionary`` (its file, default
              ``$INVREP_WEIGHTS/hoggle.h5``, made by ``python -m
              invert.train_hoggle``) and ignores the descent options.
"""
import time
from dataclasses import dataclass, field

import numpy

from minigrad import backend
from nets.preprocess import to_gray

from . import hoggle, parametrise, representation
from .adam import Adam
from .adaptive import solver_hooks
from .images import load_image
from .lbfgs import LBFGS
from .objective import Objective, loss_mask
from .presets import schedule_part, stages
from .settings import choose, hard_gates, moved, resolve
from .solver import Momentum, Solution, minimise, random_init


@dataclass
class Inversion:
    images: list            # one reconstruction per restart, in [0, 1]
    x: numpy.ndarray        # the unit-norm solution, (N, C, H, W)
    history: dict           # term -> (iterations, N)
    final: dict             # term -> (N,) at the solution
    error: numpy.ndarray    # ||M(Phi(sigma x) - Phi0)|| / ||M Phi0|| per restart
    image_error: numpy.ndarray  # ||sigma x - z0|| / ||z0|| per restart, z0 the centred input
    phi: numpy.ndarray      # codes of the reconstructions, (N, C', H', W')
    phi0: numpy.ndarray     # code of the original, (C', H', W')
    settings: dict
    status: str = "done"
    iterations: int = 0
    seconds: float = 0.0
    resets: list = field(default_factory=list)
    nonfinite: tuple = ()   # diverged: the terms that stopped being finite (``solver``)

    @property
    def best(self):
        """Index of the restart with the lowest final energy (NaN counts as
        the highest: a run diverged from the start has no finite energy)."""
        total = numpy.asarray(self.final["total"], dtype=numpy.float64)
        return int(numpy.argmin(numpy.where(numpy.isnan(total), numpy.inf, total)))

    @property
    def image(self):
        return self.images[self.best]


def moves(objective, rng, n, s, first=0):
    """``before(t)`` for ``minimise``: new shifts and zooms for each of the
    first iterations, none (the image as it is) for the last fraction
    ``polish`` of them; t counts from iteration ``first``."""
    moving = s["iters"] - round(s["polish"] * s["iters"])

    def before(t):
        objective.still = first + t >= moving
        if not objective.still:
            objective.draw(rng, n)
    return before


def _stage(objective, rep, x, s, factor, first, last, rng, progress, sol, dtype):
    """Iterations first to last - 1 from x (one stage of ``stages``) with a
    new solver (each stage moves a different unknown), after ``sol``, the
    stages before: (the last x, the solution so far)."""
    part = dict(s, schedule=schedule_part(s["schedule"], first, last), iters=last - first)
    solver, project = make_solver(rep, part, dtype)
    before = moves(objective, rng, x.shape[0], s, first) if moved(s) else None
    callback = None if progress is None else \
        (lambda t, total, energies: progress(first + t, s["iters"], energies))
    if s["param"] == "pixels" and factor == 1:
        now = minimise(objective, x, solver, callback, project, before)
        x = now.x
    else:
        param = parametrise.make(s["param"], rep.channels, *x.shape[2:], factor)
        target = parametrise.Reparametrised(objective, param)
        now = minimise(target, param.inverse(x), solver, callback, target.project(project),
                       before)
        x = param.forward(now.x)
    if first == 0:
        return x, now
    history = {k: numpy.concatenate([sol.history[k], now.history[k]]) for k in now.history}
    return x, Solution(x=x, history=history, final=now.final, status=now.status,
                       iterations=first + now.iterations,
                       resets=sol.resets + [first + t for t in now.resets],
                       nonfinite=now.nonfinite)


def make_solver(rep, s, dtype=None):
    """(solver, project) for resolved settings ``s`` (module docstring)."""
    step, project = solver_hooks(rep, s, dtype)
    if s["solver"] == "momentum":
        return Momentum(s["schedule"], s["momentum"], step), project
    if s["solver"] == "adam":  # NOTE: rates in grey levels per step, to x's units
        return Adam([(eta * rep.unit / s["sigma"], n) for eta, n in s["schedule"]]), project
    return LBFGS(s["iters"], s["memory"]), project


def invert(image, rep=None, layer=None, *, preset=None, rng=None, progress=None, init=None,
           **options):
    """Reconstruct ``image`` (a path or an (H, W[, 3]) array in [0, 1]) from
    its code under representation ``rep`` (a name of ``nets.registry`` or a
    ``Representation``; default: the preset's, else "hog") cut at ``layer``.
    ``init``: start from this x (N, C, H, W) (e.g. ``Inversion.x`` of an
    earlier run, with the same sigma) instead of random noise. See the module
    docstring."""
    rep, layer, options = choose(rep, layer, preset, **options)
    return invert_with(image, rep, layer, options, rng=rng, progress=progress, init=init)


def invert_with(image, rep, layer=None, options=None, *, rng=None, progress=None, init=None):
    """``invert`` with ``options`` exactly as ``settings.choose`` returned
    them (``options["preset"]`` is only recorded, never looked up): what
    the command line and an experiment's tasks run, so that a task is plain
    data that any process can run."""
    options = dict(options or {})
    backend.keep_freed_memory()
    if isinstance(rep, str):
        rep = representation.get(rep, layer)
    x0 = load_image(image) if not hasattr(image, "shape") else numpy.asarray(image, numpy.float64)
    if x0.ndim not in (2, 3) or (x0.ndim == 3 and x0.shape[2] != 3):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {x0.shape}")
    if options.get("gray") and x0.ndim == 3:
        x0 = to_gray(x0)
    h, w = x0.shape[:2]
    code_shape = rep.code_shape(h, w)
    s = resolve(rep, (rep.channels, h, w), options)
    dtype = numpy.dtype(s["dtype"]).type

    for gate in hard_gates(rep):  # NOTE: set for this inversion whatever a previous one did
        gate.surrogate = bool(s["surrogate"])
    z0 = rep.to_centred(x0)
    phi0 = rep.forward(backend.asarray(z0, dtype))
    if s["method"] == "hoggle":
        return _hoggle(rep, phi0, z0, s)
    mask = loss_mask(code_shape, s["window"], s["group"])
    objective = Objective(rep, phi0, s["sigma"], s["lambda_alpha"], s["lambda_tv"],
                          s["alpha"], s["beta"],
                          None if mask is None else backend.asarray(mask, dtype),
                          s["loss_weight"], s["subtract_mean"], s["tv_floor"], s["jitter"],
                          s["zoom"], s["copies"], s["shrink"], s["centre_code"])
    rng = numpy.random.default_rng(s["seed"]) if rng is None else rng
    n = s["restarts"]
    x = random_init(rng, (n, rep.channels, h, w), dtype)
    if s["init_scale"] != 1:
        x = x * dtype(s["init_scale"])
    if init is not None:
        if tuple(numpy.shape(init)) != tuple(x.shape):
            raise ValueError(f"init has shape {tuple(numpy.shape(init))}, expected "
                             f"{tuple(x.shape)} (restarts, channels, height, width)")
        x = backend.asarray(init, dtype)
    start = time.perf_counter()
    sol = Solution(x=x, history={}, final={})
    for factor, first, last in stages(s):
        x, sol = _stage(objective, rep, x, s, factor, first, last, rng, progress, sol, dtype)
        if sol.status != "done":
            break
    seconds = time.perf_counter() - start

    phi = rep.forward(s["sigma"] * x)
    diff = phi - phi0 if mask is None else (phi - phi0) * objective.mask
    error = numpy.sqrt(backend.to_numpy((diff * diff).reshape(n, -1).sum(axis=1))
                       .astype(numpy.float64) / objective.phi0_sq)
    z = s["sigma"] * backend.to_numpy(x).astype(numpy.float64)
    image_error = (numpy.sqrt(((z - z0) ** 2).reshape(n, -1).sum(axis=1))
                   / numpy.sqrt((z0 ** 2).sum()))
    images = list(rep.from_centred(s["sigma"] * x))
    return Inversion(images=images, x=backend.to_numpy(x), history=sol.history,
                     final=sol.final, error=error, image_error=image_error,
                     phi=backend.to_numpy(phi),
                     phi0=backend.to_numpy(phi0)[0], settings=s, status=sol.status,
                     iterations=sol.iterations, seconds=seconds, resets=sol.resets,
                     nonfinite=sol.nonfinite)


HOGGLE_SETTINGS = ("method", "rep", "layer", "height", "width", "input_channels", "gray",
                   "dtype", "dictionary")


def _hoggle(rep, phi0, z0, s):
    """HOGgle's reconstruction from the code phi0 (1, C, Hc, Wc), as an
    ``Inversion`` of one "restart": x is the centred reconstruction (there is
    no sigma), history and final hold the normalised loss
    ||Phi(x*) - Phi0||^2 / ||Phi0||^2, settings the dictionary's."""
    dictionary = hoggle.load_dictionary(s["dictionary"])
    start = time.perf_counter()
    image, steps = hoggle.invert_hog(backend.to_numpy(phi0)[0], dictionary,
                                     s["height"], s["width"])
    seconds = time.perf_counter() - start
    z = rep.to_centred(image)
    phi = backend.to_numpy(rep.forward(backend.asarray(z, numpy.dtype(s["dtype"]).type)))
    phi0 = backend.to_numpy(phi0)
    loss = numpy.array([((phi - phi0) ** 2).sum() / (phi0 ** 2).sum()], numpy.float64)
    settings = {k: s[k] for k in HOGGLE_SETTINGS}
    settings.update(atoms=dictionary.atoms, cells=dictionary.cells,
                    cell_size=dictionary.cell_size, lambda_l1=dictionary.lambda_,
                    dictionary_seed=dictionary.attrs.get("seed"),
                    coder_steps_mean=float(steps.mean()))
    image_error = numpy.array([numpy.sqrt(((z - z0) ** 2).sum() / (z0 ** 2).sum())])
    return Inversion(images=[image], x=z, history={"loss": loss[None], "total": loss[None]},
                     final={"loss": loss, "total": loss}, error=numpy.sqrt(loss),
                     image_error=image_error, phi=phi, phi0=phi0[0], settings=settings,
                     iterations=int(steps.max()), seconds=seconds)
