"""Separable spatial pooling of orientation planes into HOG cells and SIFT bins.

Every pooling here is linear and separable: a depthwise strided correlation
along x and one along y, each given by an ``AxisKernel`` (``layers.poolweights``):

    t[.., g*count + i] = sum_j w[g, j] x~[.., offset_g + i*stride + j]

with x~ the axis extended by zeros or by edge replication. In matrix form,
y[n, c] = Ay x[n, c] Ax^T (``poolweights.dense``) and the backward is
dz/dx[n, c] = Ay^T dz/dy[n, c] Ax. Kernels depend only on the axis length
and are cached.

How (``pool_axis``/``unpool_axis``; a pass along x runs on the transposed
array, so rows are always the pooled axis and whole rows the BLAS vectors):
    forward: one padded copy x~ (zeros or edge rows), then per group g a
        matmul of w[g] (1, L) with the window view (.., count, L, W) of x~
        (``_windows``, no im2col copy); ~3x faster than adding L strided
        slices (DSIFT's Gaussian bins at 512^2: ~110 -> ~40 ms).
    backward, overlapping windows (stride < L): per group and tap phase
        c < stride, rows offset_g + c + q*stride receive
        z[q] = sum_t w[g, c + t*stride] dz/dy_g[q - t], a stride-1
        correlation, again a matmul over windows of zero-padded dz/dy_g;
        rows beyond the axis are dropped (zeros) or summed onto the edge
        rows (replication).
    backward, disjoint windows (stride >= L, the paper bins): each tap's
        w[g, j] dz/dy_g added through a window view of the extended axis.
The pass order is a matter of speed only (``SeparablePool._y_first``).

CellPool(cell_size, grid) -- HOG's bilinear spatial binning (VLFeat
``vl_hog_put_image``): pixel x gives cell j the weight
    w = max(0, 1 - |x - cx_j| / cs),  cx_j = cs*j + (cs-1)/2,
computed as VLFeat does: hx = float32((x + 0.5)/cs - 0.5), b = floor(hx),
a = hx - b, cell b gets 1 - a, cell b+1 gets a; cells outside the grid are
dropped (no redistribution). (For cell sizes that are not powers of two,
the float32 weights of the first interior cell are used for every cell;
VLFeat's differ by float32 rounding, < 3e-6 relative.) Grid: "vlfeat"
Hc = (H + cs//2) // cs, "floor" Hc = H // cs (the authors' MATLAB network:
a 2cs tent filter, stride cs, pad cs/2, which is the same tent).
Output (N, C, Hc, Wc), cell (i, j) at row i, column j.

``SeparablePool`` is the base of CellPool and of ``layers.binpool.BinPool``
(DSIFT's bins), which also uses ``pool_axis``/``unpool_axis`` directly.
"""
from minigrad import backend
from minigrad.layer import Layer

from .poolweights import dense, hog_cells, padding


def _rows_pad(a, before, after, mode):
    """a extended by ``before``/``after`` rows (axis -2), C-contiguous so that
    its rows can be windowed for BLAS (a itself if it already is, unpadded)."""
    xp = backend.get_array_module(a)
    if before == after == 0 and a.flags.c_contiguous:
        return a
    return xp.pad(a, ((0, 0),) * (a.ndim - 2) + ((before, after), (0, 0)), mode=mode)


def _windows(a, start, count, stride, length):
    """A view (..., count, length, W) of the rows of a C-contiguous a:
    v[..., i, j, :] = a[..., start + i*stride + j, :]. No copy."""
    xp = backend.get_array_module(a)
    st = a.strides
    return xp.lib.stride_tricks.as_strided(
        a[..., start:, :], shape=a.shape[:-2] + (count, length, a.shape[-1]),
        strides=st[:-2] + (stride * st[-2], st[-2], st[-1]))


