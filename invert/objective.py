"""The inversion objective (the paper's eq. 3) with its explicit gradient.

    E(x) = C ||M (Phi(sigma x) - Phi0)||^2 / ||M Phi0||^2
           + lambda_alpha R_alpha(x) + lambda_tv R_V^beta(x)

x (N, C, H, W) holds N restarts at roughly unit norm each; sigma x is the
centred network input (``representation``); M is an optional 0/1 mask on
the code (a window of neurons or a group of channels, Figs. 9-10), and the
normaliser is the norm of the *masked* target, as in the authors' code.

Gradient (r = Phi(sigma x) - Phi0, n0 = ||M Phi0||^2)
    dE/dx = sigma * J_Phi^T (2 C M r / n0) + lambda_alpha dR_alpha/dx
            + lambda_tv dR_V/dx
where J_Phi^T is the representation's backward pass.

Jitter (``jitter`` J > 0; Mahendran & Vedaldi, IJCV 2016): the network sees
sigma x circularly shifted by (dy, dx) drawn uniformly from [-J, J]^2 for
each restart (``draw``, once per iteration), the priors the image itself:
E(x) = C ||M (Phi(S sigma x) - Phi0)||^2 / ||M Phi0||^2 + priors(x), and
J_Phi^T is followed by S^T (``layers.shift``). Zoom (``zoom`` r > 0): before
the shift, sigma x is scaled about its centre by a factor drawn
log-uniformly from [1/(1 + r), 1 + r] per restart and iteration
(``layers.zoom``); with ``shrink`` F > 0 (alone or with r) the
interval's lower end moves to (1 - F)/(1 + r): the network mostly sees
the image smaller, so what it recognises must be drawn larger (where a
shrunk image leaves the frame, its border pixels extend). Copies
(``copies`` K > 1, with jitter, zoom or shrink): each restart is seen K
times per iteration, each copy with its own shift and zoom, and the loss
is the mean over the copies: the expectation over the transformations
(Athalye et al., "Synthesizing Robust Adversarial Examples", ICML 2018)
estimated from K samples instead of one; its
gradient is the mean of the copies' gradients. With ``still`` set (the
last iterations of the ``polish`` option, ``invert.api``) the network sees
the image as it is, once. ``energies`` (the final ones reported) are
those of the image as it is.

Centred codes (``centre_code``): the codes are compared with each one's
mean over the channels removed (at every position),
C ||M P (Phi(S sigma x) - Phi0)||^2 / ||M P Phi0||^2 with P the projection
that subtracts the channel mean, and dE/dPhi = 2 C P M P r / ||M P Phi0||^2
(P is symmetric and P P = P; M and P commute only when M is the same in
every channel). For class scores P drops what the softmax ignores (its
probabilities depend only on differences of scores) and keeps what tells
classes apart. The error ``invert.api`` reports stays the plain one.

Balancing (paper §2). If sigma x has pixels of magnitude B (the half range of
the input, B = 128 grey levels) then R_alpha(x) ~ H W (B/sigma)^alpha, and if
its gradients have magnitude a B then R_V(x) ~ H W (a B/sigma)^beta, so

    lambda_alpha ~ sigma^alpha / (H W B^alpha),
    lambda_tv    ~ sigma^beta / (H W (a B)^beta),  a = 0.01,

make each prior about 1 there (``heuristic_lambdas``). sigma and B must be
in the same units, so the ratios are unit-free. How the paper's fixed values
relate (beta = 2, B = 128 grey levels, sigma = 27098.1 grey levels as in the
authors' code for every size):

* lambda_alpha = 2.16e8 is the code's lambdaL2/2 = 4e-10 times sigma^4 (the
  code applies the norm to pixel-scale images and divides priors by
  sigma^2). The heuristic gives 1.75e9 at 227x227 and 3.44e8 at 512x512:
  the paper's value is the heuristic at about 645x645, i.e. B ~ 1.12 x 128
  at 512x512 -- the same order, as the paper says.
* lambda_tv = 5 is the code's lambdaTV/2 (the code's Fig. 4 and Table 1
  scripts use lambdaTV = 1, 10, 100). The heuristic with a = 0.01 gives
  1.7e3 at 512x512 and 8.7e3 at 227x227 (with sigma fixed): the paper's 5
  corresponds to a ~ 0.19 at 512x512. With sigma = rho sqrt(H W) (our
  "auto"), lambda_tv for beta = 2 does not depend on the image size, which is
  why one fixed value works at every native resolution. We therefore keep
  a as a parameter and use the paper's values in the presets.
"""
import numpy

