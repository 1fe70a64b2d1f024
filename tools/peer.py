"""A PyTorch twin of one inversion iteration, timed beside ours by
``tools.bench`` (every ``iter/`` row) when PyTorch happens to be installed.

PyTorch is never a dependency of invrep: this module imports it only when
asked (``available()``, so that a process timing only our code never loads
it), and nothing outside ``tools/`` and its test uses it.

The twin computes the same function as ours: the network is translated
layer by layer from our ``minigrad.Net`` (``TorchNet``; the weights are the
arrays our network holds, read by ``nets.weights.load_weights`` from our
HDF5 files: kernels (out, in/groups, kh, kw) and biases), and the objective
(``TorchObjective``) is written from our ``invert.objective.Objective``'s
own settings:

    E(x) = C ||Phi(sigma x + shift) - Phi0||^2 / ||Phi0||^2
           + lambda_alpha sum |x - mean x|^alpha + lambda_tv sum (d1^2 + d2^2)^(beta/2)

with PyTorch's autograd for dE/dx and the same momentum step. The test
``tests/tools/test_peer.py`` checks the energies and gradients against ours.

Layers with a translation: Conv2d, ReLU, ReLU6, Dropout, MaxPool2d,
AvgPool2d, GlobalAvgPool, LRN, Concat, Add (every CNN of the registry), and
HOG's ImageGradient, ColourSelect, Directional, GradientNorm (exact),
OrientationGate (hard), CellPool, HardCells (as those three), BlockNorm,
Clamp and HogAssemble (its default network; the pooling as the dense
matrices of ``layers.poolweights``).
Any other layer (DSIFT's) raises ``NotImplementedError`` naming it, and the
benchmark prints no peer for that row.
"""
import numpy

import layers
from layers.orientation import axis_vectors
from layers.poolweights import dense
from minigrad.net import INPUT

torch = F = None  # PyTorch and torch.nn.functional, once ``available()`` loaded them


def available():
    """Whether PyTorch imports; loads it on the first call."""
    global torch, F
    if torch is None:
        try:  # NOTE: optional, for the side-by-side benchmark only
            import torch as _torch
            import torch.nn.functional as _functional
        except Exception:  # ImportError, or a broken install
            return False
        torch, F = _torch, _functional
    return True


def _tensor(a, dtype=None):
    return torch.as_tensor(numpy.ascontiguousarray(a), dtype=dtype or torch.float32)


def _pad_or_none(pad):
    """(py, px) when ``pad`` (top, bottom, left, right) is symmetric, else None."""
    t, b, l, r = pad
    return (t, l) if t == b and l == r else None


def _conv(layer, shape):
    """F.conv2d, or F.linear where the kernel covers the whole input (a fully
    connected layer, as PyTorch writes one)."""
    w = _tensor(layer.params["w"])
    b = _tensor(layer.params["b"]) if "b" in layer.params else None
    sym = _pad_or_none(layer.pad)
    if tuple(shape[2:]) == tuple(w.shape[2:]) and layer.groups == 1 and not any(layer.pad):
        w2 = w.reshape(w.shape[0], -1)
        return lambda x: F.linear(x.flatten(1), w2, b)[:, :, None, None]

    def run(x):
        if sym is None:
            t, bo, l, r = layer.pad
            return F.conv2d(F.pad(x, (l, r, t, bo)), w, b, layer.stride, 0, 1, layer.groups)
        return F.conv2d(x, w, b, layer.stride, sym, 1, layer.groups)
    return run


def _pool(layer):
    sym = _pad_or_none(layer.pad)
    if sym is None:
        raise NotImplementedError(f"layer '{layer.name}': asymmetric pooling padding")
    if isinstance(layer, layers.MaxPool2d):
        return lambda x: F.max_pool2d(x, layer.kernel, layer.stride, sym, ceil_mode=layer.ceil)
    return lambda x: F.avg_pool2d(x, layer.kernel, layer.stride, sym, ceil_mode=layer.ceil,
                                  count_include_pad=layer.count_pad)


def _lrn(layer):
    if layer.pre != layer.post:
        raise NotImplementedError(f"layer '{layer.name}': an even LRN window")
    return lambda x: F.local_response_norm(x, layer.n, layer.alpha, layer.beta, layer.k)