def _pool_rows(x, k):
    xp = backend.get_array_module(x)
    g, length = k.w.shape
    before, after = padding(k, x.shape[-2])
    xt = _rows_pad(x, before, after, "edge" if k.edge else "constant")
    w = xp.asarray(k.w[:, None, :], dtype=x.dtype)
    y = xp.empty(x.shape[:-2] + (g * k.count, x.shape[-1]), dtype=x.dtype)
    for gi in range(g):
        v = _windows(xt, int(k.offset[gi]) + before, k.count, k.stride, length)
        xp.matmul(w[gi], v, out=y[..., gi * k.count:(gi + 1) * k.count, None, :])
    return y


def _scatter_rows(dy, k, n):
    """``_unpool_rows`` when windows do not overlap (stride >= length): tap j
    adds w[g, j] dz/dy_g into rows j of the windows (a view; L ops of the
    size of dz/dy_g, faster here than one outer product)."""
    xp = backend.get_array_module(dy)
    g, length = k.w.shape
    before, after = padding(k, n)
    dxt = xp.zeros(dy.shape[:-2] + (before + n + after, dy.shape[-1]), dtype=dy.dtype)
    for gi in range(g):
        v = _windows(dxt, int(k.offset[gi]) + before, k.count, k.stride, length)
        d = dy[..., gi * k.count:(gi + 1) * k.count, :]
        for j in range(length):
            v[..., j, :] += dy.dtype.type(k.w[gi, j]) * d
    if k.edge and before:
        dxt[..., before, :] += dxt[..., :before, :].sum(axis=-2)
    if k.edge and after:
        dxt[..., before + n - 1, :] += dxt[..., before + n:, :].sum(axis=-2)
    return dxt if before == after == 0 else xp.ascontiguousarray(dxt[..., before:before + n, :])


