"""From what a user asked for to the numbers one inversion runs with: the
one path the API, the command line and the experiments all take.

``choose(rep, layer, preset, **options)``
    merges a named preset (``presets.PRESETS``) with explicit arguments.
    Explicit arguments always win: ``choose(rep="dsift", preset="hog-paper")``
    inverts DSIFT with the paper's settings. Without either, ``rep`` is
    "hog"; without a preset, the representation's best one
    (``presets.default_preset``: hog-best, ..., cnn-best; cnn-fourier for
    SqueezeNet's class scores).
``resolve(rep, shape, options)``
    fills the defaults (``OPTIONS``, then the representation's own:
    lambda_tv by layer, schedule, ...) and turns "auto"/"paper" into numbers
    for an image of ``shape``, checking every value.

Options (module ``api`` describes each): sigma, lambda_alpha, lambda_tv,
alpha, beta, B, a, schedule, iters, momentum, restarts, seed, window, group,
loss_weight, subtract_mean, tv_floor, dtype, gray, adaptive, box, solver,
memory, jitter, zoom, shrink, copies, polish, coarse, octaves, param, bound, init_scale,
surrogate, centre_code; method ("descent", the
paper's, or "hoggle",
the paired-dictionary baseline of module ``hoggle``, for HOG only) and
dictionary (HOGgle's file, default ``$INVREP_WEIGHTS/hoggle.h5``).

Every number is checked before any work (``check``, from ``choose`` for
what was asked and from ``resolve`` for what is filled in): finite, in its
range (``RANGES``), an integer where it must be; ``resolve`` also checks
what depends on the image and the representation (a window no larger than
the code, at least one iteration per segment of the schedule). Each
failure is a ValueError of one line naming the option, the allowed range
and the value given.
"""
import math
import numbers

import numpy

from layers import OrientationGate

from . import hoggle, presets
from .objective import heuristic_lambdas
from .parametrise import check_coarse
from .representation import PAPER_SIGMA

OPTIONS = dict(sigma="auto", lambda_alpha="auto", lambda_tv=None, alpha=6.0, beta=2.0,
               B=128.0, a=0.01, schedule=None, iters=None, momentum=0.9, restarts=1,
               seed=0, window=None, group=None, loss_weight=1.0, subtract_mean=True,
               tv_floor=1e-5, dtype="float32", gray=False, adaptive=None, box=False,
               solver="momentum", memory=10, jitter=0, param="pixels", bound=None,
               method="descent", dictionary=None, init_scale=1.0, surrogate=False, zoom=0.0,
               copies=1, polish=0.0, coarse=0.0, octaves=2, shrink=0.0, centre_code=False,
               preset=None)
SOLVERS = ("momentum", "adam", "lbfgs")
PARAMS = ("pixels", "colour", "fourier")
METHODS = ("descent", "hoggle")
PAPER_LAMBDA_ALPHA = 2.16e8  # the paper's §4
DEFAULT_REP = "hog"
# option -> (lowest, highest, words that stand for a value, integer?); a
# bound in a list is excluded ([0] means > 0), None means no bound
RANGES = dict(sigma=([0], None, ("auto", "paper"), False),
              lambda_alpha=(0, None, ("auto", "paper"), False),
              lambda_tv=(0, None, ("auto",), False),
              alpha=([0], None, (), False), beta=([0], None, (), False),
              B=([0], None, (), False), a=([0], None, (), False),
              momentum=(0, [1], (), False), loss_weight=(0, None, (), False),
              tv_floor=([0], None, (), False), adaptive=([0], None, (None,), False),
              restarts=(1, None, (), True), seed=(0, None, (), True),
              iters=(1, None, (), True), memory=(1, None, (), True),
              jitter=(0, None, (), True), bound=([0], None, (None,), False),
              init_scale=([0], None, (), False), zoom=(0, None, (), False),
              copies=(1, None, (), True), polish=(0, [1], (), False),
              coarse=(0, [1], (), False), octaves=(1, 8, (), True),
              shrink=(0, [1], (), False))
# option -> the names it may take
CHOICES = dict(dtype=("float32", "float64"), solver=SOLVERS, param=PARAMS, method=METHODS)


def moved(s):
    """Does the network see the image moved (shifted or scaled) in settings ``s``?"""
    return bool(s["jitter"] or s["zoom"] or s["shrink"])


def _range_text(lo, hi, integer):
    kind = "an integer" if integer else "a finite number"
    if lo is not None and hi is not None:
        if integer and not isinstance(lo, list) and not isinstance(hi, list):
            return f"{kind} from {lo} to {hi}"
        return (f"{kind} in {'(' if isinstance(lo, list) else '['}{_bound(lo)}, "
                f"{_bound(hi)}{')' if isinstance(hi, list) else ']'}")
    if lo is not None:
        return f"{kind} {'>' if isinstance(lo, list) else '>='} {_bound(lo)}"
    return f"{kind} {'<' if isinstance(hi, list) else '<='} {_bound(hi)}" if hi is not None \
        else kind


