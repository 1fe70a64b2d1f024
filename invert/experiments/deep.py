"""The paper's deep experiments (§5: Table 3, Figs. 2, 6-10) as data, for
every ImageNet network of ``nets.registry`` that has a row in
``TABLE3_LAYERS``; ``--rep`` picks the network (default SqueezeNet 1.1).
Colour images resized to 227 x 227, preset ``cnn`` (``invert.presets``),
lambda_tv by layer from the registry unless a run sets it.

``table3`` covers ``TABLE3_LAYERS`` (CaffeNet: all 20 layers; SqueezeNet:
every module's output; VGG-19: the last ReLU of each block and every pool,
since one VGG-19 iteration at pool5 costs ~1 s on a CPU core;
EfficientNet-Lite0: the stem, the output of every stage, the head) at
lambda_tv 0.5, 5 and 50; ``table3-all`` every layer of the network;
``table3-paper`` the paper's settings (fixed step, no box). The paper's
CNN-A numbers (``PAPER_TABLE3``) stand beside CaffeNet's rows.
"""
from nets import registry

from .experiment import Experiment, Run

TABLE3_LAYERS = {
    "caffenet": registry.get("caffenet").layers,
    "squeezenet1_1": ["conv1", "relu_conv1", "pool1", "fire2_concat", "fire3_concat",
                      "pool3", "fire4_concat", "fire5_concat", "pool5", "fire6_concat",
                      "fire7_concat", "fire8_concat", "fire9_concat", "conv10", "pool10"],
    "vgg19": ["conv1_1", "relu1_1", "relu1_2", "pool1", "relu2_2", "pool2", "relu3_4",
              "pool3", "relu4_4", "pool4", "relu5_4", "pool5"],
    "efficientnet_lite0": ["stem_relu", "block0_project", "block2_add", "block4_add",
                           "block7_add", "block10_add", "block14_add", "block15_project",
                           "head_relu", "pool", "fc"],
}
NETWORKS = tuple(TABLE3_LAYERS)
# Fig. 2 (spikes) at an early pooled (downsampled) layer; Fig. 10 (channel
# halves) on the layers where CaffeNet's two streams are independent (up to norm2)
EARLY_POOL = {"caffenet": "norm1", "squeezenet1_1": "pool1", "vgg19": "pool1",
              "efficientnet_lite0": "block2_add"}
LAMBDAS = (0.5, 5.0, 50.0)
RECOGNISE_PRESET = "cnn-best"
# networks whose class scores are pooled over the whole image (global average
# pooling before the classifier, or as it): recognise also runs the presets made
# for such codes (``presets``: ``cnn-pooled``, ``cnn-fourier``)
POOLED = ("squeezenet1_1", "efficientnet_lite0")
# Fig. 9 needs a field of 5 x 5 neurons: the Table 3 layers whose code at
# 227 x 227 has one (the paper's figure ends at conv5; the fully connected
# layers and the global pools have 1 x 1 codes)
ONE_BY_ONE = {"caffenet": ("fc6", "relu6", "fc7", "relu7", "fc8"), "squeezenet1_1": ("pool10",),
              "vgg19": (), "efficientnet_lite0": ("pool", "fc")}

# Paper Table 3 (CNN-A): layer -> {lambda_tv: (mean, std)}; lambda 5 only
# where the printed row is unambiguous (it has 21 values for 20 layers)
_T3 = {0.5: ("10.0 11.3 21.9 20.3 12.4 12.9 15.5 15.9 14.5 16.5 14.9 13.8 12.6 15.6 16.6 "
             "12.4 15.8 12.8 10.5 5.3", "5.0 5.5 9.2 5.0 3.1 5.3 4.7 4.6 4.7 5.3 3.8 3.8 "
             "2.8 5.1 4.6 3.5 4.5 6.4 1.9 1.1"),
       50.0: ("40.8 45.2 54.1 48.1 39.7 32.8 32.7 32.4 25.6 26.9 23.3 23.9 25.7 20.1 19.0 "
              "18.6 18.7 17.1 15.5 8.5", "17.0 18.7 22.7 11.8 9.1 7.7 8.0 7.0 5.6 5.2 4.1 "
              "4.6 4.3 4.3 4.3 4.9 3.8 3.4 2.1 1.3")}
_CAFFENET = TABLE3_LAYERS["caffenet"]
PAPER_TABLE3 = {(layer, lt): (float(m), float(s)) for lt, (ms, ss) in _T3.items()
                for layer, m, s in zip(_CAFFENET, ms.split(), ss.split())}
PAPER_TABLE3.update({(layer, 5.0): (m, s) for layer, m, s in zip(
    _CAFFENET[6:12], (18.2, 18.4, 14.4, 15.1, 13.3, 14.0), (5.5, 5.0, 3.6, 3.3, 2.6, 2.8))})


