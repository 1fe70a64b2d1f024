"""Separable spatial pooling of orientation planes into HOG cells and SIFT bins.

Every pooling here is linear and separable: a depthwise strided correlation
along x, then along y, each given by an ``AxisKernel`` (``layers.poolweights``):

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

BinPool(bin_size, step, window) -- DSIFT's spatial bins (VLFeat
``_vl_dsift_with_{gaussian,flat}_window``). Along one axis of length n,
frames start at f = 0, step, ... with f + 3B <= n-1; bin b = 0..3 of a frame
is centred at p = f + bB. Its value is the true convolution
out[p] = sum_u k_b(u) in[clamp(p - u)], u = -B+1..B-1 (edge replication):
    "gauss": k_b(u) = (1 - |u|/B) exp(-(u - B(b-1.5))^2 / (2 sigma^2)),
    "flat":  k_b(u) = (1 - |u|/B) * W(b), W(b) the mean of that Gaussian
             over the 2B-1 taps (VLFeat's ``'Fast'``), sigma = 2B;
    "paper": the authors' DSIFT-like net: the 2B-tap tent cells of stride B
             on the image cropped by one pixel (bins centred between pixels),
             4x4 blocks of cells with stride 3 cells, Gaussian weights
             exp(-(b-1.5)^2/(2*1.5^2)) per axis.
Output (N, 16C, ny, nx): channel t + C*bx + 4C*by (C = 8 orientations for
SIFT: orientation fastest, then x bin, then y bin, VLFeat's descriptor
layout), position (iy, ix) = frame (fy0 + iy*step, fx0 + ix*step).
"""
from minigrad import backend
from minigrad.layer import Layer

from .poolweights import hog_cells, paper_bins, sift_bins


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


class _SeparablePool(Layer):
    """Base: subclasses give ``kernel(n)``, an ``AxisKernel`` for an axis of
    length n. Pools along x (the last axis) first, then along y."""

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

    def _pool(self, x):
        self._in_shape = x.shape
        h, w = x.shape[2:]
        return pool_axis(pool_axis(x, self.kernel(w), -1), self.kernel(h), -2)

    def _unpool(self, dzdy):
        xp = backend.get_array_module(dzdy)
        h, w = self._in_shape[2:]
        t = unpool_axis(dzdy, self.kernel(h), -2, h)
        return xp.ascontiguousarray(unpool_axis(t, self.kernel(w), -1, w))

    def forward(self, x):
        self.check_input(x)
        return self._pool(x)

    def backward(self, dzdy):
        return self._unpool(dzdy)


class CellPool(_SeparablePool):
    def __init__(self, cell_size=8, grid="vlfeat", name=None):
        super().__init__(name)
        if int(cell_size) < 1 or grid not in ("vlfeat", "floor"):
            raise ValueError(f"layer '{self.name}': need cell_size >= 1 and grid in "
                             f"('vlfeat', 'floor'); got {cell_size}, {grid!r}")
        self.cell_size, self.grid = int(cell_size), grid

    def kernel(self, n):
        return _cached(hog_cells, n, self.cell_size, self.grid)


class BinPool(_SeparablePool):
    def __init__(self, bin_size=4, step=2, window="gauss", name=None):
        super().__init__(name)
        if int(bin_size) < 1 or int(step) < 1 or window not in ("gauss", "flat", "paper"):
            raise ValueError(f"layer '{self.name}': need bin_size, step >= 1 and window "
                             f"in ('gauss', 'flat', 'paper'); got {bin_size}, {step}, {window!r}")
        self.bin_size, self.step, self.window = int(bin_size), int(step), window

    def kernel(self, n):
        if self.window == "paper":
            return _cached(paper_bins, n, self.bin_size)
        return _cached(sift_bins, n, self.bin_size, self.step, self.window)

    def out_shape(self, in_shape):
        n, c, ho, wo = self._pooled_shape(in_shape)
        return (n, 16 * c, ho // 4, wo // 4)

    def forward(self, x):
        self.check_input(x)
        y = self._pool(x)
        n, c, ho, wo = y.shape
        y = y.reshape(n, c, 4, ho // 4, 4, wo // 4).transpose(0, 2, 4, 1, 3, 5)
        return y.reshape(n, 16 * c, ho // 4, wo // 4)

    def backward(self, dzdy):
        n, c16, ny, nx = dzdy.shape
        c = c16 // 16
        d = dzdy.reshape(n, 4, 4, c, ny, nx).transpose(0, 3, 1, 4, 2, 5)
        return self._unpool(d.reshape(n, c, 4 * ny, 4 * nx))


_KERNELS = {}


def _cached(fn, *args):
    key = (fn.__name__,) + args
    if key not in _KERNELS:
        _KERNELS[key] = fn(*args)
    return _KERNELS[key]
