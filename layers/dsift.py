"""Dense SIFT's own layers: orientation binning with VLFeat's fast atan2, and
descriptor L2 normalisation (VLFeat's normalise-clamp-renormalise is
``L2Normalize -> Clamp(0.2) -> L2Normalize``).

SiftOrientation(8): (g (N, 2, H, W), m (N, 1, H, W)) -> planes (N, 8, H, W)
    VLFeat 0.9.21 ``_vl_dsift_update_buffers`` on MATLAB's transposed image:
    phi = fast_atan2(gx, gy) (an angle from +y towards +x), wrapped into
    [0, 2 pi] with float32(2 pi); n = float32(phi * 8/(2 pi)), b = floor(n),
    r = n - b. Plane t is the direction t*45 deg from +x towards +y
    (t = 0 brighter to the right, t = 2 brighter below):
        planes[(2 - b) mod 8] = (1 - r) m,   planes[(1 - b) mod 8] = r m.
    All float32 as VLFeat (``layers.fastmath``). The bins b are piecewise
    constant; backward differentiates the rest:
        dz/dm   = (1 - r) dz/dp_t0 + r dz/dp_t1
        dz/dphi = m (8/(2 pi)) (dz/dp_t1 - dz/dp_t0)
        dz/dgx  = dz/dphi dA/dy',  dz/dgy = dz/dphi dA/dx'   (A(y', x')).

L2Normalize(fast, eps_out, eps_in): v (N, C, ny, nx) -> y, over channels:
    n = fast_sqrt(sum_c v_c^2 + eps_in) (or exact sqrt), y = v / (n + eps_out).
    VLFeat ``_vl_dsift_normalize_histogram``: fast, eps_out = 2^-23, eps_in = 0.
    The authors' DSIFT-like net (MatConvNet ``normalize`` [256 1e-6 1 .5]):
    exact, eps_in = 1e-6, eps_out = 0.
    Backward, with q = sum_c v_c^2 + eps_in and d = n + eps_out:
        dz/dv = dz/dy / d - v * (sum_c dz/dy_c v_c) * 2 n'(q) / d^2.
"""
import math

from minigrad import backend
from minigrad.layer import Layer

from .fastmath import EPS_F, fast_atan2, fast_sqrt, mod_2pi
from .orientation import scatter_planes


class SiftOrientation(Layer):
    n_inputs = 2
    bins = 8

    def out_shape(self, in_shapes):
        g, m = (tuple(a) for a in in_shapes)
        self.check_rank(g)
        self.check_rank(m)
        if g[1] != 2 or m != (g[0], 1, *g[2:]):
            self.fail(f"expects (g, m) of shapes (N, 2, H, W), (N, 1, H, W); got {g}, {m}")
        return (g[0], self.bins, *g[2:])

    def forward(self, g, m):
        self.check_input((g, m))
        xp = backend.get_array_module(g)
        dt = g.dtype.type
        gx, gy = g[:, :1], g[:, 1:]
        phi, self._da_dy, self._da_dx = fast_atan2(gx, gy, with_derivative=True)
        # NOTE: the scale 8/(2 pi) is a double in VLFeat; the product is
        # rounded once to the working precision.
        n = (mod_2pi(phi).astype(xp.float64) * (self.bins / (2 * math.pi))).astype(g.dtype)
        # NOTE: n >= 0, so truncation is the floor; & 7 is mod 8 (two's complement).
        b = n.astype(xp.int32)
        r = n - b.astype(n.dtype)
        self._t0, self._t1 = (2 - b) & (self.bins - 1), (1 - b) & (self.bins - 1)
        self._r, self._m = r, m
        return scatter_planes((g.shape[0], self.bins) + g.shape[2:], g.dtype, xp,
                              [(self._t0, (dt(1) - r) * m), (self._t1, r * m)])

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        d0 = xp.take_along_axis(dzdy, self._t0, axis=1)
        d1 = xp.take_along_axis(dzdy, self._t1, axis=1)
        r = self._r
        dm = (1 - r) * d0 + r * d1
        dphi = self._m * (d1 - d0) * dzdy.dtype.type(self.bins / (2 * math.pi))
        return xp.concatenate([dphi * self._da_dy, dphi * self._da_dx], axis=1), dm


class L2Normalize(Layer):
    def __init__(self, fast=True, eps_out=float(EPS_F), eps_in=0.0, name=None):
        super().__init__(name)
        self.fast, self.eps_out, self.eps_in = bool(fast), float(eps_out), float(eps_in)

    def forward(self, v):
        self.check_input(v)
        xp = backend.get_array_module(v)
        dt = v.dtype.type
        q = _channel_dot(v, v) + dt(self.eps_in)
        if self.fast:
            n, dn = fast_sqrt(q, with_derivative=True)
        else:
            n = xp.sqrt(q)
            dn = xp.where(n > 0, dt(0.5) / xp.where(n > 0, n, 1), 0).astype(v.dtype)
        d = n + dt(self.eps_out)
        self._v, self._d, self._dn = v, d, dn
        return v / d

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        v, d = self._v, self._d
        coef = _channel_dot(dzdy, v) * 2 * self._dn / (d * d)
        dzdv = dzdy / d
        dzdv -= xp.multiply(v, coef)
        return dzdv


def _channel_dot(a, b):
    """sum_c a_c b_c as (N, 1, H, W), accumulated over c in order (as VLFeat
    sums a descriptor), without an (N, C, H, W) temporary."""
    xp = backend.get_array_module(a)
    return xp.einsum("nchw,nchw->nhw", a, b)[:, None]
