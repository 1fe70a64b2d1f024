"""How the solver's unknown z becomes the image x: x = P z, P linear and
invertible, so the objective is E(P z) and its gradient P^T dE/dx. A good P
is a preconditioner: plain descent in z is descent in x with the metric
(P P^T)^-1, which here favours the directions natural images vary in.
Feature-visualisation work uses both bases below (Olah, Mordvintsev &
Schubert, "Feature Visualization", Distill 2017).

``pixels``   P = I: the paper's own parametrisation (bit for bit today's).
``colour``   each pixel's colour is M z: M = C^(1/2) / sqrt(l_max), C the
             covariance of the RGB colours of the 20 ImageNet validation
             photos of ``python -m invert.fetch images`` (in [0, 1] units),
             so a step in z moves the image along the colour axes natural
             images use, and chroma (singular values 0.26 and 0.19 of M)
             more slowly than brightness (1). Grey images: P = I.
``fourier``  the colour basis, then per channel x = irfft2(w . Z) with the
             orthonormal 2-D DFT, Z = z_re + i z_im on the half spectrum
             (H, W // 2 + 1, 2 reals per frequency) and w(f) = f0 / max(f, f0),
             f the spatial frequency in cycles per pixel, f0 = 1 / max(H, W):
             steps shrink like 1/f, the spectrum of natural images.
             Adjoint: dZ = m . rfft2(dx) (orthonormal), m = 2 on the columns
             irfft2 mirrors (1 .. (W-1)//2), 1 on the others; then times w.

``coarse``   (the ``coarse`` option, with pixels or colour) the image at
             1/f of its size, enlarged: x = E_h z E_w^T per channel (then
             the colour basis, if chosen), z of ceil(H/f) x ceil(W/f), E
             linear interpolation (``enlarge``). Its inverse is the least-
             squares fit z = E_h^+ x (E_w^+)^T: the part of x the coarse
             grid can hold.

Every P has ``forward`` (z -> x), ``backward`` (dx -> dz, the adjoint) and
``inverse`` (x -> z); the box and pixel bound are applied to x
(``Reparametrised.project``).
"""
import math

import numpy

from layers.zoom import linear_weights, resample
from minigrad.backend import get_array_module

# C^(1/2) / sqrt(l_max) of the foolbox ImageNet photos' RGB covariance
# (eigenvalues of C: 0.1649, 0.0114, 0.0061)
COLOUR = numpy.array([[0.4745, 0.2681, 0.2308],
                      [0.2681, 0.4690, 0.2728],
                      [0.2308, 0.2728, 0.5115]])
KINDS = ("pixels", "colour", "fourier")


class Pixels:
    def forward(self, z):
        return z

    backward = inverse = forward


class Colour:
    """x[:, c] = sum_k M[c, k] z[:, k] for 3 channels; the identity for 1."""

    def __init__(self, channels):
        self.m = COLOUR if channels == 3 else numpy.eye(channels)
        self.m_inv = numpy.linalg.inv(self.m)

    @staticmethod
    def _mix(m, a):
        xp = get_array_module(a)
        return xp.einsum("ck,nkhw->nchw", xp.asarray(m, dtype=a.dtype), a)

    def forward(self, z):
        return self._mix(self.m, z)

    def backward(self, dx):
        return self._mix(self.m.T, dx)

    def inverse(self, x):
        return self._mix(self.m_inv, x)


