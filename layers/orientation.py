"""Orientation binning for HOG: directional filters and orientation gating.

With K orientations (9 for HOG) there are D = 2K *directed* bins; bin d is
centred on the direction d*pi/K, measured from +x towards +y (down), so
d = 0 is "brighter to the right", d = K/2 (80 deg for K = 9) roughly "brighter
below", d = K "brighter to the left". Bins d and d + K are opposite.

Directional(K): g (N, 2, H, W) -> s (N, 2K, H, W)
    s_d = gx c_d + gy s_d  with  (c_d, s_d) = float32(cos, sin)(d pi/K) for
    d < K and u_{d+K} = -u_d exactly (VLFeat's axis vectors and sign flip;
    float64 inputs use float64 cos/sin). Computed elementwise, so float32
    rounding is VLFeat's (``hog.c``).
    Backward: dz/dgx = sum_d c_d dz/ds_d,  dz/dgy = sum_d s_d dz/ds_d.

OrientationGate(K, mode): (s, m, g) -> h (N, 2K, H, W), with s from
Directional, m = |g| from GradientNorm and g the gradient map. The bin
*choice* comes from s and is piecewise constant (no gradient to s):
k0 = argmax_{k<K} |s_k| (strict '>', ties to the smallest k: a vertical
gradient goes to bin 4 or 13, never 5 or 14), d0 = k0 if s_k0 >= 0 else
k0 + K; k1, d1 the runner-up axis likewise (bilinear only).
    hard:     h_d = m [d = d0].           dz/dm = dz/dh_d0; dz/ds = dz/dg = 0.
    bilinear: c = min(1, |u_k0.g| / max(|g|, 1e-10)), theta = arccos c (float32,
              from g as VLFeat does), w1 = theta/(pi/K), w0 = 1 - w1;
              h_d0 = m w0, h_d1 = m w1.
              dz/dm = w0 dz/dh_d0 + w1 dz/dh_d1;
              dz/dg = m (dz/dh_d1 - dz/dh_d0)/(pi/K) dtheta/dg with the
              well-conditioned dtheta/dg = sgn(u x g) (-gy, gx)/|g|^2
              (u = +-u_k0 signed towards g; u x g = ux gy - uy gx). This is
              the derivative of the exact angle; VLFeat's float32 u_k are unit
              only to 1e-7, so in float32 it differs from the derivative of
              the rounded forward by that much, relatively (1/theta more
              near theta = 0, where acos is clamped).
    relu:     h_d = max(0, s_d - a m)/(1 - a), a = cos(pi/K) (the paper's
              approximation, scaled to match bilinear's peak).
              dz/ds_d = [h_d > 0] dz/dh_d/(1-a); dz/dm = -a/(1-a) sum_d [h_d>0] dz/dh_d.
``surrogate`` (hard only): the forward stays hard, but backward also gives
    the bilinear gate's angular term, dz/dg = m (dz/dh_d1 - dz/dh_d0)/(pi/K)
    dtheta/dg, with dz/dm exact (dz/dh_d0). This is not the derivative of
    the hard forward (which is 0 for the orientation): it is a
    straight-through estimate (Bengio, Leonard & Courville 2013, "Estimating
    or propagating gradients through stochastic neurons") that tells a
    solver which way to turn each gradient so that its magnitude lands in
    the bin the target wants, where the true derivative says nothing. An
    inversion option (``invert.api``, ``surrogate``) switches it on.
Sources: VLFeat 0.9.21 ``vl_hog_put_image``; paper section 3.
"""
import math

import numpy

from minigrad import backend
from minigrad.layer import Layer

GATE_MODES = ("hard", "bilinear", "relu")


def axis_vectors(num_orientations, dtype=numpy.float32):
    """(c, s), each (2K,): u_d for the 2K directed bins. float32 gives
    VLFeat's rounded constants; float64 the float64 ones (unit vectors to
    1e-16, so that the bilinear angle is exactly what backward differentiates)."""
    k = numpy.arange(num_orientations)
    c = numpy.cos(k * math.pi / num_orientations).astype(dtype)
    s = numpy.sin(k * math.pi / num_orientations).astype(dtype)
    return numpy.concatenate([c, -c]), numpy.concatenate([s, -s])


