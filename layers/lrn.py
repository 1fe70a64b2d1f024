"""Local response normalisation across channels.

Shapes: x, y (N, C, H, W).

Forward (Caffe's ACROSS_CHANNELS convention, parameters n, alpha, beta, k)
    s[c] = k + (alpha / n) * sum_{c' in W(c)} x[c']^2
    y[c] = x[c] * s[c]^(-beta)
    where W(c) = {c - floor((n-1)/2), ..., c + ceil((n-1)/2)} clipped to
    [0, C) (zero padding at the channel borders).

Backward
    dz/dx[c] = dz/dy[c] s[c]^(-beta)
               - 2 beta (alpha/n) x[c] sum_{c' : c in W(c')} dz/dy[c'] x[c'] s[c']^(-beta-1)

MatConvNet's vl_nnnormalize writes the same layer as [N kappa alpha' beta]
with y = x (kappa + alpha' sum x^2)^(-beta): N = n, kappa = k,
alpha' = alpha / n. Use ``LRN.matconvnet(N, kappa, alpha, beta)`` for that
spelling. CaffeNet: n = 5, alpha = 1e-4, beta = 0.75, k = 1.

The window sum is n shifted slab additions (exact, unlike a cumulative sum
that cancels in float32).
"""
from minigrad.layer import Layer


class LRN(Layer):
    def __init__(self, n=5, alpha=1e-4, beta=0.75, k=1.0, name=None):
        super().__init__(name)
        if int(n) != n or n < 1:
            raise ValueError(f"layer '{self.name}': LRN window size must be a "
                             f"positive integer, got {n}")
        self.n, self.alpha, self.beta, self.k = int(n), float(alpha), float(beta), float(k)
        self.pre = (self.n - 1) // 2       # channels before c in the window
        self.post = self.n - 1 - self.pre  # channels after c

    @classmethod
    def matconvnet(cls, N, kappa, alpha, beta, name=None):
        """MatConvNet's [N kappa alpha beta]: alpha is per element, not / N."""
        return cls(n=N, alpha=alpha * N, beta=beta, k=kappa, name=name)

    def _window_sum(self, a, before, after):
        """out[c] = sum_{d=-before..after} a[c + d], zero outside [0, C)."""
        c = a.shape[1]
        out = a.copy()
        for d in range(1, max(before, after) + 1):
            if d <= after and d < c:
                out[:, :c - d] += a[:, d:]
            if d <= before and d < c:
                out[:, d:] += a[:, :c - d]
        return out

    def forward(self, x):
        self.check_input(x)
        s = self.k + (self.alpha / self.n) * self._window_sum(x * x, self.pre, self.post)
        self._x, self._s = x, s
        return x * s ** -self.beta

    def backward(self, dzdy):
        x, s = self._x, self._s
        t = dzdy * x * s ** (-self.beta - 1)
        # the transposed window: c receives from every c' whose window holds c
        back = self._window_sum(t, self.post, self.pre)
        return dzdy * s ** -self.beta - (2 * self.beta * self.alpha / self.n) * x * back