def _bound(b):
    return b[0] if isinstance(b, list) else b


def number(key, value, lo=None, hi=None, integer=False, words=(), why=""):
    """``value`` (a number, or a string of one) as a float (an int if
    ``integer``) within [lo, hi] (a bound in a list is excluded), else
    ValueError naming ``key``, the range and the value; ``why`` says where
    the range comes from."""
    allowed = ", ".join(repr(w) for w in words) + (" or " if words else "") + \
        _range_text(lo, hi, integer) + (f" ({why})" if why else "")
    try:
        f = float(value) if isinstance(value, (str, numbers.Real)) and \
            not isinstance(value, (bool, numpy.bool_)) else math.nan
    except (ValueError, OverflowError):
        f = math.nan
    ok = math.isfinite(f) and (not integer or f.is_integer())
    if ok and lo is not None:
        ok = f > _bound(lo) if isinstance(lo, list) else f >= lo
    if ok and hi is not None:
        ok = f < _bound(hi) if isinstance(hi, list) else f <= hi
    if not ok:
        raise ValueError(f"{key} must be {allowed}, got {value!r}")
    if integer:
        return int(value) if isinstance(value, numbers.Integral) else int(f)
    return f


def check(options):
    """``options`` with every value that can be checked on its own checked
    (module docstring) and numbers made float (int where they must be
    integers); None and the words of ``RANGES`` pass as they are."""
    options = dict(options)
    for key, value in options.items():
        if key in RANGES and value is not None:
            lo, hi, words, integer = RANGES[key]
            if not (isinstance(value, str) and value in words):
                options[key] = number(key, value, lo, hi, integer, words)
    for key, names in CHOICES.items():
        if options.get(key) is not None and str(options[key]) not in names:
            raise ValueError(f"{key} must be one of {', '.join(names)}, got {options[key]!r}")
    for key in ("surrogate", "box", "gray", "subtract_mean", "centre_code"):
        if key in options and not isinstance(options[key], (bool, numpy.bool_)):
            raise ValueError(f"{key} must be True or False, got {options[key]!r}")
    window = options.get("window")
    if window is not None and numpy.ndim(window) == 0:
        options["window"] = number("window", window, 1, None, True)
    schedule = options.get("schedule")
    if schedule is not None and not isinstance(schedule, str):
        for k, segment in enumerate(schedule):
            try:
                eta, iters = segment
            except (TypeError, ValueError):
                raise ValueError(f"schedule segment {k} must be (eta, iterations), "
                                 f"got {segment!r}") from None
            number(f"schedule segment {k}'s eta", eta, [0])
            number(f"schedule segment {k}'s iterations", iters, 0, integer=True)
    return options


def choose(rep=None, layer=None, preset=None, **options):
    """``(rep, layer, options)``: the preset's values under the explicit ones,
    and ``options["preset"]`` the preset's name (None: no preset). ``rep``
    and ``layer`` count as given unless None; any other option given is
    explicit, None included (``adaptive=None`` turns the step cap off).
    Every value is checked (``check``)."""
    if preset is None:
        preset = presets.default_preset(getattr(rep, "name", rep or DEFAULT_REP),
                                        layer if layer is not None else getattr(rep, "layer", None))
    # NOTE: the options name their preset, so choosing again from them (as
    # ``api.invert`` does with what the command line and the experiments chose)
    # gives them back unchanged, never a default preset's values under them
    merged = {**(presets.preset(preset) if preset is not None else {}), **options,
              "preset": preset}
    rep = rep if rep is not None else merged.pop("rep", DEFAULT_REP)
    layer = layer if layer is not None else merged.pop("layer", None)
    merged.pop("rep", None), merged.pop("layer", None)
    return rep, layer, check(merged)