def scatter_planes(shape, dtype, xp, pairs):
    """Zeros of (N, C, H, W) with y[n, d[n,0,i,j], i, j] = v[n,0,i,j] for each
    (d, v) in ``pairs`` (distinct d per pixel). NOTE: a flat-index assignment,
    ten times faster than summing one-hot products over C planes."""
    n, c, h, w = shape
    y = xp.zeros(shape, dtype=dtype)
    pixel = xp.arange(h * w).reshape(1, 1, h, w) + xp.arange(n).reshape(n, 1, 1, 1) * (c * h * w)
    flat = y.reshape(-1)
    for d, v in pairs:
        flat[(pixel + d * (h * w)).ravel()] = v.ravel()
    return y


class _Oriented(Layer):
    def __init__(self, num_orientations=9, name=None):
        super().__init__(name)
        self.k = int(num_orientations)
        if self.k < 2:
            raise ValueError(f"layer '{self.name}': need at least 2 orientations, "
                             f"got {num_orientations}")

    def _vectors(self, like):
        """u_d as (1, 2K, 1, 1) arrays of like's dtype and device."""
        xp = backend.get_array_module(like)
        dt = numpy.float64 if like.dtype == numpy.float64 else numpy.float32
        return tuple(xp.asarray(a, dtype=like.dtype).reshape(1, -1, 1, 1)
                     for a in axis_vectors(self.k, dt))


class Directional(_Oriented):
    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if in_shape[1] != 2:
            self.fail(f"expects a gradient map (N, 2, H, W), got {tuple(in_shape)}")
        return (in_shape[0], 2 * self.k, *in_shape[2:])

    def forward(self, g):
        self.check_input(g)
        c, s = self._vectors(g)
        return g[:, :1] * c + g[:, 1:] * s

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        c, s = self._vectors(dzdy)
        u = xp.concatenate([c, s], axis=1).reshape(2, -1)
        return xp.einsum("nkhw,ik->nihw", dzdy, u)


