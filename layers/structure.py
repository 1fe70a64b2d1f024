"""Layers that move data without arithmetic: concatenation, selection, masks,
and the residual sum.

Concat (along channels)
    y = [x_1, ..., x_m] stacked on axis 1;  dz/dx_i = the matching slab of dz/dy.
Add (residual connections, e.g. EfficientNet's MBConv skip)
    y = x_1 + ... + x_m (equal shapes);  dz/dx_i = dz/dy.
Select (crop a channel range and/or a spatial window)
    y = x[:, c0:c1, r0:r1, q0:q1];  dz/dx = dz/dy placed back, zeros elsewhere.
Mask (multiply by a fixed 0/1 or real mask broadcastable to x)
    y = m * x;  dz/dx = m * dz/dy.
Select and Mask restrict an inversion's loss to a window of neurons or a
group of channels (the paper's Figs. 9 and 10).
"""
from minigrad import backend
from minigrad.layer import Layer


class Concat(Layer):
    def __init__(self, n_inputs=2, axis=1, name=None):
        super().__init__(name)
        self.n_inputs, self.axis = int(n_inputs), int(axis)

    def out_shape(self, in_shapes):
        if len(in_shapes) != self.n_inputs:
            self.fail(f"expects {self.n_inputs} inputs, got {len(in_shapes)}")
        first = in_shapes[0]
        for s in in_shapes:
            self.check_rank(s)
            if s[:self.axis] + s[self.axis + 1:] != first[:self.axis] + first[self.axis + 1:]:
                self.fail(f"inputs must agree on every axis but {self.axis}; got "
                          f"{[tuple(s) for s in in_shapes]}")
        total = sum(s[self.axis] for s in in_shapes)
        return first[:self.axis] + (total,) + first[self.axis + 1:]

    def forward(self, *xs):
        self.check_input(xs)
        xp = backend.get_array_module(*xs)
        self._sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, dzdy):
        out, start = [], 0
        for size in self._sizes:
            index = [slice(None)] * dzdy.ndim
            index[self.axis] = slice(start, start + size)
            out.append(dzdy[tuple(index)])
            start += size
        return tuple(out)


class Add(Layer):
    def __init__(self, n_inputs=2, name=None):
        super().__init__(name)
        self.n_inputs = int(n_inputs)

    def out_shape(self, in_shapes):
        if len(in_shapes) != self.n_inputs:
            self.fail(f"expects {self.n_inputs} inputs, got {len(in_shapes)}")
        for s in in_shapes:
            self.check_rank(s)
            if tuple(s) != tuple(in_shapes[0]):
                self.fail(f"inputs must have equal shapes; got {[tuple(s) for s in in_shapes]}")
        return tuple(in_shapes[0])

    def forward(self, *xs):
        self.check_input(xs)
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y

    def backward(self, dzdy):
        return tuple(dzdy for _ in range(self.n_inputs))


def _as_slice(s):
    if s is None:
        return slice(None)
    if isinstance(s, slice):
        return s
    return slice(int(s[0]), int(s[1]))


class Select(Layer):
    """Keep channels ``channels = (c0, c1)`` and the window ``rows = (r0, r1)``,
    ``cols = (q0, q1)`` (half-open; None keeps everything)."""

    def __init__(self, channels=None, rows=None, cols=None, name=None):
        super().__init__(name)
        self.index = (slice(None), _as_slice(channels), _as_slice(rows), _as_slice(cols))

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        out = [in_shape[0]]
        for axis, s in zip(("channels", "rows", "cols"), self.index[1:]):
            n = in_shape[len(out)]
            start, stop, step = s.indices(n)
            if step != 1 or (s.start is not None and not 0 <= s.start < n) or \
                    (s.stop is not None and not 0 < s.stop <= n) or stop <= start:
                self.fail(f"{axis} {s.start}:{s.stop} is not a non-empty range "
                          f"inside 0:{n} (input shape {tuple(in_shape)})")
            out.append(stop - start)
        return tuple(out)

    def forward(self, x):
        self.check_input(x)
        self._shape = x.shape
        return x[self.index].copy()

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        dzdx = xp.zeros(self._shape, dtype=dzdy.dtype)
        dzdx[self.index] = dzdy
        return dzdx


class Mask(Layer):
    def __init__(self, mask, name=None):
        super().__init__(name)
        self.mask = backend.asarray(mask)
        if self.mask.ndim != 4:
            raise ValueError(f"layer '{self.name}': the mask must be rank 4 "
                             f"(broadcastable to N, C, H, W), got {tuple(self.mask.shape)}")

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        for m, s in zip(self.mask.shape, in_shape):
            if m not in (1, s):
                self.fail(f"mask of shape {tuple(self.mask.shape)} does not "
                          f"broadcast to the input {tuple(in_shape)}")
        return tuple(in_shape)

    def to(self, to_device):
        self.mask = to_device(self.mask)
        return self

    def forward(self, x):
        self.check_input(x)
        return x * self.mask

    def backward(self, dzdy):
        return dzdy * self.mask
