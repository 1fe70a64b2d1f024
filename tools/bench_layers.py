"""Benchmark rows for single layers and whole stacks of CNN-A (CaffeNet) at
its real 227x227 shapes, with random weights: forward, and forward plus
backward to the input (what an inversion iteration pays)."""
import numpy as np

from layers import Conv2d
from minigrad import Net, backend
from nets.cnn import caffenet, random_caffenet_weights

LAYERS = ["conv1", "relu1", "pool1", "norm1", "conv2", "conv3", "conv4", "conv5",
          "pool5", "fc6", "fc7", "fc8"]


def conv_flops(net, layer, shape):
    """2 x (multiply-adds of every convolution up to ``layer``) for an input
    of ``shape`` (N, C, H, W): one forward pass."""
    shapes, macs = net.shapes(shape, until=layer), 0
    for name in net.ancestors(layer):
        conv = net[name]
        if isinstance(conv, Conv2d):
            _, cin_per_group, kh, kw = conv.params["w"].shape
            n, cout, ho, wo = shapes[name]
            macs += n * cout * ho * wo * cin_per_group * kh * kw
    return 2 * macs


def _pair(name, net, x, until, flops):
    """(forward) and (forward + backward-to-input) rows; ``flops`` None
    where no matrix product runs (nothing to compare with GEMM)."""
    dzdy = backend.asarray(np.random.default_rng(1).standard_normal(
        net.shapes(x.shape, until)[until]))

    def fwd():
        net.forward(x, until=until)

    def fwd_bwd():
        net.forward(x, until=until)
        net.backward(dzdy)

    return [(f"{name}/fwd", fwd, flops),
            (f"{name}/fwd+bwd", fwd_bwd, flops and 2 * flops)]


def cases():
    rng = np.random.default_rng(0)
    net = caffenet(random_caffenet_weights(rng)).to(backend.asarray)
    rows = []
    for batch in (1, 4):
        x = backend.asarray(rng.standard_normal((batch, 3, 227, 227)) * 50)
        outs = net.forward(x, return_all=True)
        for name in LAYERS if batch == 1 else [n for n in LAYERS if n.startswith("conv")]:
            src = net.inputs[name][0]
            single = _single(net, name)
            rows += _pair(f"layer/{name}/b{batch}", single, outs[src], name,
                          conv_flops(single, name, outs[src].shape) or None)
        for until in ("pool5", "fc8"):
            rows += _pair(f"stack/caffenet-to-{until}/b{batch}", net, x, until,
                          conv_flops(net, until, x.shape) or None)
    return [(_reorder(n), f, fl) for n, f, fl in rows]


def _single(net, name):
    one = Net(name)
    one.add(net[name], name=name)
    return one


def _reorder(name):
    """'layer/conv2/b1/fwd' -> 'layer/conv2/fwd/b1' (kind/what/pass/batch)."""
    parts = name.split("/")
    return "/".join(parts[:-2] + [parts[-1], parts[-2]])
