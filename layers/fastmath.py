"""VLFeat's fast float32 approximations and the derivatives of what they compute.

These are plain array functions (NumPy or CuPy), not layers; DSIFT's layers
call them (``layers.gradient.GradientNorm(fast=True)``, ``layers.dsift``).
In float32 they reproduce VLFeat 0.9.21 bit for bit (``vl/mathop.h``,
SSE2, no FMA); in float64 the same formulas run in float64.

fast_sqrt (``vl_fast_sqrt_f``)
    sqrt~(v) = 0                 if v < 1e-8  (v compared in double)
             = v * r2(v)         otherwise, where
    r0 = float(0x5f3759df - (bits(v) >> 1))      (the classic bit trick)
    r_{n+1} = r_n * (1.5 - ((0.5 v) r_n) r_n)   two Newton steps, n = 0, 1.
    Relative error <= 4.7e-6. In float64 the bit trick is the float64 one
    (int64 magic 0x5fe6eb50c7b537a9), so the computed function is piecewise
    smooth at float64 resolution and finite differences can check it.
    Derivative of what is computed: within one binade the bit trick is
    linear in v, d r0/dv = -0.5 * 2^(e(r0) - e(v)) (e = binary exponent), and
        d r_{n+1}/dv = (1.5 - 1.5 v r_n^2) d r_n/dv - 0.5 r_n^3,
        d sqrt~/dv  = r2 + v d r2/dv           (0 below the cut).

fast_atan2 (``vl_fast_atan2_f(y, x)``)
    a = |y| + 2^-23;  x >= 0: r = (x - a)/(x + a), A = pi/4
                      x <  0: r = (x + a)/(a - x), A = 3 pi/4
    A += (0.1821 r^2 - 0.9675) r;  A = -A if y < 0.   All float32.
    Derivatives (both branches, den = x + a or a - x):
        dA/dx = s(y) (3 c3 r^2 - c1) * 2a/den^2
        dA/dy =      (3 c3 r^2 - c1) * (-2x)/den^2,   s(y) = -1 if y < 0 else 1.
"""
import math

import numpy

from minigrad.backend import get_array_module

EPS_F = numpy.float32(2.0 ** -23)  # VL_EPSILON_F
_C3, _C1 = numpy.float32(0.1821), numpy.float32(0.9675)
_MAGIC32, _MAGIC64 = 0x5f3759df, 0x5fe6eb50c7b537a9
# NOTE: VLFeat tests ``v < 1e-8`` in double; float32(1e-8) is just below
# 1e-8, so for float32 v the test is ``v <= float32(1e-8)``.
_CUT32 = numpy.float32(1e-8)
assert float(_CUT32) < 1e-8 < float(numpy.nextafter(_CUT32, numpy.float32(1)))


def _below_cut(v):
    return v <= _CUT32 if v.dtype == numpy.float32 else v < 1e-8


def _rsqrt0(v):
    """The bit-trick initial guess of 1/sqrt(v) (v > 0), in v's dtype."""
    xp = get_array_module(v)
    if v.dtype == numpy.float32:
        bits = xp.ascontiguousarray(v).view(xp.int32)
        return (xp.int32(_MAGIC32) - (bits >> 1)).view(xp.float32)
    bits = xp.ascontiguousarray(v, dtype=xp.float64).view(xp.int64)
    return (xp.int64(_MAGIC64) - (bits >> 1)).view(xp.float64).astype(v.dtype)


def fast_sqrt(v, with_derivative=False):
    """VLFeat's ``vl_fast_sqrt_f`` of ``v >= 0`` (any shape), in v's dtype;
    with ``with_derivative`` also d sqrt~/dv."""
    xp = get_array_module(v)
    dt = v.dtype.type
    cut = _below_cut(v)
    v = xp.where(cut, dt(1), v)  # NOTE: keeps the bit trick away from 0
    r = _rsqrt0(v)
    half, three_halves = dt(0.5), dt(1.5)
    h = half * v
    if with_derivative:
        _, er = xp.frexp(r)
        _, ev = xp.frexp(v)
        dr = dt(-0.5) * xp.ldexp(xp.ones_like(v), (er - ev).astype(xp.int32))
    for _ in range(2):
        if with_derivative:
            dr = (three_halves - 3 * h * r * r) * dr - half * r * r * r
        r = r * (three_halves - h * r * r)
    y = xp.where(cut, dt(0), v * r)
    if not with_derivative:
        return y
    return y, xp.where(cut, dt(0), r + v * dr)


def fast_atan2(y, x, with_derivative=False):
    """VLFeat's ``vl_fast_atan2_f(y, x)``; with ``with_derivative`` also
    (dA/dy, dA/dx)."""
    xp = get_array_module(y, x)
    dt = y.dtype.type
    a = xp.abs(y) + dt(EPS_F)
    pos = x >= 0
    den = xp.where(pos, x + a, a - x)
    r = xp.where(pos, x - a, x + a) / den
    base = xp.where(pos, dt(numpy.float32(math.pi / 4)), dt(numpy.float32(3 * math.pi / 4)))
    c3, c1 = dt(_C3), dt(_C1)
    ang = base + (c3 * r * r - c1) * r
    neg = y < 0
    ang = xp.where(neg, -ang, ang)
    if not with_derivative:
        return ang
    dadr = 3 * c3 * r * r - c1
    dr_dx = 2 * a / (den * den)
    dr_da = -2 * x / (den * den)
    return ang, dadr * dr_da, xp.where(neg, -1, 1).astype(dt) * dadr * dr_dx


TWO_PI_F = numpy.float32(2 * math.pi)


def mod_2pi(a):
    """VLFeat's ``vl_mod_2pi_f`` for angles in [-2pi, 4pi) (fast_atan2's range
    is [-pi, pi]): one subtraction or addition of float32(2 pi)."""
    xp = get_array_module(a)
    two_pi = a.dtype.type(TWO_PI_F)
    a = xp.where(a > two_pi, a - two_pi, a)
    return xp.where(a < 0, a + two_pi, a)