def _check_mask(window, group, code_shape, rep):
    """The window and the channel group must lie within the code
    (``objective.loss_mask``)."""
    c, h, w = code_shape
    where = f"the code of {rep.name}" + (f" at {rep.layer}" if rep.layer else "") + \
        f" is {h}x{w} neurons of {c} channels"
    if group is not None and not (isinstance(group, str) and group in ("first", "second")):
        try:
            c0, c1 = (int(v) for v in group)
        except (TypeError, ValueError):
            c0 = c1 = None
        if c0 is None or not 0 <= c0 < c1 <= c:
            raise ValueError(f"group must be 'first', 'second' or channels (c0, c1) with "
                             f"0 <= c0 < c1 <= {c} ({where}), got {group!r}")
    if window is None:
        return
    if numpy.ndim(window) == 0:
        number("window", window, 1, min(h, w), True, why=where)
        return
    try:
        r0, r1, c0, c1 = (int(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(f"window must be an integer n or (r0, r1, c0, c1), "
                         f"got {window!r}") from None
    if not (0 <= r0 < r1 <= h and 0 <= c0 < c1 <= w):
        raise ValueError(f"window (r0, r1, c0, c1) must satisfy 0 <= r0 < r1 <= {h} and "
                         f"0 <= c0 < c1 <= {w} ({where}), got {tuple(window)!r}")


def hard_gates(rep):
    """The hard orientation gates of ``rep``'s network (HOG's), where the
    ``surrogate`` gradient applies."""
    layers = getattr(rep.net, "layers", {})
    return [g for g in layers.values() if isinstance(g, OrientationGate) and g.mode == "hard"]


def schedule_spec(options, defaults):
    """The schedule ``options`` run: their own, else the representation's
    (``defaults``, e.g. ``representation.KIND_DEFAULTS``), else "generic"."""
    return options.get("schedule") or defaults.get("schedule", "generic")


def resolve(rep, shape, options):
    """Turn "auto"/"paper"/None options into numbers for an image of ``shape``
    (C, H, W) under representation ``rep``; returns the settings dict.
    Every value is checked (module docstring)."""
    s = {**OPTIONS, **rep.defaults, **options}
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    s = check(s)
    _, h, w = shape
    if s["window"] is not None or s["group"] is not None:
        _check_mask(s["window"], s["group"], rep.code_shape(h, w), rep)
    sigma = s["sigma"]
    s["sigma"] = (rep.sigma(h, w) if sigma == "auto" else PAPER_SIGMA * rep.unit
                  if sigma == "paper" else float(sigma))
    try:
        la, lt = heuristic_lambdas(s["sigma"], h, w, s["alpha"], s["beta"],
                                   s["B"] * rep.unit, s["a"])
    except OverflowError:  # NOTE: checked below, where "auto" asks for them
        la = lt = math.inf
    a = s["lambda_alpha"]
    s["lambda_alpha"] = la if a == "auto" else PAPER_LAMBDA_ALPHA if a == "paper" else float(a)
    tv = rep.defaults.get("lambda_tv", 5.0) if s["lambda_tv"] is None else s["lambda_tv"]
    s["lambda_tv"] = lt if tv == "auto" else float(tv)
    for key in ("lambda_alpha", "lambda_tv"):  # NOTE: the heuristics can overflow
        number(key, s[key], 0, why=f"its heuristic with sigma {s['sigma']:.4g}, alpha "
               f"{s['alpha']:g}, beta {s['beta']:g}, B {s['B']:g}, a {s['a']:g}")
    if moved(s) and s["solver"] == "lbfgs":
        raise ValueError("L-BFGS needs the same objective at every step: use jitter, "
                         "zoom and shrink with --solver momentum or adam")
    if s["copies"] > 1 and not moved(s):
        raise ValueError(f"copies {s['copies']} needs jitter, zoom or shrink (each copy is "
                         "the image moved its own way; unmoved copies would be identical)")
    if s["polish"] and not moved(s):
        raise ValueError(f"polish {s['polish']:g} needs jitter, zoom or shrink (it is the "
                         "share of the iterations run without them)")
    check_coarse(s["param"], s["coarse"])
    if s["solver"] != "momentum":
        s["adaptive"] = None  # NOTE: momentum's step cap; Adam and L-BFGS bound their steps
    spec = schedule_spec(s, rep.defaults)
    if s["iters"] is not None:
        segments = len(presets.schedule(spec))
        name = f"schedule {spec!r}" if isinstance(spec, str) else "the schedule"
        number("iters", s["iters"], max(segments, 1), None, True,
               why=f"one per segment of {name}")
    s["schedule"] = presets.schedule(spec, s["iters"])
    s["iters"] = sum(n for _, n in s["schedule"])
    if s["iters"] < 1:
        raise ValueError(f"the schedule must have at least one iteration, got {s['schedule']}")
    plan = presets.stages(s)
    if any(last <= first for _, first, last in plan):
        raise ValueError(f"coarse {s['coarse']:g} of {s['iters']} iterations is {plan[-1][1]}: it "
                         f"must give each of the {s['octaves']} octaves at least one and "
                         f"leave at least one for the image itself")
    if s["surrogate"] and not hard_gates(rep):
        raise ValueError(f"surrogate is a gradient for HOG's hard orientation bins; "
                         f"{rep.name} has none")
    if s["method"] == "hoggle":  # NOTE: the dictionary file (its attributes) checked here
        s["dictionary"] = hoggle.check(rep.name, rep.code_shape(h, w), s["dictionary"])
    s.update(rep=rep.name, layer=rep.layer, height=h, width=w, input_channels=rep.channels)
    return s
