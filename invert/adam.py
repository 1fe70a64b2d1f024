"""Adam (Kingma & Ba, ICLR 2015) for ``solver.minimise``.

    m <- b1 m + (1 - b1) g,       v <- b2 v + (1 - b2) g^2     (per element)
    x <- x - lr_t  m / (1 - b1^t)  /  (sqrt(v / (1 - b2^t)) + eps)

b1 = 0.9, b2 = 0.999 (the paper's defaults). The step of each element is
about lr_t whatever the scale of the energy, so lr_t is a distance in x's
own units: the schedule gives it in grey levels per step (``api`` converts
with unit / sigma), so one schedule suits every network and image size.
The moments are not reset when the rate changes (the schedule only shortens
the steps). eps keeps the step finite where the gradient is exactly 0; it
is far below any gradient that moves a pixel.
"""
from minigrad.backend import get_array_module

from .solver import expand


class Adam:
    def __init__(self, schedule, beta1=0.9, beta2=0.999, eps=1e-12):
        self.rates = expand(schedule)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = self.v = None

    @property
    def iterations(self):
        return len(self.rates)

    def step(self, x, terms, grad, t):
        xp = get_array_module(grad)
        if self.m is None:
            self.m, self.v = xp.zeros_like(grad), xp.zeros_like(grad)
        self.m *= self.beta1
        self.m += (1 - self.beta1) * grad
        self.v *= self.beta2
        self.v += (1 - self.beta2) * grad * grad
        scale = self.rates[t] / (1 - self.beta1 ** (t + 1))
        denominator = xp.sqrt(self.v / (1 - self.beta2 ** (t + 1))) + self.eps
        return x - scale * self.m / denominator

    def record(self, terms):
        return terms

    def result(self, x):
        return x
