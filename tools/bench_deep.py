"""Timing of one deep-inversion iteration, for the project's benchmark.

``cases()`` returns rows ``iter/<network>/<layer>/b<batch>`` (batch 1 and 4,
227x227 input): one solver iteration (forward to the layer, the loss, both
priors, backward to the image, the momentum update; ``bench_invert``) for

* CaffeNet at conv3, pool5, fc8 (He-random weights: the timing of the real
  network, whose weights no registry ships);
* VGG-19 at relu3_1 and pool5, SqueezeNet 1.1 at fire5_concat,
  fire9_concat and pool10 -- skipped (a note on stderr) when their weights
  files are absent (``python -m tools.fetch weights``).

``flops`` counts the convolutions only: multiply-adds x 2 operations, for
the forward pass and again for the backward pass to the input (no weight
gradients are computed).

    python -m tools.bench --only iter/       # these rows (and HOG/DSIFT's)
    python -m tools.bench_deep               # only these rows
"""
import sys

from invert import representations

from .bench_invert import one_iteration
from .bench_layers import conv_flops

LAYERS = {"caffenet": ("conv3", "pool5", "fc8"), "vgg19": ("relu3_1", "pool5"),
          "squeezenet1_1": ("fire5_concat", "fire9_concat", "pool10")}
BATCHES = (1, 4)
SIZE = (227, 227)


def _rep(network):
    if network == "caffenet":  # NOTE: random weights, the same arithmetic
        return representations.get("caffenet-random")
    return representations.get(network)


def case(network, layer, batch, base=None):
    """One row (``base``: the network's representation, loaded once); the
    iteration's state is built on the first (warm-up) call."""
    rep = (base or _rep(network)).at(layer)
    flops = 2 * conv_flops(rep.net, layer, (batch, 3, *SIZE))  # forward + backward
    state = {}

    def run():
        if "step" not in state:
            state["step"] = one_iteration(rep, batch, SIZE)
        state["step"]()
    return f"iter/{network}/{layer}/b{batch}", run, flops


def cases():
    have, _ = representations.deep_networks()
    rows = []
    for network, layers in LAYERS.items():
        if network != "caffenet" and network not in have:
            print(f"bench_deep: skipping {network}: no weights file "
                  f"(python -m tools.fetch weights)", file=sys.stderr)
            continue
        base = _rep(network)
        rows += [case(network, layer, b, base) for layer in layers for b in BATCHES]
    return rows


def main(argv=None):
    """The benchmark driver restricted to these rows (extra arguments pass on)."""
    from . import bench
    argv = sys.argv[1:] if argv is None else argv
    return bench.main(["--only", *(f"iter/{n}/" for n in LAYERS), *argv])


if __name__ == "__main__":
    main()