from layers import Shift, Zoom
from minigrad.backend import get_array_module, to_numpy

from .priors import AlphaNorm, TotalVariation

def heuristic_lambdas(sigma, height, width, alpha=6.0, beta=2.0, B=128.0, a=0.01):
    """(lambda_alpha, lambda_tv) of the paper's balancing heuristics; sigma
    and B in the same units."""
    hw = height * width
    return (sigma / B) ** alpha / hw, (sigma / (a * B)) ** beta / hw


def loss_mask(code_shape, window=None, group=None):
    """A 0/1 mask of shape (1, C, H, W) for a code of shape (C, H, W), or None.

    window    n: the central n x n neurons (the authors' centring: the window
              starts at ceil((H - n + 1) / 2) - 1, 0-based), or an explicit
              (r0, r1, c0, c1), half-open.
    group     "first" / "second": that half (round(C/2)) of the channels, as
              the authors' vl_colsubset, or an explicit (c0, c1).
    """
    if window is None and group is None:
        return None
    c, h, w = code_shape
    mask = numpy.zeros((1, c, h, w))
    rows, cols, chans = slice(None), slice(None), slice(None)
    if window is not None:
        if numpy.ndim(window) == 0:
            n = int(window)
            if n < 1:
                raise ValueError(f"the window must hold at least one neuron, got {n}")
            ny, nx = min(n, h), min(n, w)
            r0, c0 = -(-(h - ny + 1) // 2) - 1, -(-(w - nx + 1) // 2) - 1
            rows, cols = slice(r0, r0 + ny), slice(c0, c0 + nx)
        else:
            r0, r1, c0, c1 = (int(v) for v in window)
            rows, cols = slice(r0, r1), slice(c0, c1)
    if group is not None:
        half = int(round(c * 0.5))
        chans = {"first": slice(0, half), "second": slice(c - half, c)}.get(group) \
            if isinstance(group, str) else slice(int(group[0]), int(group[1]))
        if chans is None:
            raise ValueError(f"group must be 'first', 'second' or (c0, c1), got {group!r}")
    mask[:, chans, rows, cols] = 1.0
    if not mask.any():
        raise ValueError(f"the mask (window={window}, group={group}) selects "
                         f"nothing of a code of shape {code_shape}")
    return mask


class Objective:
    """E(x) for a batch of restarts; ``evaluate`` gives the terms and dE/dx."""

    def __init__(self, rep, phi0, sigma, lambda_alpha, lambda_tv, alpha=6.0,
                 beta=2.0, mask=None, loss_weight=1.0, subtract_mean=True,
                 tv_floor=1e-5, jitter=0, zoom=0.0, copies=1, shrink=0.0,
                 centre_code=False):
        if lambda_alpha < 0 or lambda_tv < 0 or loss_weight < 0:
            raise ValueError("lambda_alpha, lambda_tv and the loss weight must be "
                             f"non-negative; got {lambda_alpha}, {lambda_tv}, {loss_weight}")
        self.rep, self.phi0, self.sigma = rep, phi0, float(sigma)
        self.mask = mask
        self.lambda_alpha, self.lambda_tv = float(lambda_alpha), float(lambda_tv)
        self.loss_weight = float(loss_weight)
        self.alpha_norm = AlphaNorm(alpha, subtract_mean)
        self.tv = TotalVariation(beta, tv_floor)
        if not (zoom >= 0 and 0 <= shrink < 1):
            raise ValueError(f"zoom must be >= 0 and shrink in [0, 1); got zoom {zoom} and "
                             f"shrink {shrink}")
        self.jitter, self.zoom_range, self.shrink = int(jitter), float(zoom), float(shrink)
        self.shift = Shift([]) if self.jitter else None
        self.zoom = Zoom([]) if self.zoom_range or self.shrink else None
        self.copies, self.still = int(copies), False
        if self.copies < 1 or (self.copies > 1 and self.shift is None and self.zoom is None):
            raise ValueError(f"copies must be 1, or more with jitter, zoom or shrink "
                             f"(identical copies would only cost time); got copies {copies} "
                             f"with jitter {jitter}, zoom {zoom} and shrink {shrink}")
        self.centre_code = bool(centre_code)
        self.phi0_sq = self._masked_sq(phi0)
        if not self.phi0_sq > 0:
            raise ValueError("the target code (after masking) is all zeros: the "
                             "normalised loss is undefined")
        # the loss's normaliser: ||M Phi0||^2, or ||M P Phi0||^2 with centre_code
        self.loss_sq = self.phi0_sq
        if self.centre_code:
            self.loss_sq = self._masked_sq(_centre(phi0))
            if not self.loss_sq > 1e-12 * self.phi0_sq:
                raise ValueError(f"centre_code: the target code of shape {tuple(phi0.shape[1:])} "
                                 "has the same value in every channel (after masking): "
                                 "its centred loss is undefined")

    def _masked_sq(self, code):
        """||M code||^2 as a float."""
        masked = code if self.mask is None else code * self.mask
        return float(to_numpy((masked * masked).sum()))

    def draw(self, rng, n):
        """New jitter shifts and zoom factors for a batch of n restarts (each
        of its ``copies``: restart by restart, the copies of one together)."""
        n = n * self.copies
        if self.zoom is not None:
            r = numpy.log1p(self.zoom_range)
            low = numpy.log1p(-self.shrink) - r
            self.zoom.scales = [float(v) for v in numpy.exp(rng.uniform(low, r, size=n))]
        if self.shift is not None:
            j = self.jitter
            self.shift.shifts = [tuple(int(v) for v in d)
                                 for d in rng.integers(-j, j + 1, size=(n, 2))]

    def _terms(self, x, jitter=True):
        z = self.sigma * x
        self._moved = jitter and not self.still and (self.shift is not None or
                                                     self.zoom is not None)
        k = self.copies if self._moved else 1
        if k > 1:
            z = get_array_module(z).repeat(z, k, axis=0)
        if self._moved:
            for layer, still in ((self.zoom, 1.0), (self.shift, (0, 0))):
                if layer is not None:
                    values = layer.scales if layer is self.zoom else layer.shifts
                    if len(values) != len(z):  # NOTE: not drawn yet: none
                        values[:] = [still] * len(z)
                    z = layer.forward(z)
        r = self.rep.forward(z) - self.phi0
        if self.centre_code:
            r = _centre(r)
        if self.mask is not None:
            r = r * self.mask
        n = x.shape[0]
        loss = (r * r).reshape(n, k, -1).sum(axis=2).mean(axis=1)
        terms = {"loss": self.loss_weight * loss / self.loss_sq,
                 "alpha": self.lambda_alpha * self.alpha_norm.forward(x),
                 "tv": self.lambda_tv * self.tv.forward(x)}
        terms["total"] = terms["loss"] + terms["alpha"] + terms["tv"]
        return terms, r

    def energies(self, x):
        """Every term for every restart, as float64 NumPy arrays of shape (N,),
        of the image as it is (no jitter shift)."""
        terms, _ = self._terms(x, jitter=False)
        return {k: to_numpy(v).astype(numpy.float64) for k, v in terms.items()}

    def evaluate(self, x):
        """(energies, dE/dx) at x."""
        xp = get_array_module(x)
        self.forward(x)
        grad = self.backward(xp.ones(x.shape[0], dtype=x.dtype))
        return {k: to_numpy(v).astype(numpy.float64) for k, v in self._terms_now.items()}, grad

    # -- the layer contract, for minigrad.check_backward ------------------
    def forward(self, x):
        self._terms_now, self._r = self._terms(x)
        return self._terms_now["total"]

    def backward(self, dzdy):
        """dz/dx for dz/dE = dzdy (one value per restart)."""
        k = len(self._r) // len(dzdy)
        xp = get_array_module(dzdy)
        per_copy = xp.repeat(dzdy, k) / k if k > 1 else dzdy
        dphi = (2 * self.loss_weight / self.loss_sq) * self._r * per_copy.reshape(-1, 1, 1, 1)
        if self.centre_code:
            dphi = _centre(dphi)
        dz = self.rep.backward(dphi.astype(self._r.dtype, copy=False))
        if self._moved:
            for layer in (self.shift, self.zoom):
                dz = dz if layer is None else layer.backward(dz)
        if k > 1:
            dz = dz.reshape(len(dzdy), k, *dz.shape[1:]).sum(axis=1)
        grad = self.sigma * dz
        return (grad + self.lambda_alpha * self.alpha_norm.backward(dzdy)
                + self.lambda_tv * self.tv.backward(dzdy))


def _centre(phi):
    """phi (N, C, ...) with its mean over the channels (axis 1) removed at every position."""
    return phi - phi.mean(axis=1, keepdims=True)
