"""Separable spatial pooling of orientation planes into HOG cells and SIFT bins.

Every pooling here is linear and separable, a depthwise strided convolution
followed by sampling, which we write as two small matrices per image size:

    y[n, c] = Ay  x[n, c]  Ax^T         x (N, C, H, W), Ay (Ho, H), Ax (Wo, W)
    dz/dx[n, c] = Ay^T dz/dy[n, c] Ax

Each matrix row is one output position along that axis; border rules
(dropping, edge replication, zero padding) are folded into its entries. A
matrix depends only on the axis length and is cached.

CellPool(cell_size, grid) -- HOG's bilinear spatial binning (VLFeat
``vl_hog_put_image``): pixel x gives cell j the weight
    w = max(0, 1 - |x - cx_j| / cs),  cx_j = cs*j + (cs-1)/2,
computed as VLFeat does: hx = float32((x + 0.5)/cs - 0.5), b = floor(hx),
a = hx - b, cell b gets 1 - a, cell b+1 gets a; cells outside the grid are
dropped (no redistribution). Grid: "vlfeat" Hc = (H + cs//2) // cs, "floor"
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
import math

import numpy

from minigrad import backend
from minigrad.layer import Layer

_F = numpy.float32


def hog_cell_matrix(n, cell_size, grid="vlfeat"):
    cs = int(cell_size)
    n_cells = (n + cs // 2) // cs if grid == "vlfeat" else n // cs
    x = numpy.arange(n)
    hx = ((x + 0.5) / cs - 0.5).astype(_F)
    b = numpy.floor(hx).astype(int)
    a = (hx - b).astype(_F)
    m = numpy.zeros((max(n_cells, b.max() + 1) + 2, n))  # rows -1, 0, ..: cropped below
    m[b + 1, x] += _F(1) - a
    m[b + 2, x] += a
    return m[1:n_cells + 1]


def _gauss(u, delta, sigma):
    z = ((u - delta) / _F(sigma)).astype(_F)
    return numpy.exp(_F(-0.5) * z * z)


def dsift_bin_matrix(n, bin_size, step, window="gauss", window_size=2.0):
    big_b = int(bin_size)
    if window == "paper":
        return _paper_bin_matrix(n, big_b)
    nf = (n - 1 - 3 * big_b) // step + 1
    u = numpy.arange(-big_b + 1, big_b).astype(_F)
    tri = _F(1) - numpy.abs(u) / _F(big_b)
    sigma = _F(big_b) * _F(window_size)
    m = numpy.zeros((4, max(nf, 0), n))
    for b in range(4):
        g = _gauss(u, _F(big_b * (b - 1.5)), sigma)
        k = tri * g if window == "gauss" else tri * (g.sum(dtype=_F) / _F(2 * big_b - 1))
        for i in range(max(nf, 0)):
            # NOTE: the frame loop is over <= n/step rows of a matrix built
            # once per axis length; edge replication via clamped indices.
            src = numpy.clip(i * step + b * big_b - u.astype(int), 0, n - 1)
            numpy.add.at(m[b, i], src, k.astype(numpy.float64))
    return m.reshape(4 * max(nf, 0), n)


def _paper_bin_matrix(n, big_b):
    nc = (n - 2 - 2 * big_b) // big_b + 1
    nf = (nc - 4) // 3 + 1 if nc >= 4 else 0
    t = numpy.arange(2 * big_b)
    tent = 1 - numpy.abs((t + 1) - (2 * big_b + 1) / 2) / big_b
    m = numpy.zeros((4, nf, n))
    for b in range(4):
        g = math.exp(-0.5 * (b - 1.5) ** 2 / 1.5 ** 2)
        for i in range(nf):
            start = 1 + (3 * i + b) * big_b
            m[b, i, start:start + 2 * big_b] = g * tent
    return m.reshape(4 * nf, n)


class _SeparablePool(Layer):
    """Base: subclasses give ``matrix(n)`` (n_out, n) as float64 NumPy."""

    def __init__(self, name=None):
        super().__init__(name)
        self._cache = {}

    def matrix(self, n):
        raise NotImplementedError

    def _mats(self, h, w, like):
        xp = backend.get_array_module(like)
        key = (h, w, like.dtype.str, xp.__name__)
        if key not in self._cache:
            self._cache[key] = tuple(xp.asarray(self.matrix(n), dtype=like.dtype)
                                     for n in (h, w))
        return self._cache[key]

    def _pooled_shape(self, in_shape):
        self.check_rank(in_shape)
        n, c, h, w = in_shape
        ho, wo = self.matrix(h).shape[0], self.matrix(w).shape[0]
        if ho < 1 or wo < 1:
            self.fail(f"the image {h}x{w} is too small: it gives {ho}x{wo} "
                      f"outputs (input {tuple(in_shape)})")
        return (n, c, ho, wo)

    def out_shape(self, in_shape):
        return self._pooled_shape(in_shape)

    def _pool(self, x):
        ay, ax = self._mats(*x.shape[2:], x)
        self._in_shape = x.shape
        n, c, h, w = x.shape
        t = (x.reshape(-1, w) @ ax.T).reshape(n, c, h, -1)
        return ay @ t

    def _unpool(self, dzdy):
        ay, ax = self._mats(*self._in_shape[2:], dzdy)
        n, c, h, w = self._in_shape
        t = ay.T @ dzdy
        return (t.reshape(-1, t.shape[-1]) @ ax).reshape(n, c, h, w)

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

    def matrix(self, n):
        return _cached(hog_cell_matrix, n, self.cell_size, self.grid)


class BinPool(_SeparablePool):
    def __init__(self, bin_size=4, step=2, window="gauss", name=None):
        super().__init__(name)
        if int(bin_size) < 1 or int(step) < 1 or window not in ("gauss", "flat", "paper"):
            raise ValueError(f"layer '{self.name}': need bin_size, step >= 1 and window "
                             f"in ('gauss', 'flat', 'paper'); got {bin_size}, {step}, {window!r}")
        self.bin_size, self.step, self.window = int(bin_size), int(step), window

    def matrix(self, n):
        return _cached(dsift_bin_matrix, n, self.bin_size, self.step, self.window)

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


_MATRICES = {}


def _cached(fn, *args):
    key = (fn.__name__,) + args
    if key not in _MATRICES:
        _MATRICES[key] = fn(*args)
    return _MATRICES[key]
