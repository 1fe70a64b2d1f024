"""A network: layers wired into a directed acyclic graph, run forward to any
named layer and backward from it.

The data flow is MatConvNet's ``res(i).x`` / ``res(i).dzdx`` written as a
dictionary keyed by layer name::

    net = Net()
    net.add(Conv2d(w, b, pad=1), name="conv1")       # input: the previous layer
    net.add(ReLU(), name="relu1")
    net.add(Conv2d(w2, b2), name="e1", inputs="relu1")
    net.add(Conv2d(w3, b3, pad=1), name="e3", inputs="relu1")
    net.add(Concat(), name="cat", inputs=["e1", "e3"])

    y = net.forward(x, until="relu1")    # stops there
    dzdx = net.backward(dzdy)            # dz/dx at the input, from relu1

Backward walks the layers run by the last forward in reverse order. A layer
whose output feeds several others receives the sum of their dz/dy
(``dzdy[name] = dzdy[name] + g``, the multi-use rule). Shapes are checked
for every layer on the way before anything is computed.
"""
from .layer import Layer

INPUT = "input"


class Net:
    def __init__(self, name="net"):
        self.name = name
        self.layers = {}  # name -> Layer, in insertion (= topological) order
        self.inputs = {}  # name -> tuple of input node names
        self._run = None  # the names run by the last forward, in order
        self._shape_cache = {}

    # -- building -------------------------------------------------------
    def add(self, layer, name=None, inputs=None):
        """Append ``layer`` reading from ``inputs`` (default: the last layer
        added, or the network input). Returns the layer's name."""
        if not isinstance(layer, Layer):
            raise TypeError(f"expected a minigrad Layer, got {type(layer).__name__}")
        name = name or layer.name
        if name in self.layers or name == INPUT:
            raise ValueError(f"network '{self.name}': duplicate layer name '{name}'")
        if inputs is None:
            inputs = (next(reversed(self.layers)) if self.layers else INPUT,)
        elif isinstance(inputs, str):
            inputs = (inputs,)
        inputs = tuple(inputs)
        for src in inputs:
            if src != INPUT and src not in self.layers:
                raise ValueError(f"network '{self.name}': layer '{name}' reads "
                                 f"from '{src}', which is not defined before it")
        if len(inputs) != layer.n_inputs:
            raise ValueError(f"network '{self.name}': layer '{name}' takes "
                             f"{layer.n_inputs} input(s), got {len(inputs)}")
        layer.name = name
        self.layers[name] = layer
        self.inputs[name] = inputs
        self._shape_cache.clear()
        return name

    def __getitem__(self, name):
        return self.layers[self._check_name(name)]

    def __contains__(self, name):
        return name in self.layers

    def __len__(self):
        return len(self.layers)

    @property
    def names(self):
        return list(self.layers)

    @property
    def output(self):
        """The name of the last layer."""
        return next(reversed(self.layers))

    def _check_name(self, name):
        if name not in self.layers:
            known = ", ".join(self.layers) or "(none)"
            raise ValueError(f"network '{self.name}' has no layer named "
                             f"'{name}'; its layers are: {known}")
        return name

    def ancestors(self, until):
        """Names needed to compute ``until``, in execution order."""
        needed = {self._check_name(until)}
        for name in reversed(self.layers):
            if name in needed:
                needed.update(s for s in self.inputs[name] if s != INPUT)
        return [n for n in self.layers if n in needed]

    # -- shapes ---------------------------------------------------------
    def shapes(self, in_shape, until=None):
        """Output shape of every layer up to ``until``, validating each one
        (raises ``ValueError`` naming the layer and the shapes)."""
        until = until or self.output
        key = (tuple(in_shape), until)
        if key not in self._shape_cache:
            if len(in_shape) != 4:
                raise ValueError(f"network '{self.name}' expects an input of "
                                 f"shape (N, C, H, W), got {tuple(in_shape)}")
            shapes = {INPUT: tuple(in_shape)}
            for name in self.ancestors(until):
                src = [shapes[s] for s in self.inputs[name]]
                layer = self.layers[name]
                shapes[name] = tuple(layer.out_shape(src[0] if layer.n_inputs == 1
                                                     else tuple(src)))
            self._shape_cache[key] = shapes
        return self._shape_cache[key]

    # -- running --------------------------------------------------------
    def forward(self, x, until=None, return_all=False):
        """Run up to layer ``until`` (default: the last) and return its
        output, or with ``return_all`` a dict of every computed output."""
        until = until or self.output
        self.shapes(tuple(x.shape), until)  # fail before any work
        order = self.ancestors(until)
        out = {INPUT: x}
        remaining = self._consumers(order)
        for name in order:
            layer = self.layers[name]
            args = [out[s] for s in self.inputs[name]]
            out[name] = layer.forward(*args)
            if not return_all:  # free activations nobody reads any more
                for s in self.inputs[name]:
                    remaining[s] -= 1
                    if remaining[s] == 0 and s != until:
                        del out[s]
        self._run = order
        return out if return_all else out[until]

    def _consumers(self, order):
        count = {INPUT: 0}
        for name in order:
            count.setdefault(name, 0)
            for s in self.inputs[name]:
                count[s] += 1
        return count

    def backward(self, dzdy, param_grads=False):
        """Back-propagate ``dzdy`` (dz/dy at the layer the last forward stopped
        at) and return dz/dx at the network input. With ``param_grads`` each
        layer's ``grads`` dict is filled too."""
        if self._run is None:
            raise RuntimeError(f"network '{self.name}': backward() before forward()")
        order = self._run
        grads = {order[-1]: dzdy}
        for name in reversed(order):
            g = grads.pop(name, None)
            if g is None:  # nothing downstream depends on this layer
                continue
            layer = self.layers[name]
            layer.param_grads = param_grads
            dx = layer.backward(g)
            if layer.n_inputs == 1:
                dx = (dx,)
            for src, d in zip(self.inputs[name], dx):
                if d is None:  # NOTE: a zero gradient (the layer contract)
                    continue
                grads[src] = d if src not in grads else grads[src] + d
        return grads.get(INPUT)

    def __call__(self, x, until=None):
        return self.forward(x, until)

    # -- parameters and devices -----------------------------------------
    def to(self, to_device):
        for layer in self.layers.values():
            layer.to(to_device)
        return self

    def astype(self, dtype):
        """Cast every parameter to ``dtype`` (float64 for gradient checks)."""
        return self.to(lambda a: a.astype(dtype))

    def params(self):
        """``{(layer, param): array}`` for every parameter."""
        return {(n, k): v for n, l in self.layers.items() for k, v in l.params.items()}

    # -- geometry -------------------------------------------------------
    def receptive_field(self, until, in_shape=None):
        """Theoretical receptive field of one unit of ``until``:
        ``(size_y, size_x, stride_y, stride_x, offset_y, offset_x)``, where
        unit (i, j) sees input rows ``offset_y + i*stride_y`` plus
        ``[0, size_y)`` (likewise columns). Through several inputs (concat)
        the union (the largest field) is taken. ``in_shape`` (the net's input
        shape) is needed past a layer whose footprint depends on its input
        size (a global pool)."""
        shapes = self.shapes(in_shape, until) if in_shape is not None else None
        fields = {INPUT: (1, 1, 1, 1, 0, 0)}
        for name in self.ancestors(until):
            srcs = [fields[s] for s in self.inputs[name]]
            # NOTE: several inputs (concat): the union of their spans.
            oy, ox = min(f[4] for f in srcs), min(f[5] for f in srcs)
            ry = max(f[4] + f[0] for f in srcs) - oy
            rx = max(f[5] + f[1] for f in srcs) - ox
            sy, sx = srcs[0][2], srcs[0][3]
            geom = self.layers[name].geometry(
                shapes[self.inputs[name][0]] if shapes else None)
            if geom is not None:
                kh, kw, s_h, s_w, pt, pl = geom
                oy, ox = oy - pt * sy, ox - pl * sx
                ry, rx = ry + (kh - 1) * sy, rx + (kw - 1) * sx
                sy, sx = sy * s_h, sx * s_w
            fields[name] = (ry, rx, sy, sx, oy, ox)
        return fields[until]

    def __repr__(self):
        rows = [f"  {n}: {type(l).__name__} <- {', '.join(self.inputs[n])}"
                for n, l in self.layers.items()]
        return f"Net({self.name!r},\n" + "\n".join(rows) + "\n)"