class Fourier:
    """The colour basis, then the scaled spectrum of each channel (module docstring)."""

    def __init__(self, channels, height, width):
        self.colour, self.size = Colour(channels), (height, width)
        fy = numpy.fft.fftfreq(height)[:, None]
        fx = numpy.fft.rfftfreq(width)[None, :]
        f0 = 1.0 / max(height, width)
        self.w = f0 / numpy.maximum(numpy.sqrt(fy ** 2 + fx ** 2), f0)
        self.m = numpy.ones(fx.shape[1])
        self.m[1:(width - 1) // 2 + 1] = 2.0

    def forward(self, z):
        xp = get_array_module(z)
        spectrum = (z[..., 0] + 1j * z[..., 1]) * xp.asarray(self.w)
        x = xp.fft.irfft2(spectrum, s=self.size, norm="ortho").astype(z.dtype)
        return self.colour.forward(x)

    def backward(self, dx):
        xp = get_array_module(dx)
        d = xp.fft.rfft2(self.colour.backward(dx), norm="ortho") * xp.asarray(self.m * self.w)
        return xp.stack([d.real, d.imag], axis=-1).astype(dx.dtype)

    def inverse(self, x):
        xp = get_array_module(x)
        d = xp.fft.rfft2(self.colour.inverse(x), norm="ortho") / xp.asarray(self.w)
        return xp.stack([d.real, d.imag], axis=-1).astype(x.dtype)


def enlarge(n, m):
    """(n, m): linear interpolation of m samples onto n >= m, the two grids'
    ends aligned at the pixels' outer edges (output pixel i at input
    position (i + 1/2) m / n - 1/2), clamped to the first and last sample."""
    return linear_weights(numpy.clip((numpy.arange(n) + 0.5) * m / n - 0.5, 0, m - 1), m)


class Coarse:
    """The image at 1/factor of its size, enlarged, then ``base`` (module
    docstring)."""

    def __init__(self, base, height, width, factor):
        self.base = base
        rows, cols = enlarge(height, math.ceil(height / factor)), \
            enlarge(width, math.ceil(width / factor))
        self.maps = dict(forward=(rows, cols), backward=(rows.T, cols.T),
                         inverse=(numpy.linalg.pinv(rows), numpy.linalg.pinv(cols)))
        self._cast = {}

    def _resample(self, which, a):
        """``resample`` by the matrices of ``which``, cast once per array
        module and dtype (every iteration calls forward and backward)."""
        xp = get_array_module(a)
        key = (which, xp.__name__, a.dtype)
        if key not in self._cast:
            self._cast[key] = tuple(xp.asarray(m, dtype=a.dtype) for m in self.maps[which])
        return resample(self._cast[key][0], a, self._cast[key][1])

    def forward(self, z):
        return self.base.forward(self._resample("forward", z))

    def backward(self, dx):
        return self._resample("backward", self.base.backward(dx))

    def inverse(self, x):
        return self._resample("inverse", self.base.inverse(x))


def check_coarse(kind, coarse):
    """A coarse image (``coarse`` true) is built on pixels or colour only."""
    if coarse and kind == "fourier":
        raise ValueError("coarse needs param pixels or colour, not fourier (the spectrum "
                         "already orders the image by scale)")


def make(kind, channels, height, width, coarse=1):
    """The parametrisation ``kind``; with ``coarse`` f > 1 (pixels or colour
    only), of the image at 1/f of its size (``Coarse``)."""
    if kind == "pixels":
        base = Pixels()
    elif kind == "colour":
        base = Colour(channels)
    elif kind == "fourier":
        check_coarse(kind, coarse != 1)
        return Fourier(channels, height, width)
    else:
        raise ValueError(f"param must be one of {', '.join(KINDS)}, got {kind!r}")
    return base if coarse == 1 else Coarse(base, height, width, coarse)


class Reparametrised:
    """The objective E(P z) of an objective E(x), for the solver to run on z
    (the layer contract too: ``forward``/``backward``, for gradcheck)."""

    def __init__(self, objective, param):
        self.objective, self.param = objective, param

    def evaluate(self, z):
        terms, grad = self.objective.evaluate(self.param.forward(z))
        return terms, self.param.backward(grad)

    def energies(self, z):
        return self.objective.energies(self.param.forward(z))

    def forward(self, z):
        return self.objective.forward(self.param.forward(z))

    def backward(self, dzdy):
        return self.param.backward(self.objective.backward(dzdy))

    def project(self, box):
        """``box`` applied to x, as a map of z (None stays None)."""
        if box is None:
            return None
        return lambda z: self.param.inverse(box(self.param.forward(z)))
