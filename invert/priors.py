"""The two natural-image priors of the paper (§2), with explicit gradients.

Both act on a batch x of shape (N, C, H, W), one image per restart, and
return one energy per image, so ``forward(x)`` has shape (N,) and
``backward(dzdy)`` takes dz/dE of shape (N,) and returns dz/dx. This is the
layer contract of ``minigrad.layer``, so ``minigrad.check_backward`` tests
them directly.

alpha-norm (paper §2)
    R_alpha(x) = sum_i |x_i - m|^alpha,   m = mean_i x_i   (over C, H, W)
    dR/dx_k    = g_k - mean_i g_i,        g_i = alpha |x_i - m|^(alpha-1) sign(x_i - m)
    (the second term is the mean's own dependence on x_k; it is zero when
    ``subtract_mean=False``, the authors' code, which applies the norm to x
    as is). alpha = 6 keeps sigma*x inside a natural range [-B, B].

V^beta total variation (paper §2; the replicated border and the gradient
floor are the authors' code's)
    d1[c,i,j] = x[c,i,j+1] - x[c,i,j],  d2[c,i,j] = x[c,i+1,j] - x[c,i,j]
    (the last column of d1 and last row of d2 are 0: the image is extended
    by replicating its last column/row, as in the authors' code)
    v = d1^2 + d2^2,   R_V(x) = sum_{c,i,j} v^(beta/2)
    dR/dd1 = beta v^(beta/2 - 1) d1 = beta w d1 (likewise d2), and
    dR/dx[c,i,j] = beta (w d1)[c,i,j-1] - beta (w d1)[c,i,j] + (same for rows),
    where the first term is absent at j = 0 (i = 0).
    For beta < 2 the weight w = v^(beta/2-1) is singular at v = 0; like the
    authors' code we use w = max(v^(beta/2), floor)^((beta-2)/beta), i.e.
    v^(beta/2) floored at ``floor`` = 1e-5 in the gradient only (the energy
    is exact). NOTE: the floor applies to our unit-norm x; the authors
    applied it to pixel-scale images, where it bites even less often.
    beta = 2 is the paper's default, beta = 1 classical TV (the "spikes" of
    Fig. 2).
"""
from minigrad.backend import get_array_module


def _per_image(a):
    return a.reshape(a.shape[0], -1).sum(axis=1)


class AlphaNorm:
    """R_alpha(x) = sum |x - mean(x)|^alpha per image (see module docstring)."""

    def __init__(self, alpha=6.0, subtract_mean=True):
        if not alpha > 0:
            raise ValueError(f"the alpha-norm exponent must be positive, got {alpha}")
        self.alpha, self.subtract_mean = float(alpha), bool(subtract_mean)
        self.name = f"alpha{self.alpha:g}"

    def _centre(self, x):
        if not self.subtract_mean:
            return x
        return x - x.mean(axis=(1, 2, 3), keepdims=True)

    def forward(self, x):
        self._d = self._centre(x)
        return _per_image(abs(self._d) ** self.alpha)

    def backward(self, dzdy):
        xp = get_array_module(self._d)
        d = self._d
        g = self.alpha * abs(d) ** (self.alpha - 1) * xp.sign(d)
        if self.subtract_mean:
            g = g - g.mean(axis=(1, 2, 3), keepdims=True)
        return dzdy.reshape(-1, 1, 1, 1) * g


class TotalVariation:
    """R_V^beta(x) = sum (dx^2 + dy^2)^(beta/2) per image (see module docstring)."""

    def __init__(self, beta=2.0, floor=1e-5):
        if not beta > 0:
            raise ValueError(f"the TV exponent beta must be positive, got {beta}")
        self.beta, self.floor = float(beta), float(floor)
        self.name = f"tv{self.beta:g}"

    @staticmethod
    def differences(x):
        """Forward differences (d1 along columns, d2 along rows), 0 at the
        replicated last column/row."""
        xp = get_array_module(x)
        d1, d2 = xp.zeros_like(x), xp.zeros_like(x)
        d1[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
        d2[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
        return d1, d2

    def forward(self, x):
        self._d1, self._d2 = self.differences(x)
        self._v = self._d1 * self._d1 + self._d2 * self._d2
        return _per_image(self._v ** (self.beta / 2))

    def backward(self, dzdy):
        xp = get_array_module(self._v)
        b = self.beta
        if b == 2:
            w = 1.0
        elif b > 2:
            w = self._v ** (b / 2 - 1)
        else:  # NOTE: the authors' floor keeps w finite where v = 0
            w = xp.maximum(self._v ** (b / 2), self.floor) ** ((b - 2) / b)
        g1 = (b * dzdy).reshape(-1, 1, 1, 1) * w * self._d1
        g2 = (b * dzdy).reshape(-1, 1, 1, 1) * w * self._d2
        dzdx = -g1 - g2
        dzdx[..., :, 1:] += g1[..., :, :-1]
        dzdx[..., 1:, :] += g2[..., :-1, :]
        return dzdx
