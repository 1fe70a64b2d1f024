"""Scaling each image of a batch about its centre, by bilinear interpolation:
with jitter, the "transformation robustness" of feature visualisation (Olah,
Mordvintsev & Schubert, Distill 2017): the reconstruction must keep its code
when slightly enlarged or shrunk, which favours what any network would see.

Shapes: x, y (N, C, H, W); ``scales`` holds one factor s per image.

Forward, separable: y[n, c] = A_n x[n, c] B_n^T, where row i of A_n (H x H)
interpolates x's rows at the position p = (i - cy)/s + cy, cy = (H - 1)/2:
    A[i, floor(p)] = 1 - frac(p),  A[i, floor(p) + 1] = frac(p)
(positions outside [0, H - 1] are clamped to the edge: the picture's border
extends); B_n likewise for columns.
Backward: dz/dx[n, c] = A_n^T dz/dy[n, c] B_n (the adjoint of a product).

The scales are data, set before each forward (``invert.objective`` draws
them); the same scales serve the backward that follows.
"""
import numpy

from minigrad.backend import get_array_module
from minigrad.layer import Layer


def linear_weights(p, m):
    """(len(p), m): row i interpolates m samples linearly at position p[i]
    (0 <= p[i] <= m - 1): 1 - frac(p) on floor(p), frac(p) on the next."""
    lo = numpy.minimum(numpy.floor(p).astype(int), max(m - 2, 0))
    frac = p - lo
    a = numpy.zeros((len(p), m))
    rows = numpy.arange(len(p))
    a[rows, lo] = 1 - frac
    if m > 1:
        a[rows, lo + 1] += frac
    return a


def interpolation(n, s):
    """The (n, n) matrix resampling a length-n axis by factor s about its centre."""
    c = (n - 1) / 2
    return linear_weights(numpy.clip((numpy.arange(n) - c) / s + c, 0, n - 1), n)


def resample(rows, a, cols):
    """rows a cols^T over a's last two axes (any leading ones): a separable
    linear map of images, in a's array module."""
    xp = get_array_module(a)
    return xp.matmul(xp.matmul(rows, a), cols.T)


class Zoom(Layer):
    def __init__(self, scales=(1.0,), name=None):
        super().__init__(name)
        self.scales = [float(s) for s in scales]

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if len(self.scales) != in_shape[0]:
            self.fail(f"has {len(self.scales)} scale(s) for a batch of {in_shape[0]} "
                      f"image(s), input {tuple(in_shape)}")
        if min(self.scales) <= 0:
            self.fail(f"scales must be positive, got {self.scales}")
        return tuple(in_shape)

    def _matrices(self, shape, like):
        xp = get_array_module(like)
        h, w = shape[2:]
        return [(xp.asarray(interpolation(h, s), dtype=like.dtype),
                 xp.asarray(interpolation(w, s), dtype=like.dtype)) for s in self.scales]

    def forward(self, x):
        self.check_input(x)
        if all(s == 1 for s in self.scales):
            self._ab = None
            return x
        xp = get_array_module(x)
        self._ab = self._matrices(x.shape, x)
        return xp.stack([resample(a, x[n], b) for n, (a, b) in enumerate(self._ab)])

    def backward(self, dzdy):
        if self._ab is None:
            return dzdy
        xp = get_array_module(dzdy)
        return xp.stack([resample(a.T, dzdy[n], b.T) for n, (a, b) in enumerate(self._ab)])
