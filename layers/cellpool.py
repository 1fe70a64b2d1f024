"""Separable spatial pooling of orientation planes into HOG cells and SIFT bins.

Every pooling here is linear and separable: a depthwise strided correlation
along x and one along y (their order is a matter of speed only, see
``SeparablePool._y_first``), each given by an ``AxisKernel`` (``layers.poolweights``):

    t[.., g*count + i] = sum_j w[g, j] x~[.., offset_g + i*stride + j]

with x~ the axis extended by zeros or by edge replication. In matrix form,
y[n, c] = Ay x[n, c] Ax^T (``poolweights.dense``) and the backward is
dz/dx[n, c] = Ay^T dz/dy[n, c] Ax: the same strided slices accumulated into
the extended axis, whose overhang is then dropped (zeros) or folded onto
the edge pixels (replication). Loops run over kernel taps only (<= 4 x 2B).
Kernels depend only on the axis length and are cached.

CellPool(cell_size, grid) -- HOG's bilinear spatial binning (VLFeat
``vl_hog_put_image``): pixel x gives cell j the weight
    w = max(0, 1 - |x - cx_j| / cs),  cx_j = cs*j + (cs-1)/2,
computed as VLFeat does: hx = float32((x + 0.5)/cs - 0.5), b = floor(hx),
a = hx - b, cell b gets 1 - a, cell b+1 gets a; cells outside the grid are
dropped (no redistribution). (For cell sizes that are not powers of two,
the float32 weights of the first interior cell are used for every cell;
VLFeat's differ by float32 rounding, < 3e-6 relative.) Grid: "vlfeat" Hc = (H + cs//2) // cs, "floor"
Hc = H // cs (the authors' MATLAB network: a 2cs tent filter, stride cs,
pad cs/2, which is the same tent). Output (N, C, Hc, Wc), cell (i, j) at
row i, column j.

``SeparablePool`` is the base of CellPool and of ``layers.binpool.BinPool``
(DSIFT's bins), which also uses ``pool_axis``/``unpool_axis`` directly.
"""
from minigrad import backend
from minigrad.layer import Layer

from .poolweights import hog_cells


def _at(axis, index):
    """An index tuple selecting ``index`` on ``axis`` (-1 or -2)."""
    return (Ellipsis, index) if axis == -1 else (Ellipsis, index, slice(None))