# -- HOG ----------------------------------------------------------------------
def _image_gradient(layer):
    if layer.mode != "hog":
        raise NotImplementedError(f"layer '{layer.name}': gradient mode {layer.mode!r}")

    def run(x):
        gx, gy = torch.zeros_like(x), torch.zeros_like(x)
        gx[..., 1:-1, 1:-1] = x[..., 1:-1, 2:] - x[..., 1:-1, :-2]
        gy[..., 1:-1, 1:-1] = x[..., 2:, 1:-1] - x[..., :-2, 1:-1]
        return torch.cat([gx, gy], 1)
    return run


def _colour_select(layer):
    def run(g):
        c = g.shape[1] // 2
        if c == 1:
            return g
        gx, gy = g[:, :c], g[:, c:]
        best = torch.max(gx * gx + gy * gy, 1, keepdim=True).indices  # the first maximum
        return torch.cat([gx.gather(1, best), gy.gather(1, best)], 1)
    return run


def _directional(layer):
    c, s = (_tensor(a).reshape(1, -1, 1, 1) for a in axis_vectors(layer.k))
    return lambda g: g[:, :1] * c + g[:, 1:] * s


def _gate(layer):
    if layer.mode != "hard":
        raise NotImplementedError(f"layer '{layer.name}': orientation mode {layer.mode!r}")
    k = layer.k

    def run(s, m, g):
        k0 = torch.max(s[:, :k].abs(), 1, keepdim=True).indices  # ties: the smallest k
        d0 = k0 + (s.gather(1, k0) < 0) * k
        return torch.zeros_like(s).scatter(1, d0, m)
    return run


def _norm(g):
    """sqrt(gx^2 + gy^2) with derivative 0 where it is 0 (as ours)."""
    v = (g * g).sum(1, keepdim=True)
    on = v > 0
    return torch.where(on, torch.sqrt(torch.where(on, v, torch.ones_like(v))), torch.zeros_like(v))


def _unknown(layer):
    raise NotImplementedError(f"no PyTorch translation of layer '{layer.name}' "
                              f"({type(layer).__name__} with these options)")


def _separable(layer, shape):
    h, w = shape[2:]
    ay, ax = (_tensor(dense(layer.kernel(n), n)) for n in (h, w))
    return lambda x: ay @ x @ ax.T


def _hard_cells(layer, shape):
    """HardCells as the three layers it stands for."""
    directional, gate = _directional(layer), _gate(layer)
    cells = _separable(layer.cells, (shape[0], 2 * layer.k, *shape[2:]))
    return lambda m, g: cells(gate(directional(g), m, g))


def _block_norm(layer):
    if layer.border != "clamp" or layer.floor is not None:
        raise NotImplementedError(f"layer '{layer.name}': border {layer.border!r}")
    k = layer.k

    def run(h):
        h = h.double()
        parts = torch.stack([h[:, :k], h[:, k:], h[:, :k] + h[:, k:]], 1)
        e = F.pad((parts[:, 2] ** 2).sum(1, keepdim=True), (1, 1, 1, 1), mode="replicate")
        s = e[..., :-1, :-1] + e[..., 1:, :-1] + e[..., :-1, 1:] + e[..., 1:, 1:]
        b = torch.stack([s[..., :-1, :-1], s[..., :-1, 1:], s[..., 1:, :-1], s[..., 1:, 1:]], 1)
        f = 1 / torch.sqrt(b[:, :, :, None] + layer.eps)
        return (f * parts[:, None]).reshape(h.shape[0], -1, *h.shape[2:]).float()
    return run


def _assemble(layer):
    if layer.variant != "uoctti":
        raise NotImplementedError(f"layer '{layer.name}': HOG variant {layer.variant!r}")
    k = layer.k

    def run(x):
        b = x.reshape(x.shape[0], 4, 3 * k, *x.shape[2:])
        return torch.cat([0.5 * b.sum(1), (1 / 18 ** 0.5) * b[:, :, 2 * k:].sum(2)], 1)
    return run


