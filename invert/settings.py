"""From what a user asked for to the numbers one inversion runs with: the
one path the API, the command line and the experiments all take.

``choose(rep, layer, preset, **options)``
    merges a named preset (``presets.PRESETS``) with explicit arguments.
    Explicit arguments always win: ``choose(rep="dsift", preset="hog-paper")``
    inverts DSIFT with the paper's settings. Without either, ``rep`` is
    "hog".
``resolve(rep, shape, options)``
    fills the defaults (``OPTIONS``, then the representation's own:
    lambda_tv by layer, schedule, ...) and turns "auto"/"paper" into numbers
    for an image of ``shape``, checking every value.

Options (module ``api`` describes each): sigma, lambda_alpha, lambda_tv,
alpha, beta, B, a, schedule, iters, momentum, restarts, seed, window, group,
loss_weight, subtract_mean, tv_floor, dtype, gray, adaptive, box; method
("descent", the paper's, or "hoggle", the paired-dictionary baseline of
module ``hoggle``, for HOG only) and dictionary (HOGgle's file, default
``$INVREP_WEIGHTS/hoggle.h5``).
"""
from . import hoggle, presets
from .objective import heuristic_lambdas
from .representation import PAPER_SIGMA

OPTIONS = dict(sigma="auto", lambda_alpha="auto", lambda_tv=None, alpha=6.0, beta=2.0,
               B=128.0, a=0.01, schedule=None, iters=None, momentum=0.9, restarts=1,
               seed=0, window=None, group=None, loss_weight=1.0, subtract_mean=True,
               tv_floor=1e-5, dtype="float32", gray=False, adaptive=None, box=False,
               method="descent", dictionary=None)
METHODS = ("descent", "hoggle")
PAPER_LAMBDA_ALPHA = 2.16e8  # the paper's §4
DEFAULT_REP = "hog"


def choose(rep=None, layer=None, preset=None, **options):
    """``(rep, layer, options)``: the preset's values under the explicit ones.
    ``rep`` and ``layer`` count as given unless None; any other option given
    is explicit, None included (``adaptive=None`` turns the step cap off)."""
    merged = {**(presets.preset(preset) if preset is not None else {}), **options}
    rep = rep if rep is not None else merged.pop("rep", DEFAULT_REP)
    layer = layer if layer is not None else merged.pop("layer", None)
    merged.pop("rep", None), merged.pop("layer", None)
    return rep, layer, merged


def _number(key, value, words):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be {', '.join(repr(w) for w in words)} or a number, "
                         f"got {value!r}") from None


def resolve(rep, shape, options):
    """Turn "auto"/"paper"/None options into numbers for an image of ``shape``
    (C, H, W) under representation ``rep``; returns the settings dict."""
    s = {**OPTIONS, **rep.defaults, **options}
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    _, h, w = shape
    sigma = s["sigma"]
    s["sigma"] = (rep.sigma(h, w) if sigma == "auto" else PAPER_SIGMA * rep.unit
                  if sigma == "paper" else _number("sigma", sigma, ("auto", "paper")))
    la, lt = heuristic_lambdas(s["sigma"], h, w, s["alpha"], s["beta"],
                               s["B"] * rep.unit, s["a"])
    a = s["lambda_alpha"]
    s["lambda_alpha"] = (la if a == "auto" else PAPER_LAMBDA_ALPHA if a == "paper" else
                         _number("lambda_alpha", a, ("auto", "paper")))
    tv = rep.defaults.get("lambda_tv", 5.0) if s["lambda_tv"] is None else s["lambda_tv"]
    s["lambda_tv"] = lt if tv == "auto" else _number("lambda_tv", tv, ("auto",))
    for key in ("sigma", "alpha", "beta", "restarts"):
        if not s[key] > 0:
            raise ValueError(f"{key} must be positive, got {s[key]}")
    for key in ("lambda_alpha", "lambda_tv"):
        if not s[key] >= 0:
            raise ValueError(f"{key} must be non-negative, got {s[key]}")
    s["schedule"] = presets.schedule(s["schedule"] or rep.defaults.get("schedule", "generic"),
                                     s["iters"])
    s["iters"] = sum(n for _, n in s["schedule"])
    s["restarts"] = int(s["restarts"])
    if s["method"] not in METHODS:
        raise ValueError(f"unknown method {s['method']!r}; known: {', '.join(METHODS)}")
    if s["method"] == "hoggle":  # NOTE: the dictionary file (its attributes) checked here
        s["dictionary"] = hoggle.check(rep.name, rep.code_shape(h, w), s["dictionary"])
    s.update(rep=rep.name, layer=rep.layer, height=h, width=w, input_channels=rep.channels)
    return s
