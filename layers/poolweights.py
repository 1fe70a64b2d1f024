"""Pooling weights along one image axis, for ``layers.cellpool``.

A pooling along an axis of length n is a set of G strided correlations:

    out[g*count + i] = sum_j w[g, j] * in~[offset[g] + i*stride + j]

(g < G, i < count, j < L), where in~ is the input extended beyond [0, n)
by zeros (``edge=False``) or by replicating the edge pixels (``edge=True``).
``AxisKernel`` holds (w, offset, stride, count, edge). ``dense(k, n)`` is
the same map as an (G*count, n) matrix (tests, documentation).
"""
import math
from collections import namedtuple

import numpy

AxisKernel = namedtuple("AxisKernel", "w offset stride count edge")
_F = numpy.float32


def hog_cells(n, cell_size, grid="vlfeat"):
    """HOG's bilinear cells: one tent kernel, stride cs. Weights follow
    VLFeat's float32 recipe hx = (x + 0.5)/cs - 0.5, a = hx - floor(hx)
    (cell floor(hx) gets 1 - a, the next one a), evaluated on cell 1 of a
    longer axis; at cs = 2^k it is exactly max(0, 1 - |x - cx|/cs)."""
    cs = int(cell_size)
    count = (n + cs // 2) // cs if grid == "vlfeat" else n // cs
    centre = (cs - 1) / 2
    first = math.floor(centre - cs) + 1           # first pixel of cell 0
    length = math.ceil(centre + cs) - first       # pixels with weight > 0
    x = numpy.arange(cs + first, cs + first + length)
    hx = ((x + 0.5) / cs - 0.5).astype(_F)
    a = (hx - numpy.floor(hx)).astype(_F)
    w = numpy.where(numpy.floor(hx) == 1, _F(1) - a, a).astype(numpy.float64)
    return AxisKernel(w[None], numpy.array([first]), cs, count, False)


def _gauss(u, delta, sigma):
    z = ((u - delta) / _F(sigma)).astype(_F)
    return numpy.exp(_F(-0.5) * z * z)


def _triangle(big_b):
    """(u, tri): u = -B+1..B-1 and tri(u) = 1 - |u|/B, both float32."""
    u = numpy.arange(-big_b + 1, big_b).astype(_F)
    return u, _F(1) - numpy.abs(u) / _F(big_b)


def flat_window(bin_size, window_size=2.0):
    """W(b), b = 0..3 (float64 of float32 values): the mean of the Gaussian
    window over the 2B-1 taps of bin b, VLFeat's flat-window scale."""
    big_b = int(bin_size)
    u, _ = _triangle(big_b)
    sigma = _F(big_b) * _F(window_size)
    return numpy.array([_gauss(u, _F(big_b * (b - 1.5)), sigma).sum(dtype=_F) / _F(2 * big_b - 1)
                        for b in range(4)], dtype=numpy.float64)


def sift_bins(n, bin_size, step, window="gauss", window_size=2.0):
    """DSIFT's 4 spatial bins per frame (VLFeat ``_vl_dsift_with_*_window``):
    bin b of frame i at p = i*step + b*B is sum_u k_b(u) in[clamp(p - u)],
    u = -B+1..B-1, i.e. kernel tap j = u + B - 1 reversed, with edge
    replication. Kernels are computed in float32 as VLFeat does; the flat
    window's k_b = tri * W(b) is the float64 product of the two float32
    factors (the map ``sift_lattice`` + W(by) W(bx) computes)."""
    big_b = int(bin_size)
    count = max((n - 1 - 3 * big_b) // step + 1, 0)
    u, tri = _triangle(big_b)
    sigma = _F(big_b) * _F(window_size)
    flat = flat_window(big_b, window_size)
    w = []
    for b in range(4):
        if window == "gauss":
            k = (tri * _gauss(u, _F(big_b * (b - 1.5)), sigma)).astype(numpy.float64)
        else:
            k = tri.astype(numpy.float64) * flat[b]
        w.append(k[::-1])
    offset = numpy.arange(4) * big_b - (big_b - 1)
    return AxisKernel(numpy.array(w), offset, int(step), count, True)


def sift_lattice(n, bin_size, step):
    """The flat window's shared triangle, evaluated only where bins are
    sampled: out[k] = sum_u tri(u) in[clamp(k*g - u)], g = gcd(step, B),
    k = 0 .. last/g with last = (count-1)*step + 3B the last bin centre of
    ``sift_bins`` (count >= 1). Bin b of frame i is out[(i*step + b*B)/g]."""
    big_b, step = int(bin_size), int(step)
    count = (n - 1 - 3 * big_b) // step + 1
    g = math.gcd(step, big_b)
    _, tri = _triangle(big_b)
    w = tri[::-1].astype(numpy.float64)[None]
    return AxisKernel(w, numpy.array([-(big_b - 1)]), g, ((count - 1) * step + 3 * big_b) // g + 1,
                      True)


def paper_bins(n, bin_size):
    """The authors' DSIFT-like net: cells are 2B-tap tents of stride B on the
    image cropped by one pixel; a frame takes 4 cells at a stride of 3 cells,
    cell b weighted by exp(-(b - 1.5)^2 / (2 * 1.5^2))."""
    big_b = int(bin_size)
    cells = (n - 2 - 2 * big_b) // big_b + 1
    count = (cells - 4) // 3 + 1 if cells >= 4 else 0
    t = numpy.arange(2 * big_b)
    tent = 1 - numpy.abs((t + 1) - (2 * big_b + 1) / 2) / big_b
    w = numpy.array([math.exp(-0.5 * (b - 1.5) ** 2 / 1.5 ** 2) * tent for b in range(4)])
    return AxisKernel(w, 1 + numpy.arange(4) * big_b, 3 * big_b, count, False)


def padding(k, n):
    """(before, after) extension of an axis of length n that ``k`` reads."""
    length = k.w.shape[1]
    before = max(0, -int(k.offset.min()))
    after = max(0, int(k.offset.max()) + k.stride * (k.count - 1) + length - n)
    return before, after


def dense(k, n):
    """The (G*count, n) matrix of ``k`` on an axis of length n."""
    g, length = k.w.shape
    m = numpy.zeros((g, k.count, n))
    for gi in range(g):
        for i in range(k.count):
            idx = k.offset[gi] + i * k.stride + numpy.arange(length)
            if k.edge:
                numpy.add.at(m[gi, i], numpy.clip(idx, 0, n - 1), k.w[gi])
            else:
                keep = (idx >= 0) & (idx < n)
                m[gi, i, idx[keep]] += k.w[gi, keep]
    return m.reshape(g * k.count, n)
