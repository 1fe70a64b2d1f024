"""A step that cannot blow up, and the valid-pixel box: what makes deep
inversion converge in our units (the deep-network default).

Why the paper's fixed step diverges on our networks
---------------------------------------------------
In our units (x at unit norm, ``representation``) the authors' update
(deep-goggle ``invert_nn.m``: ``x_momentum = m x_momentum - lr*dr -
lr*sigma^2/||Phi0||^2 * dzdx`` on pixel-scale x) is exactly momentum descent
on E(x) with eta = lr = 0.004. Heavy-ball momentum on a quadratic of
curvature L is stable iff eta L < 2 (1 + m) = 3.8, and its first step from
rest multiplies that mode by (1 - eta L). Per term:

* V^2 (beta = 2) is quadratic with curvature at most 2 * 8 * lambda_tv (the
  2-D difference Laplacian's top eigenvalue is 8): at the paper's lambda_tv =
  50, eta L = 0.004 * 800 = 3.2 -- inside the bound, barely: the noise of
  the initial image is first amplified |1 - 3.2| = 2.2 times and then decays
  by only sqrt(m) = 0.95 per iteration.
* R_alpha = sum (x - m)^6 has curvature 30 lambda_alpha (x - m)^4, unbounded.
  With lambda_alpha = sigma^6 / (H W B^6) (the heuristic) a pixel p = sigma x
  is stable only while p^4 < 3.8 B^6 / (90 eta rho^2) (sigma^2 = 3 H W rho^2),
  i.e. |p| < 315 grey levels = 2.5 B (4.2 B with the paper's 8x smaller
  lambda_alpha = 2.16e8). A pixel pushed past it overshoots to a larger
  value, and so on: energy 3e19 after three iterations.
* The loss' curvature 2 sigma^2 ||J||^2 / ||Phi0||^2 depends on the network
  and the layer; on SqueezeNet's logits its first steps alone push pixels
  past that threshold (measured: lambda_tv = 0 diverges too, lambda_alpha =
  0 does not).

So no single eta suits every network and layer. The authors' own later
version (Mahendran & Vedaldi, IJCV 2016, ``nnpreimage.m``) bounds each
pixel's step instead, and keeps the image in a box; both are here.

AdaptiveStep (IJCV 2016's AdaGrad-like denominator)
    G <- m G + g^2   (per element, m = 0.9, never reset)
    step = eta_t g / (1 + eta_0 sqrt(G) / delta)
replaces eta_t g in mu <- m mu - step. While gradients are small it is the
paper's step; once sqrt(G) dominates, |step| <= delta eta_t / eta_0 per
element whatever the scale of E, so no term can throw a pixel far: delta
(``adaptive``, in grey levels, converted to x's units as delta unit / sigma)
is IJCV's 1 grey level (their lr is so large that 1/lr never matters; ours,
eta_0 the schedule's largest rate, keeps the paper's update for tiny
gradients). The schedule's tenfold drops scale the cap as they scale eta.

Box (``box=True``)
    x <- clip(x, lo, hi),  lo/hi = the centred input of an all-black /
    all-white image divided by sigma
keeps sigma x a valid picture (IJCV bounds each pixel's colour norm by
160 instead; the exact range is the tighter, unit-free choice). With it
the alpha-norm can no longer run away either.

PixelBound (``bound=B``, grey levels; IJCV 2016's hard bound on the norm of
each pixel's colour)
    x_ij <- x_ij min(1, b / ||x_ij||),  b = B unit / sigma,
x_ij the C values of pixel (i, j) of the centred image (a grey pixel's
absolute value). After the box when both are on.
"""
import numpy

from minigrad import backend
from minigrad.backend import get_array_module


class AdaptiveStep:
    """``step(grad, eta)`` for ``solver.momentum_descent`` (module docstring)."""

    def __init__(self, delta, eta0, decay=0.9):
        if not delta > 0 or not eta0 > 0:
            raise ValueError(f"the adaptive step needs delta > 0 and eta0 > 0, "
                             f"got {delta}, {eta0}")
        self.delta, self.eta0, self.decay = float(delta), float(eta0), float(decay)
        self.g2 = None  # G, the decaying sum of squared gradients

    def __call__(self, grad, eta):
        xp = get_array_module(grad)
        if self.g2 is None:
            self.g2 = xp.zeros_like(grad)
        square = grad * grad
        self.g2 *= self.decay  # NOTE: in place: G is image-sized, updated every iteration
        self.g2 += square
        denominator = xp.sqrt(self.g2, out=square)
        denominator *= self.eta0 / self.delta
        denominator += 1
        step = eta * grad
        step /= denominator
        return step


class Box:
    """``project(x)``: clip x to [lo, hi] elementwise (module docstring)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __call__(self, x):
        return get_array_module(x).clip(x, self.lo, self.hi)


class PixelBound:
    """``project(x)``: each pixel's colour vector shrunk to norm <= b."""

    def __init__(self, b):
        if not b > 0:
            raise ValueError(f"the pixel bound must be positive, got {b}")
        self.b = float(b)

    def __call__(self, x):
        xp = get_array_module(x)
        norm = xp.sqrt((x * x).sum(axis=1, keepdims=True))
        return x * xp.minimum(1, self.b / xp.maximum(norm, 1e-30)).astype(x.dtype)


def pixel_box(rep, height, width, sigma, dtype=None):
    """The Box of valid images (0..1 in every channel) in x's units."""
    shape = (height, width, 3) if rep.channels == 3 else (height, width)
    lo, hi = (rep.to_centred(numpy.full(shape, v)) / sigma for v in (0.0, 1.0))
    return Box(backend.asarray(numpy.minimum(lo, hi), dtype),
               backend.asarray(numpy.maximum(lo, hi), dtype))


def solver_hooks(rep, settings, dtype=None):
    """(step, project) for the solver from resolved settings: ``adaptive``
    (delta in grey levels, or None; momentum's step), ``box`` (bool) and
    ``bound`` (B in grey levels, or None)."""
    step, projections = None, []
    if settings.get("adaptive"):
        delta = float(settings["adaptive"]) * rep.unit / settings["sigma"]
        step = AdaptiveStep(delta, max(eta for eta, _ in settings["schedule"]))
    if settings.get("box"):
        projections.append(pixel_box(rep, settings["height"], settings["width"],
                                     settings["sigma"], dtype))
    if settings.get("bound"):
        projections.append(PixelBound(settings["bound"] * rep.unit / settings["sigma"]))
    if len(projections) < 2:
        return step, (projections or [None])[0]
    return step, lambda x: projections[1](projections[0](x))
