"""``invert.invert``: one call from an image to its reconstructions.

    >>> import invert
    >>> r = invert.invert("photo.png", rep="hog", restarts=2, seed=0)
    >>> r.image            # best restart, (H, W) or (H, W, 3) in [0, 1]
    >>> r.images           # every restart
    >>> r.history["loss"]  # (iterations, restarts), also "alpha", "tv", "total"
    >>> r.error            # ||Phi(x*) - Phi0|| / ||Phi0|| per restart
    >>> r.settings         # every resolved option (JSON-ready)

Options (defaults in ``settings.OPTIONS``; a ``preset`` from
``presets.PRESETS`` fills them first, explicit arguments win, ``rep``
included: ``settings.choose``):

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
adaptive      None, or cap each pixel's step at this many grey levels
              (IJCV 2016's AdaGrad denominator, module ``adaptive``).
box           clip x to the valid pixel range after each step.
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

from . import hoggle, representation
from .adaptive import solver_hooks
from .images import load_image
from .objective import Objective, loss_mask
from .settings import choose, resolve
from .solver import momentum_descent, random_init


@dataclass
class Inversion:
    images: list            # one reconstruction per restart, in [0, 1]
    x: numpy.ndarray        # the unit-norm solution, (N, C, H, W)
    history: dict           # term -> (iterations, N)
    final: dict             # term -> (N,) at the solution
    error: numpy.ndarray    # ||M(Phi(sigma x) - Phi0)|| / ||M Phi0|| per restart
    phi: numpy.ndarray      # codes of the reconstructions, (N, C', H', W')
    phi0: numpy.ndarray     # code of the original, (C', H', W')
    settings: dict
    status: str = "done"
    iterations: int = 0
    seconds: float = 0.0
    resets: list = field(default_factory=list)

    @property
    def best(self):
        """Index of the restart with the lowest final energy."""
        return int(numpy.nanargmin(self.final["total"]))

    @property
    def image(self):
        return self.images[self.best]


def invert(image, rep=None, layer=None, *, preset=None, rng=None, progress=None, **options):
    """Reconstruct ``image`` (a path or an (H, W[, 3]) array in [0, 1]) from
    its code under representation ``rep`` (a name of ``nets.registry`` or a
    ``Representation``; default: the preset's, else "hog") cut at ``layer``.
    See the module docstring."""
    rep, layer, options = choose(rep, layer, preset, **options)
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

    phi0 = rep.forward(backend.asarray(rep.to_centred(x0), dtype))
    if s["method"] == "hoggle":
        return _hoggle(rep, phi0, s)
    mask = loss_mask(code_shape, s["window"], s["group"])
    objective = Objective(rep, phi0, s["sigma"], s["lambda_alpha"], s["lambda_tv"],
                          s["alpha"], s["beta"],
                          None if mask is None else backend.asarray(mask, dtype),
                          s["loss_weight"], s["subtract_mean"], s["tv_floor"])
    rng = numpy.random.default_rng(s["seed"]) if rng is None else rng
    x = random_init(rng, (s["restarts"], rep.channels, h, w), dtype)
    start = time.perf_counter()
    step, project = solver_hooks(rep, s, dtype)
    sol = momentum_descent(objective, x, s["schedule"], s["momentum"], progress, step, project)
    seconds = time.perf_counter() - start

    phi = rep.forward(s["sigma"] * sol.x)
    diff = phi - phi0 if mask is None else (phi - phi0) * objective.mask
    n = sol.x.shape[0]
    error = numpy.sqrt(backend.to_numpy((diff * diff).reshape(n, -1).sum(axis=1))
                       .astype(numpy.float64) / objective.phi0_sq)
    images = list(rep.from_centred(s["sigma"] * sol.x))
    return Inversion(images=images, x=backend.to_numpy(sol.x), history=sol.history,
                     final=sol.final, error=error, phi=backend.to_numpy(phi),
                     phi0=backend.to_numpy(phi0)[0], settings=s, status=sol.status,
                     iterations=sol.iterations, seconds=seconds, resets=sol.resets)


HOGGLE_SETTINGS = ("method", "rep", "layer", "height", "width", "input_channels", "gray",
                   "dtype", "dictionary")


def _hoggle(rep, phi0, s):
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
    return Inversion(images=[image], x=z, history={"loss": loss[None], "total": loss[None]},
                     final={"loss": loss, "total": loss}, error=numpy.sqrt(loss), phi=phi,
                     phi0=phi0[0], settings=settings, iterations=int(steps.max()), seconds=seconds)
