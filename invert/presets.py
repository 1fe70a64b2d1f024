"""Named settings: learning-rate schedules and inversion presets.

Schedules (the paper's §2.1 and the authors' code) are lists of
``(eta, iterations)``:

* ``shallow``: HOG / HOGb / DSIFT, 0.004 x [1, 0.1, 0.01, 0.001] x 200 (800);
* ``cnn``: CNN-A, 0.004 x [1 for 100, 0.1 for 200, 0.01 for 100] (400);
* ``window``: Fig. 9 (central neurons), 0.004 x [0.1, 0.01, 0.001] x 200;
* ``generic``: the authors' code default, 0.001 x [1 x 800, 0.1 x 500,
  0.01 x 500, 0.001 x 200, 1e-4 x 100] (2100).

A preset is a dict of keyword arguments of ``invert.invert`` (``rep`` and
``layer`` among them); explicit arguments always win over it
(``invert.settings.choose``). ``*-paper`` presets are the paper's settings
as printed (§4: lambda_alpha = 2.16e8, lambda_tv = 5, beta = 2, the
authors' fixed sigma); ``*-code`` those of the authors' released Table 1
script, which differ in lambda_tv = 0.5 (its lambdaTV = 1, halved); the
others use our size-aware sigma and heuristic lambda_alpha (``objective``
explains how the two relate).

``hoggle``: HOG inverted by HOGgle's paired dictionary (``method``
"hoggle", module ``hoggle``) instead of gradient descent: the paper's
baseline.

The best presets (``BEST``: ``hog-best``, ``hogb-best``, ``dsift-best``,
``cnn-best``, and ``cnn-pooled`` and ``cnn-fourier`` for class scores
pooled over the whole image) go past the paper; each representation uses
its own when no preset is named (``default_preset``: ``cnn-best`` for
every ImageNet network and layer, but ``cnn-fourier`` for SqueezeNet's
class scores). For Adam the schedule's
rates are steps in grey levels (module ``adam``); with ``param`` "fourier",
steps of the spectrum's coefficients.

Deep networks:

* ``cnn``: our default: sigma and lambda_alpha "auto" (the paper's
  heuristics at the working size), the paper's CNN schedule, momentum 0.9,
  and the two safeguards of module ``adaptive`` (each pixel's step capped at
  16 grey levels, x kept in the valid pixel range) without which the
  paper's fixed step diverges on SqueezeNet's and VGG-19's deep layers;
  lambda_tv by layer from the registry (``nets.registry``).
* ``cnn-paper``: the paper as printed: sigma 27098.1, lambda_alpha 2.16e8,
  the same schedule, plain momentum steps, no box.
"""
from nets import registry

from .representation import KIND_DEFAULTS

SCHEDULES = {
    "shallow": [(0.004, 200), (0.0004, 200), (0.00004, 200), (0.000004, 200)],
    "cnn": [(0.004, 100), (0.0004, 200), (0.00004, 100)],
    "window": [(0.0004, 200), (0.00004, 200), (0.000004, 200)],
    "generic": [(0.001, 800), (0.0001, 500), (0.00001, 500), (0.000001, 200),
                (0.0000001, 100)],
}

PAPER = dict(sigma="paper", lambda_alpha=2.16e8, lambda_tv=5.0, beta=2.0,
             alpha=6.0, schedule="shallow", restarts=1)