def _taps(k, n):
    """For every tap: (group, weight, i_lo, i_hi, first source index), where
    outputs i_lo <= i < i_hi read x[first + (i - i_lo)*stride] inside the
    axis; outputs before i_lo (after i_hi) read beyond the start (end)."""
    out = []
    g, length = k.w.shape
    for gi in range(g):
        for j in range(length):
            if k.w[gi, j] == 0:
                continue
            o = int(k.offset[gi]) + j
            lo = min(k.count, max(0, -(-(-o) // k.stride)))  # ceil(-o/stride)
            hi = max(lo, min(k.count, (n - 1 - o) // k.stride + 1))
            out.append((gi, k.w[gi, j], lo, hi, o + lo * k.stride))
    return out


def pool_axis(x, k, axis):
    """Apply ``AxisKernel`` k along ``axis`` (-1: x, -2: y) of x. No padded
    copy: each tap adds a strided slice of x into the outputs it reaches
    inside the axis; with edge replication the others get the edge pixel."""
    xp = backend.get_array_module(x)
    n = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = k.w.shape[0] * k.count
    out = xp.zeros(shape, dtype=x.dtype)
    first, last = x[_at(axis, slice(0, 1))], x[_at(axis, slice(n - 1, n))]
    for g, w, lo, hi, src in _taps(k, n):
        w, base = x.dtype.type(w), g * k.count
        if hi > lo:
            stop = src + (hi - lo - 1) * k.stride + 1
            out[_at(axis, slice(base + lo, base + hi))] += w * x[_at(axis, slice(src, stop, k.stride))]
        if k.edge and lo > 0:
            out[_at(axis, slice(base, base + lo))] += w * first
        if k.edge and hi < k.count:
            out[_at(axis, slice(base + hi, base + k.count))] += w * last
    return out


def unpool_axis(dy, k, axis, n):
    """The adjoint of ``pool_axis`` for an axis of length n."""
    xp = backend.get_array_module(dy)
    shape = list(dy.shape)
    shape[axis] = n
    dx = xp.zeros(shape, dtype=dy.dtype)
    for g, w, lo, hi, src in _taps(k, n):
        w, base = dy.dtype.type(w), g * k.count
        if hi > lo:
            stop = src + (hi - lo - 1) * k.stride + 1
            dx[_at(axis, slice(src, stop, k.stride))] += w * dy[_at(axis, slice(base + lo, base + hi))]
        if k.edge and lo > 0:
            dx[_at(axis, slice(0, 1))] += w * dy[_at(axis, slice(base, base + lo))].sum(
                axis=axis, keepdims=True)
        if k.edge and hi < k.count:
            dx[_at(axis, slice(n - 1, n))] += w * dy[_at(axis, slice(base + hi, base + k.count))].sum(
                axis=axis, keepdims=True)
    return dx


class SeparablePool(Layer):
    """Base: subclasses give ``kernel(n)``, an ``AxisKernel`` for an axis of
    length n. Pools along both axes, in the cheaper order (``_y_first``)."""

    def kernel(self, n):
        raise NotImplementedError

    def _pooled_shape(self, in_shape):
        self.check_rank(in_shape)
        n, c, h, w = in_shape
        ho, wo = (self.kernel(a).count * self.kernel(a).w.shape[0] for a in (h, w))
        if ho < 1 or wo < 1:
            self.fail(f"the image {h}x{w} is too small: it gives {ho}x{wo} "
                      f"outputs (input {tuple(in_shape)})")
        return (n, c, ho, wo)

    def out_shape(self, in_shape):
        return self._pooled_shape(in_shape)

    def _y_first(self, h, w):
        """Pool rows first? The x pass reads strided columns, about twice as
        slow per output as the y pass (whole rows), so it should run on the
        smaller of the input and the row-pooled array (HOG: y first, 3x
        faster at 512^2; DSIFT's Gaussian bins, which grow each axis: x)."""
        ho = self.kernel(h).count * self.kernel(h).w.shape[0]
        wo = self.kernel(w).count * self.kernel(w).w.shape[0]
        return ho * w + 2 * ho * wo < 2 * h * wo + ho * wo

    def _pool(self, x):
        self._in_shape = x.shape
        h, w = x.shape[2:]
        ky, kx = self.kernel(h), self.kernel(w)
        if self._y_first(h, w):
            return pool_axis(pool_axis(x, ky, -2), kx, -1)
        return pool_axis(pool_axis(x, kx, -1), ky, -2)

    def _unpool(self, dzdy):
        """The adjoint passes in the reverse order of ``_pool``'s."""
        xp = backend.get_array_module(dzdy)
        h, w = self._in_shape[2:]
        ky, kx = self.kernel(h), self.kernel(w)
        if self._y_first(h, w):
            dx = unpool_axis(unpool_axis(dzdy, kx, -1, w), ky, -2, h)
        else:
            dx = unpool_axis(unpool_axis(dzdy, ky, -2, h), kx, -1, w)
        return xp.ascontiguousarray(dx)

    def forward(self, x):
        self.check_input(x)
        return self._pool(x)

    def backward(self, dzdy):
        return self._unpool(dzdy)


class CellPool(SeparablePool):
    def __init__(self, cell_size=8, grid="vlfeat", name=None):
        super().__init__(name)
        if int(cell_size) < 1 or grid not in ("vlfeat", "floor"):
            raise ValueError(f"layer '{self.name}': need cell_size >= 1 and grid in "
                             f"('vlfeat', 'floor'); got {cell_size}, {grid!r}")
        self.cell_size, self.grid = int(cell_size), grid

    def kernel(self, n):
        return cached_kernel(hog_cells, n, self.cell_size, self.grid)


_KERNELS = {}


def cached_kernel(fn, *args):
    key = (fn.__name__,) + args
    if key not in _KERNELS:
        _KERNELS[key] = fn(*args)
    return _KERNELS[key]