def _unpool_rows(dy, k, n):
    xp = backend.get_array_module(dy)
    g, length = k.w.shape
    s = k.stride
    if s >= length:
        return _scatter_rows(dy, k, n)
    dx = xp.zeros(dy.shape[:-2] + (n, dy.shape[-1]), dtype=dy.dtype)
    for gi in range(g):
        phases = [(c, k.w[gi, c::s]) for c in range(min(s, length))]
        t_max = len(phases[0][1])
        d = _rows_pad(dy[..., gi * k.count:(gi + 1) * k.count, :], t_max - 1, t_max - 1, "constant")
        for c, u in phases:
            # NOTE: row r = first + q*s gets z[q] = sum_t u[t] dy_g[q - t],
            # q < count + len(u) - 1: windows of d with the taps reversed.
            first, m = int(k.offset[gi]) + c, k.count + len(u) - 1
            z = xp.matmul(xp.asarray(u[None, ::-1], dtype=dy.dtype),
                          _windows(d, t_max - len(u), m, 1, len(u)))[..., 0, :]
            lo = min(m, max(0, -(-(-first) // s)))           # first q with r >= 0
            hi = max(lo, min(m, (n - 1 - first) // s + 1))    # past the last q with r < n
            if hi > lo:
                dx[..., first + lo * s:first + (hi - 1) * s + 1:s, :] += z[..., lo:hi, :]
            if k.edge and lo > 0:  # rows before the axis replicate row 0
                dx[..., 0, :] += z[..., :lo, :].sum(axis=-2)
            if k.edge and hi < m:
                dx[..., n - 1, :] += z[..., hi:, :].sum(axis=-2)
    return dx


def pool_axis(x, k, axis):
    """Apply ``AxisKernel`` k along ``axis`` (-1: x, -2: y) of x; returns a
    C-contiguous array."""
    xp = backend.get_array_module(x)
    if axis == -2:
        return _pool_rows(x, k)
    return xp.ascontiguousarray(_pool_rows(x.swapaxes(-1, -2), k).swapaxes(-1, -2))


def unpool_axis(dy, k, axis, n):
    """The adjoint of ``pool_axis`` for an axis of length n (C-contiguous)."""
    xp = backend.get_array_module(dy)
    if axis == -2:
        return _unpool_rows(dy, k, n)
    return xp.ascontiguousarray(_unpool_rows(dy.swapaxes(-1, -2), k, n).swapaxes(-1, -2))


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
        """Pool rows first? Both passes copy their input and write their
        output; the x pass transposes both ways, about twice the cost per
        element, so it should run on the smaller array: y first for HOG's
        cells (3x faster at 512^2 than x first), x first for DSIFT's
        Gaussian bins (which grow each axis)."""
        ho = self.kernel(h).count * self.kernel(h).w.shape[0]
        wo = self.kernel(w).count * self.kernel(w).w.shape[0]
        y_first = (h * w + ho * w) + 2 * (ho * w + ho * wo)
        x_first = 2 * (h * w + h * wo) + (h * wo + ho * wo)
        return y_first <= x_first

    def _pool(self, x):
        self._in_shape = x.shape
        h, w = x.shape[2:]
        ky, kx = self.kernel(h), self.kernel(w)
        if self._y_first(h, w):
            return pool_axis(pool_axis(x, ky, -2), kx, -1)
        return pool_axis(pool_axis(x, kx, -1), ky, -2)

    def _unpool(self, dzdy):
        """The adjoint passes in the reverse order of ``_pool``'s."""
        h, w = self._in_shape[2:]
        ky, kx = self.kernel(h), self.kernel(w)
        if self._y_first(h, w):
            return unpool_axis(unpool_axis(dzdy, kx, -1, w), ky, -2, h)
        return unpool_axis(unpool_axis(dzdy, ky, -2, h), kx, -1, w)

    def forward(self, x):
        self.check_input(x)
        return self._pool(x)

    def backward(self, dzdy):
        return self._unpool(dzdy)


DENSE_MAX = 64  # CellPool's backward: two dense products up to this many cells per axis


class CellPool(SeparablePool):
    """HOG's cells (module docstring). Its backward, for up to ``DENSE_MAX``
    cells along each axis, is dz/dx = Ay^T dz/dy Ax with the dense (cells x
    pixels) matrices: 8x the multiply-adds of the windowed passes, but two
    matrix products instead of 2 x 8 phases of small ones, 3-4x faster at
    128-256 pixels, 1.5x at 512 (one thread, this machine). The products
    are small: one BLAS thread (``backend.blas_threads``)."""

    def __init__(self, cell_size=8, grid="vlfeat", name=None):
        super().__init__(name)
        if int(cell_size) < 1 or grid not in ("vlfeat", "floor"):
            raise ValueError(f"layer '{self.name}': need cell_size >= 1 and grid in "
                             f"('vlfeat', 'floor'); got {cell_size}, {grid!r}")
        self.cell_size, self.grid = int(cell_size), grid

    def kernel(self, n):
        return cached_kernel(hog_cells, n, self.cell_size, self.grid)

    def _unpool(self, dzdy):
        if max(dzdy.shape[2:]) > DENSE_MAX:
            return super()._unpool(dzdy)
        h, w = self._in_shape[2:]
        ayt = self._dense(h, dzdy).T
        ax = self._dense(w, dzdy)
        with backend.blas_threads(1):  # NOTE: small products (backend: why one thread)
            t = (dzdy.reshape(-1, dzdy.shape[-1]) @ ax).reshape(dzdy.shape[:-1] + (w,))
            return backend.get_array_module(dzdy).matmul(ayt, t)

    def _dense(self, n, like):
        """The (cells, n) matrix of ``kernel(n)`` (``poolweights.dense``), in
        ``like``'s dtype and array module, cached."""
        xp = backend.get_array_module(like)
        key = ("dense", n, self.cell_size, self.grid, like.dtype.str, xp.__name__)
        if key not in _KERNELS:
            _KERNELS[key] = xp.asarray(dense(self.kernel(n), n), dtype=like.dtype)
        return _KERNELS[key]


_KERNELS = {}


def cached_kernel(fn, *args):
    key = (fn.__name__,) + args
    if key not in _KERNELS:
        _KERNELS[key] = fn(*args)
    return _KERNELS[key]