SIMPLE = {layers.ReLU: lambda l: F.relu, layers.ReLU6: lambda l: lambda x: F.hardtanh(x, 0, 6),
          layers.Dropout: lambda l: lambda x: x,
          layers.MaxPool2d: _pool, layers.AvgPool2d: _pool, layers.LRN: _lrn,
          layers.GlobalAvgPool: lambda l: lambda x: x.mean((2, 3), keepdim=True),
          layers.Concat: lambda l: lambda *xs: torch.cat(xs, l.axis),
          layers.Add: lambda l: lambda *xs: sum(xs[1:], xs[0]),
          layers.ImageGradient: _image_gradient, layers.ColourSelect: _colour_select,
          layers.Directional: _directional, layers.OrientationGate: _gate,
          layers.GradientNorm: lambda l: _norm if not l.fast else _unknown(l),
          layers.BlockNorm: _block_norm, layers.HogAssemble: _assemble,
          layers.Clamp: lambda l: lambda x: torch.clamp(x, max=l.max_value)}
# these need their input's shape
SHAPED = {layers.CellPool: _separable, layers.HardCells: _hard_cells, layers.Conv2d: _conv}


class TorchNet:
    """Our network ``net`` cut at ``until``, as PyTorch operations, for inputs
    of shape ``in_shape``; NotImplementedError names a layer without a
    translation."""

    def __init__(self, net, until, in_shape):
        if not available():
            raise RuntimeError("PyTorch is not installed: the twin cannot be built")
        until = until or net.output
        shapes = net.shapes(in_shape, until)
        self.order, self.inputs, self.run = net.ancestors(until), net.inputs, {}
        for name in self.order:
            layer = net[name]
            if type(layer) in SHAPED:
                self.run[name] = SHAPED[type(layer)](layer, shapes[self.inputs[name][0]])
            elif type(layer) in SIMPLE:
                self.run[name] = SIMPLE[type(layer)](layer)
            else:
                _unknown(layer)

    def __call__(self, x):
        out = {INPUT: x}
        for name in self.order:
            out[name] = self.run[name](*[out[s] for s in self.inputs[name]])
        return out[self.order[-1]]


class TorchObjective:
    """E(x) and dE/dx as ``invert.objective.Objective`` ``obj`` computes them
    (no mask, no jitter), with PyTorch's autograd."""

    def __init__(self, obj, in_shape):
        if obj.mask is not None or obj.jitter:
            raise NotImplementedError("the PyTorch twin has no mask or jitter")
        self.obj, self.net = obj, TorchNet(obj.rep.net, obj.rep.layer, in_shape)
        self.phi0 = _tensor(obj.phi0)

    def terms(self, x):
        o = self.obj
        z = o.sigma * x
        r = self.net(z + o.rep.shift if o.rep.shift else z) - self.phi0
        loss = o.loss_weight * (r * r).flatten(1).sum(1) / o.phi0_sq
        d = x - x.mean((1, 2, 3), keepdim=True) if o.alpha_norm.subtract_mean else x
        alpha = (d.abs() ** o.alpha_norm.alpha).flatten(1).sum(1)
        d1 = F.pad(x[..., :, 1:] - x[..., :, :-1], (0, 1))
        d2 = F.pad(x[..., 1:, :] - x[..., :-1, :], (0, 0, 0, 1))
        tv = ((d1 * d1 + d2 * d2) ** (o.tv.beta / 2)).flatten(1).sum(1)
        return {"loss": loss, "alpha": o.lambda_alpha * alpha, "tv": o.lambda_tv * tv}

    def evaluate(self, x):
        """(energies as float64 NumPy arrays, dE/dx) at the tensor x."""
        x = x.detach().requires_grad_(True)
        terms = self.terms(x)
        terms["total"] = terms["loss"] + terms["alpha"] + terms["tv"]
        terms["total"].sum().backward()
        return {k: v.detach().double().numpy() for k, v in terms.items()}, x.grad


def iteration(obj, x0, momentum=0.9, rate=1e-9):
    """A callable doing one momentum step of ``obj``'s twin from x0 (NumPy),
    as ``tools.bench_invert.Iteration`` does with ours."""
    twin = TorchObjective(obj, x0.shape)  # NOTE: loads PyTorch first
    state = {"x": _tensor(x0)}
    state["mu"] = torch.zeros_like(state["x"])

    def step():
        _, grad = twin.evaluate(state["x"])
        with torch.no_grad():
            state["mu"] = momentum * state["mu"] - rate * grad
            state["x"] = state["x"] + state["mu"]
    return step


def version():
    """PyTorch's version and intra-op threads, for the benchmark's header."""
    return f"torch {torch.__version__}, {torch.get_num_threads()} threads" if available() else None