class OrientationGate(_Oriented):
    n_inputs = 3

    def __init__(self, num_orientations=9, mode="hard", name=None, surrogate=False):
        super().__init__(num_orientations, name)
        if mode not in GATE_MODES:
            raise ValueError(f"layer '{self.name}': unknown gating mode {mode!r}; "
                             f"expected one of {GATE_MODES}")
        self.mode, self.surrogate = mode, bool(surrogate)

    def out_shape(self, in_shapes):
        s, m, g = (tuple(a) for a in in_shapes)
        for a in in_shapes:
            self.check_rank(a)
        n, _, h, w = s
        if s != (n, 2 * self.k, h, w) or m != (n, 1, h, w) or g != (n, 2, h, w):
            self.fail(f"expects (s, m, g) of shapes (N, {2 * self.k}, H, W), "
                      f"(N, 1, H, W), (N, 2, H, W); got {s}, {m}, {g}")
        return s

    def _best(self, proj, at):
        """Best axis k0 by |s_k| (strict '>' scanning k upwards, so ties go to
        the smallest k) and its directed bin d0; then the runner-up, which is
        one of the two neighbouring axes (ties again to the smaller k).
        ``proj(i)`` gives axis i's signed projections s_i (N, 1, H, W),
        ``at(kk)`` those of the axes kk (N, 1, H, W) pixel by pixel."""
        s0 = proj(0)
        xp = backend.get_array_module(s0)
        k = self.k
        best, k0 = xp.abs(s0), xp.zeros(s0.shape, dtype=xp.int32)
        for i in range(1, k):
            # NOTE: a loop over axes beats argmax(axis=1), and integer
            # arithmetic beats where() (slow on NumPy with random masks):
            # i grows, so "k0 = i if better" is max(k0, i * better).
            score = xp.abs(proj(i))
            k0 = xp.maximum(k0, (score > best) * xp.int32(i))
            best = xp.maximum(best, score)
        d0 = k0 + (at(k0) < 0) * xp.int32(k)
        if self.mode == "hard" and not self.surrogate:
            return d0, None
        lo, hi = (k0 - 1) % k, (k0 + 1) % k
        a_lo, a_hi = xp.abs(at(lo)), xp.abs(at(hi))
        take_hi = (a_hi > a_lo) | ((a_hi == a_lo) & (hi < lo))
        k1 = lo + take_hi * (hi - lo)
        return d0, k1 + (at(k1) < 0) * xp.int32(k)

    def forward(self, s, m, g):
        self.check_input((s, m, g))
        xp = backend.get_array_module(s)
        self._m, self._g = m, g
        if self.mode == "relu":
            a = math.cos(math.pi / self.k)
            t = s - s.dtype.type(a) * m
            self._on = t > 0
            return t * self._on * s.dtype.type(1 / (1 - a))
        self._d0, self._d1 = self._best(lambda i: s[:, i:i + 1],
                                        lambda kk: xp.take_along_axis(s, kk, 1))
        self._soft = self.mode == "bilinear" or self.surrogate  # NOTE: the angle is needed
        if self._soft:
            self._bilinear_weights(g)
        if self.mode == "hard":
            return scatter_planes(s.shape, s.dtype, xp, [(self._d0, m)])
        return scatter_planes(s.shape, s.dtype, xp, [(self._d0, m * self._w0),
                                                     (self._d1, m * self._w1)])

    def _bilinear_weights(self, g):
        """w0, w1 of the two nearest bins from the angle theta of g to u_d0."""
        xp = backend.get_array_module(g)
        dt = g.dtype.type
        c, sn = self._vectors(g)
        d0 = self._d0
        self._ud0 = (c.reshape(-1)[d0], sn.reshape(-1)[d0])  # u_d0 per pixel
        gx, gy = g[:, :1], g[:, 1:]
        # NOTE: |u.g| and |g| recomputed from g with VLFeat's float32 rounding,
        # so theta is a function of g (which backward differentiates).
        proj = xp.abs(gx * self._ud0[0] + gy * self._ud0[1])
        norm = xp.sqrt(gx * gx + gy * gy)
        theta = xp.arccos(xp.minimum(dt(1), proj / xp.maximum(norm, dt(1e-10))))
        w0 = (1 - theta.astype(numpy.float64) / (math.pi / self.k)).astype(g.dtype)
        self._w0, self._w1 = w0, dt(1) - w0

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        if self.mode == "relu":
            a = math.cos(math.pi / self.k)
            ds = dzdy * self._on * dzdy.dtype.type(1 / (1 - a))
            dm = -a * ds.sum(axis=1, keepdims=True)
            return ds, dm.astype(dzdy.dtype), None
        # NOTE: s and (hard, not surrogate) g only pick the bins: no gradient (None)
        d0 = xp.take_along_axis(dzdy, self._d0, axis=1)
        if self.mode == "hard" and not self._soft:
            return None, d0, None
        d1 = xp.take_along_axis(dzdy, self._d1, axis=1)
        dm = d0 if self.mode == "hard" else d0 * self._w0 + d1 * self._w1
        return None, dm, self._angular(d0, d1)

    def _angular(self, d0, d1):
        """dz/dg of the bilinear angle (module docstring) from dz/dh at the
        bins d0 and d1, each (N, 1, H, W)."""
        xp = backend.get_array_module(d0)
        gx, gy = self._g[:, :1], self._g[:, 1:]
        n2 = gx * gx + gy * gy
        cross = self._ud0[0] * gy - self._ud0[1] * gx
        side = xp.sign(cross) * xp.sign(self._ud0[0] * gx + self._ud0[1] * gy)
        coef = xp.where(n2 > 0, (d1 - d0) * self._m * side * (self.k / math.pi)
                        / xp.where(n2 > 0, n2, 1), 0).astype(d0.dtype)
        return xp.concatenate([-gy * coef, gx * coef], axis=1)
