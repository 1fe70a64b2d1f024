"""DSIFT's spatial bins: linear, separable pooling of orientation planes.

BinPool(bin_size, step, window) -- VLFeat ``_vl_dsift_with_{gaussian,flat}_window``.
Along one axis of length n, frames start at f = 0, step, ... with
f + 3B <= n-1; bin b = 0..3 of a frame is centred at p = f + bB. Its value
is the true convolution
    out[p] = sum_u k_b(u) in[clamp(p - u)],  u = -B+1..B-1 (edge replication):
    "gauss": k_b(u) = tri(u) exp(-(u - B(b-1.5))^2 / (2 sigma^2)),
    "flat":  k_b(u) = tri(u) W(b), W(b) the mean of that Gaussian over the
             2B-1 taps (VLFeat's ``'Fast'``), sigma = 2B, tri(u) = 1 - |u|/B;
    "paper": the authors' DSIFT-like net: the 2B-tap tent cells of stride B
             on the image cropped by one pixel (bins centred between pixels),
             4x4 blocks of cells with stride 3 cells, Gaussian weights
             exp(-(b-1.5)^2/(2*1.5^2)) per axis.
Output (N, 16C, ny, nx): channel t + C*bx + 4C*by (C = 8 orientations for
SIFT: orientation fastest, then x bin, then y bin, VLFeat's descriptor
layout), position (iy, ix) = frame (fy0 + iy*step, fx0 + ix*step).
``kernel(n)`` is the per-axis map (``poolweights.sift_bins``/``paper_bins``):
y[n, c] = Ay x[n, c] Ax^T, reordered into channels; backward is its transpose.

How it is computed
------------------
"gauss", "paper": ``SeparablePool`` (``layers.cellpool``): every bin has its
own kernel, one strided pass per axis over the (4 count) bin positions.

"flat": every bin shares one kernel, tri, scaled by W(b), so
    y[(by, bx), c, iy, ix] = W(by) W(bx) T[c, iy*step + by*B, ix*step + bx*B],
    T = tri (*)_y tri (*)_x x   (edge replication).
All sampled positions are multiples of g = gcd(step, B), so T is computed
only on that lattice (``poolweights.sift_lattice``: one 2B-1 tap kernel of
stride g; rows first, as the strided x pass then runs on fewer rows), then
the 16 bins are strided views of T, each scaled by W(by) W(bx) into its
channel block. Backward: dz/dT = sum over bins of W(by) W(bx) dz/dy_bin
scattered back to the sampled positions (the views of different bins
overlap when step < B, hence accumulated), then the transposed passes
(``unpool_axis``). Per output value that is 7 taps on the lattice instead of
2 x 4 x 7 taps on the bin positions (B = 4, step = 2): ~10x faster at 512^2.
The values equal ``kernel(n)``'s map up to rounding (flat k_b is the float64
product tri * W(b) there).
"""
from minigrad import backend

from .cellpool import SeparablePool, cached_kernel, pool_axis, unpool_axis
from .poolweights import flat_window, paper_bins, sift_bins, sift_lattice


class BinPool(SeparablePool):
    def __init__(self, bin_size=4, step=2, window="gauss", name=None):
        super().__init__(name)
        if int(bin_size) < 1 or int(step) < 1 or window not in ("gauss", "flat", "paper"):
            raise ValueError(f"layer '{self.name}': need bin_size, step >= 1 and window "
                             f"in ('gauss', 'flat', 'paper'); got {bin_size}, {step}, {window!r}")
        self.bin_size, self.step, self.window = int(bin_size), int(step), window

    def kernel(self, n):
        if self.window == "paper":
            return cached_kernel(paper_bins, n, self.bin_size)
        return cached_kernel(sift_bins, n, self.bin_size, self.step, self.window)

    def out_shape(self, in_shape):
        n, c, ho, wo = self._pooled_shape(in_shape)
        return (n, 16 * c, ho // 4, wo // 4)

    def forward(self, x):
        self.check_input(x)
        if self.window == "flat":
            return self._flat_forward(x)
        y = self._pool(x)
        n, c, ho, wo = y.shape
        y = y.reshape(n, c, 4, ho // 4, 4, wo // 4).transpose(0, 2, 4, 1, 3, 5)
        return y.reshape(n, 16 * c, ho // 4, wo // 4)

    def backward(self, dzdy):
        n, c16, ny, nx = dzdy.shape
        d = dzdy.reshape(n, 4, 4, c16 // 16, ny, nx)
        if self.window == "flat":
            return self._flat_backward(d)
        d = d.transpose(0, 3, 1, 4, 2, 5)
        return self._unpool(d.reshape(n, c16 // 16, 4 * ny, 4 * nx))

    # -- the flat window: one triangle on the sampling lattice -------------
    def _bins(self, n):
        """(lattice kernel, frames, slice of bin b on the lattice for b < 4)."""
        k = cached_kernel(sift_lattice, n, self.bin_size, self.step)
        count = self.kernel(n).count
        s, o = self.step // k.stride, self.bin_size // k.stride
        return k, count, [slice(b * o, b * o + (count - 1) * s + 1, s) for b in range(4)]

    def _scales(self, dtype):
        w = cached_kernel(flat_window, self.bin_size)  # NOTE: Gaussians once, not per call
        return [[dtype.type(w[by] * w[bx]) for bx in range(4)] for by in range(4)]

    def _flat_forward(self, x):
        xp = backend.get_array_module(x)
        n, c, h, w = x.shape
        self._in_shape = x.shape
        ky, ny, sy = self._bins(h)
        kx, nx, sx = self._bins(w)
        t = pool_axis(pool_axis(x, ky, -2), kx, -1)
        self._t_shape = t.shape
        scale = self._scales(x.dtype)
        y = xp.empty((n, 4, 4, c, ny, nx), dtype=x.dtype)
        for by in range(4):
            for bx in range(4):
                xp.multiply(t[..., sy[by], sx[bx]], scale[by][bx], out=y[:, by, bx])
        return y.reshape(n, 16 * c, ny, nx)

    def _flat_backward(self, d):
        """d: dz/dy as (N, 4 (by), 4 (bx), C, ny, nx)."""
        xp = backend.get_array_module(d)
        h, w = self._in_shape[2:]
        ky, _, sy = self._bins(h)
        kx, _, sx = self._bins(w)
        scale = self._scales(d.dtype)
        dt = xp.zeros(self._t_shape, dtype=d.dtype)
        tmp = xp.empty(d[:, 0, 0].shape, dtype=d.dtype)
        for by in range(4):
            for bx in range(4):
                xp.multiply(d[:, by, bx], scale[by][bx], out=tmp)
                dt[..., sy[by], sx[bx]] += tmp
        return unpool_axis(unpool_axis(dt, kx, -1, w), ky, -2, h)