PRESETS = {
    "hog-paper": dict(PAPER, rep="hog"),
    "hogb-paper": dict(PAPER, rep="hogb"),
    "dsift-paper": dict(PAPER, rep="dsift"),
    # the authors' released Table 1 script: the same, but lambdaTV = 1 (lambda_tv 0.5)
    "hog-code": dict(PAPER, rep="hog", lambda_tv=0.5),
    "hogb-code": dict(PAPER, rep="hogb", lambda_tv=0.5),
    "dsift-code": dict(PAPER, rep="dsift", lambda_tv=0.5),
    "hog": dict(rep="hog", sigma="auto", lambda_alpha="auto", lambda_tv=5.0,
                schedule="shallow"),
    "hogb": dict(rep="hogb", sigma="auto", lambda_alpha="auto", lambda_tv=5.0,
                 schedule="shallow"),
    "dsift": dict(rep="dsift", sigma="auto", lambda_alpha="auto", lambda_tv=5.0,
                  schedule="shallow"),
    "hoggle": dict(rep="hog", method="hoggle"),
    "cnn": dict(sigma="auto", lambda_alpha="auto", **KIND_DEFAULTS["cnn"]),
    "cnn-paper": dict(sigma="paper", lambda_alpha=2.16e8, schedule="cnn", adaptive=None,
                      box=False),
}
# The best settings we measured, chosen on the 20 ImageNet photos of
# ``python -m invert.fetch images`` only (docs/best-results.md): what
# ``invert.invert`` and ``python -m invert.run`` use when no preset is named.
# On the 20 photos at 256x256, 800 iterations, against the paper's settings
# in the same run: HOG with the hard bins' surrogate gradient 14.65 % (paper
# settings 28.56 on the 19 that did not diverge), HOGb and DSIFT with L-BFGS
# 6.88 and 8.10 % (11.13, 10.41), no slower per image. CNNs: Adam with a
# 4-pixel jitter: sharper outlines, but another network recognises the
# reconstruction from SqueezeNet's class scores as often as with the paper's
# method (3 of 20; 6 with --copies 4, 2.6x the time); from VGG-19's pool5
# 13 of 20. 300 iterations, the last sixth without the jitter (``polish``):
# lower code errors than 400 jittered to the end, the same pictures to the
# eye (the main job's photo: VGG-19 pool5 25.06 against 26.22 %, SqueezeNet
# 10.34 against 13.81, EfficientNet-Lite0 25.45 against 28.43), in 3/4 of
# the time; recognised from VGG-19's pool5 a little less often (13 of 20
# against 16; ``iters=400, polish=0`` is the previous preset). sigma and
# lambda_alpha "auto": the paper's fixed sigma makes some small images
# diverge.
BEST = {
    "hog-best": dict(PRESETS["hog"], surrogate=True),
    "hogb-best": dict(PRESETS["hogb"], solver="lbfgs"),
    "dsift-best": dict(PRESETS["dsift"], solver="lbfgs"),
    "cnn-best": dict(PRESETS["cnn"], solver="adam", jitter=4, adaptive=None,
                     schedule=[(8.0, 150), (2.0, 75), (0.5, 75)], polish=1 / 6),
}
# For codes pooled over the whole image (SqueezeNet's and EfficientNet-Lite0's
# class scores), which say what is there but not where: the network sees
# four copies per iteration, each shifted and shrunk by a factor in [0.5, 1],
# so what it recognises must be drawn large enough to be seen small. On the
# 20 photos, SqueezeNet's class scores -> EfficientNet-Lite0: 7, 7 and 8 of 20
# recognised in three runs, against 3-4 with cnn-best and 1-6 with copies
# alone; 4 times cnn-best's time. 400 iterations: 9, 8 and 7 of 20, a lower
# code error (7.84 against 8.41 %) in 1.3 times the time: not kept. Not meant
# for codes with a layout (VGG-19's pool5, convolutional layers), where a
# shrunk copy moves every part from the place its code records.
BEST["cnn-pooled"] = dict(BEST["cnn-best"], shrink=0.5, copies=4)
# The image as a 1/f-scaled spectrum of decorrelated colours (``parametrise``,
# "fourier"), Adam moving the spectrum. Its start must be small: the paper's
# white noise (some 70 grey levels a pixel) sits in the high frequencies,
# whose coefficients the 1/f scale makes too large to move, and stays to the
# end (SqueezeNet's class scores: code error 53 % against 9.5 % in pixels,
# a picture of noise). From 1 % of that noise and with rates 16 times
# cnn-best's (4 times: code error 11.09 %), SqueezeNet's class scores ->
# EfficientNet-Lite0: 7, 8 and 6 of 20 photos recognised (seeds 0-19,
# 100-119, 200-219), as often as cnn-pooled (7 and 7 on the first two) in
# under half its time, twice cnn-best (3, 4); large smooth objects in their
# own colours. With cnn-pooled's shrunk copies on top: 6, and 7 with
# lambda_tv 2; random zooms, other spectrum scales, restarts: no better over
# three seed sets (docs/best-results.md). The codes are compared centred
# (``centre_code``: each one's mean over the 1000 scores removed, the part the
# softmax ignores, 42-75 % of the scores' squared norm on the 20 photos): 8, 9
# and 8 of 20 on the same three seed sets against 7, 8 and 6, at a lower
# plain code error (7.34, 7.24, 7.29 % against 7.93, 7.86, 7.61 %); with it,
# a random zoom of up to 1.4 times either way (``zoom`` 0.4; without
# centring: 8, 8, 5): 10, 10, 8, 8 and 7 of 20 on five seed sets against 7,
# 8, 6, 6 and 6, and 10 of 20 in the recognise experiment, at 1.2 times the
# time.
BEST["cnn-fourier"] = dict(BEST["cnn-best"], param="fourier", init_scale=0.01,
                           schedule=[(128.0, 150), (32.0, 75), (8.0, 75)], centre_code=True,
                           zoom=0.4)
