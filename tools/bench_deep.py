"""Timing of one deep-inversion iteration, for the project's benchmark.

``cases()`` returns rows ``iter/<network>/<layer>/b<batch>`` (batch 1 and 4,
227x227 input): one solver iteration (forward to the layer, the loss, both
priors, backward to the image, the momentum update; ``bench_invert``) for

every ImageNet network of ``nets.registry`` at the layers of ``LAYERS``
(others: their default layer):

* CaffeNet at conv3, pool5, fc8 (He-random weights, ``caffenet-random``,
  when its file is absent: the timing of the real network);
* VGG-19 at relu3_1 and pool5, SqueezeNet 1.1 at fire5_concat,
  fire9_concat and pool10, EfficientNet-Lite0 at fc -- skipped (a note on
  stderr) when their weights files are absent
  (``python -m invert.fetch weights``).

``flops`` counts the convolutions only: multiply-adds x 2 operations, for
the forward pass and again for the backward pass to the input (no weight
gradients are computed).

    python -m tools.bench --only iter/       # these rows (and HOG/DSIFT's)
"""
import sys

from invert import representation
from nets import registry

from .bench_invert import Iteration
from .bench_layers import conv_flops

LAYERS = {"caffenet": ("conv3", "pool5", "fc8"), "vgg19": ("relu3_1", "pool5"),
          "squeezenet1_1": ("fire5_concat", "fire9_concat", "pool10")}
BATCHES = (1, 4)
SIZE = (227, 227)
STAND_IN = {"caffenet": "caffenet-random"}  # same arithmetic, random weights


def _rep(network, have):
    """The network's representation, its stand-in, or None (no weights)."""
    if network in have:
        return representation.get(network)
    if network in STAND_IN:
        return representation.get(STAND_IN[network])
    return None


def case(network, layer, batch, base):
    """One row (``base``: the network's representation, loaded once); the
    iteration's state is built on the first (warm-up) call."""
    rep = base.at(layer)
    flops = 2 * conv_flops(rep.net, layer, (batch, 3, *SIZE))  # forward + backward
    return f"iter/{network}/{layer}/b{batch}", Iteration(rep, batch, SIZE), flops


def cases():
    have, _ = registry.with_weights()
    rows = []
    for network in registry.names("cnn"):
        entry = registry.get(network)
        if not entry.needs_weights:
            continue
        base = _rep(network, have)
        if base is None:
            print(f"bench_deep: skipping {network}: no weights file "
                  f"({entry.how_to_obtain()})", file=sys.stderr)
            continue
        layers = LAYERS.get(network, (entry.last_layer,))
        rows += [case(network, layer, b, base) for layer in layers for b in BATCHES]
    return rows