def run_name(layer, lambda_tv=None, extra=""):
    return layer + ("" if lambda_tv is None else f"/lambda_tv={lambda_tv:g}") + extra


def layer_runs(layers_of, preset="cnn", lambdas=None, paper=False, **extra):
    """A ``runs`` function: for a network, one run per layer of
    ``layers_of(network)`` and lambda_tv of ``lambdas`` (None: the layer's
    own from the registry), options ``extra`` on top; with ``paper`` the
    paper's Table 3 number where CNN-A (CaffeNet) has one."""
    def runs(network):
        out = {}
        for layer in layers_of(network):
            for lt in lambdas or (None,):
                lambda_tv = lt or registry.get(network).default_lambda_tv(layer)
                options = {"layer": layer, "lambda_tv": lambda_tv, **extra}
                reported = PAPER_TABLE3.get((layer, options["lambda_tv"])) \
                    if paper and network == "caffenet" else None
                out[run_name(layer, lt)] = Run(preset, options, reported)
        return out
    return runs


def _halves(network):
    """Fig. 10's layers: every other one of the first half of Table 3's."""
    layers = TABLE3_LAYERS[network]
    return (layers[:8] if network == "caffenet" else layers[:len(layers) // 2])[::2]


def _fig10(network):
    net = registry.get(network)
    return {run_name(layer, extra=f"/{g}"): Run("cnn", dict(
        layer=layer, group=g, lambda_tv=net.default_lambda_tv(layer)))
        for layer in _halves(network) for g in ("first", "second")}


def _fig2(network):
    # NOTE: the authors' spike experiment uses lambdaTV = 100 (lambda_tv 50) for
    # both beta on pixel-scale x; on our unit-norm x, R_V^beta scales as
    # sigma^beta, so beta = 1 takes 50 / sigma = 50 / 27090 at 227 x 227.
    layer = EARLY_POOL[network]
    return {f"{layer}/beta={b:g}": Run("cnn", dict(layer=layer, beta=b, lambda_tv=lt))
            for b, lt in ((1.0, 50.0 / 27090.0), (2.0, 50.0))}


def _recognise(network):
    """The best preset, and the paper's method (preset ``cnn``) beside it;
    for the ``POOLED`` networks also ``cnn-pooled`` and ``cnn-fourier``."""
    layer = registry.get(network).last_layer
    runs = {layer: Run(RECOGNISE_PRESET, dict(layer=layer)),
            f"{layer}/cnn": Run("cnn", dict(layer=layer))}
    if network in POOLED:
        runs[f"{layer}/pooled"] = Run("cnn-pooled", dict(layer=layer))
        runs[f"{layer}/fourier"] = Run("cnn-fourier", dict(layer=layer))
    return runs


def _deep(name, title, runs, **more):
    return Experiment(name, title, runs, network="squeezenet1_1", networks=NETWORKS,
                      colour=True, size=227, **more)


def _table3(network):
    return TABLE3_LAYERS[network]


def _spatial(network):
    return [layer for layer in TABLE3_LAYERS[network] if layer not in ONE_BY_ONE[network]]


EXPERIMENTS = [
    _deep("table3", "Table 3: inversion error per layer, three lambda_tv",
          layer_runs(_table3, lambdas=LAMBDAS, paper=True), figure="pivot"),
    _deep("table3-all", "Table 3 over every layer",
          layer_runs(lambda n: registry.get(n).layers, lambdas=LAMBDAS, paper=True),
          figure="pivot"),
    _deep("table3-paper", "Table 3 with the paper's settings (fixed step, no box)",
          layer_runs(_table3, preset="cnn-paper", paper=True), figure="pivot"),
    _deep("fig6", "Fig. 6: one image reconstructed from every layer", layer_runs(_table3),
          limit=1),
    _deep("fig7", "Fig. 7: six reconstructions (restarts) from deep codes",
          layer_runs(lambda n: _table3(n)[-4:], restarts=6), limit=2, figure="restarts"),
    _deep("fig8", "Fig. 8: effect of lambda_tv on the last layers",
          layer_runs(lambda n: _table3(n)[-3:], lambdas=LAMBDAS), limit=1),
    # NOTE: lambda_tv 50 at every layer, as the authors' cnn_neigh runs
    # (lambdaTV = 100): it switches off what the window's neurons do not see
    _deep("fig9", "Fig. 9: reconstruction from the central 5x5 neurons",
          layer_runs(_spatial, window=5, schedule="window", lambda_tv=50.0), limit=1,
          figure="window"),
    _deep("fig10", "Fig. 10: reconstruction from either half of the channels", _fig10,
          limit=2),
    _deep("fig2", "Fig. 2: V^beta with beta = 1 (spikes) and beta = 2", _fig2, limit=1),
    # not in the paper: is the reconstruction from the class scores still that class
    # for another network? (the judge: invert.judge)
    _deep("recognise", "Reconstructions from the last layer, classified by another network",
          _recognise, figure="recognise"),
]