PRESETS.update(BEST)
DEFAULTS = {"hog": "hog-best", "hogb": "hogb-best", "dsift": "dsift-best"}
# Layers whose best preset is not their network's. SqueezeNet's class scores
# (pool10, its last layer), in the recognise experiment on the 20 photos:
# cnn-fourier matches the code as closely as cnn-best (10.64 +- 2.7 against
# 10.69 +- 3.0 %) and EfficientNet-Lite0 recognises 10 of 20 reconstructions
# against 4, in twice the time (16.6 against 8.5 s per image).
# EfficientNet-Lite0's class scores keep cnn-best: cnn-fourier's code error
# there is 20.4 % against 13.4 % (10 photos).
LAYER_DEFAULTS = {("squeezenet1_1", "pool10"): "cnn-fourier"}


def default_preset(rep_name, layer=None):
    """The preset used when none is named: the best one of ``rep_name`` at
    ``layer`` (None: the network's default layer, its last): ``LAYER_DEFAULTS``,
    else ``cnn-best`` for every ImageNet network, or None (the authors'
    networks, the random stand-in: the representation's own defaults)."""
    if rep_name in DEFAULTS:
        return DEFAULTS[rep_name]
    network = registry.NETWORKS.get(rep_name)
    if network is None or network.kind != "cnn" or not network.needs_weights:
        return None
    return LAYER_DEFAULTS.get((rep_name, layer or network.last_layer), "cnn-best")


def schedule(spec, iters=None):
    """A schedule from a name or a list of (eta, iterations), optionally
    rescaled to ``iters`` iterations in total keeping each segment's share
    (at least one iteration per segment)."""
    if isinstance(spec, str):
        if spec not in SCHEDULES:
            raise ValueError(f"unknown schedule {spec!r}; known: {', '.join(SCHEDULES)}")
        spec = SCHEDULES[spec]
    spec = [(float(eta), int(n)) for eta, n in spec]
    if iters is None:
        return spec
    iters = int(iters)
    if iters < len(spec):
        raise ValueError(f"{iters} iterations cannot cover the {len(spec)} "
                         f"segments of the schedule")
    total = sum(n for _, n in spec)
    counts = [max(1, round(n * iters / total)) for _, n in spec]
    counts[-1] = max(1, iters - sum(counts[:-1]))
    return [(eta, n) for (eta, _), n in zip(spec, counts)]


def schedule_part(schedule, first, last):
    """The (eta, iterations) segments of iterations first to last - 1 of ``schedule``."""
    part, start = [], 0
    for eta, n in schedule:
        lo, hi = max(start, first), min(start + n, last)
        if hi > lo:
            part.append((eta, hi - lo))
        start += n
    return part


def stages(s):
    """[(factor, first, last)]: iterations first to last - 1 move the image at
    1/factor of its size (``coarse``: the first fraction of the iterations,
    shared equally among ``octaves`` sizes, each twice the last, up to half
    size), the rest the image itself (factor 1)."""
    iters, k = s["iters"], s["octaves"]
    coarse = round(s["coarse"] * iters)
    cuts = [round(coarse * j / k) for j in range(k + 1)] if coarse else [0]
    return [(2 ** (k - j), cuts[j], cuts[j + 1]) for j in range(len(cuts) - 1)] + \
        [(1, coarse, iters)]


def preset(name, **overrides):
    """The keyword arguments of preset ``name`` with ``overrides`` applied."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}")
    return {**PRESETS[name], **overrides}
