"""L-BFGS (Nocedal 1980; Nocedal & Wright, Numerical Optimization, §7.2)
for ``solver.minimise``, one evaluation of the objective per iteration.

Direction: d = -H g, H the inverse-Hessian estimate of the last ``memory``
pairs s_i = x_{i+1} - x_i, y_i = g_{i+1} - g_i, applied by the two-loop
recursion (``two_loop``) from H0 = gamma I, gamma = s.y / y.y of the newest
pair (Nocedal & Wright, eq. 7.20).

Line search, written for energies that are not smooth everywhere (HOG's
hard orientation bins make Phi jump; V^beta with beta < 2 has a kink; the
box is a projection): the trial point is x_acc + a d (projected, when the
box is on); it is accepted when the energy dropped enough,

    E(trial) <= E(x_acc) + c1 g_acc . (trial - x_acc)      (Armijo, c1 = 1e-4)

and otherwise a is halved and the next evaluation tries again. So every
iteration costs exactly one evaluation, as with momentum or Adam, and the
iteration budget counts evaluations. A trial whose energy or gradient is
not finite is rejected like any other. A pair enters the memory only when
s.y > 1e-10 |s| |y| (curvature along the step; otherwise H would stop being
positive definite); when the step shrinks to nothing or d is not a descent
direction, the memory is cleared and the search restarts along -g. The
first step, and each restart, has length ``first_step`` (x has unit norm,
so 0.05 moves the image by 5 % of its norm). Each restart of the batch has
its own memory, step and acceptance (x is (N, C, H, W)).

``result`` returns the last accepted x; the history records the energy of
every evaluated point (of the accepted point where a trial was not finite).
"""
import numpy

from minigrad.backend import get_array_module


def two_loop(g, pairs, gamma):
    """H g for the L-BFGS inverse Hessian of ``pairs`` [(s, y), ...], oldest
    first, from H0 = gamma I (Nocedal & Wright, Algorithm 7.4)."""
    q, alphas = g.copy(), []
    for s, y in reversed(pairs):
        rho = 1.0 / float((y * s).sum())
        a = rho * float((s * q).sum())
        q -= a * y
        alphas.append((rho, a))
    r = gamma * q
    for (s, y), (rho, a) in zip(pairs, reversed(alphas)):
        b = rho * float((y * r).sum())
        r += (a - b) * s
    return r


class LBFGS:
    robust = True  # rejects non-finite trial points itself

    def __init__(self, iterations, memory=10, first_step=0.05, c1=1e-4, shrink=0.5):
        if int(iterations) < 1 or int(memory) < 1:
            raise ValueError(f"L-BFGS needs iterations >= 1 and memory >= 1, got "
                             f"{iterations}, {memory}")
        self.iterations, self.memory = int(iterations), int(memory)
        self.first_step, self.c1, self.shrink = float(first_step), float(c1), float(shrink)
        self.x = None  # the accepted point, its energies and gradient; per-restart state

    def _restart(self, n):
        """Clear restart n's memory and head along -g with the first step length."""
        g = self.g[n]
        self.pairs[n] = []
        self.d[n] = -g
        self.a[n] = self.first_step / max(float((g * g).sum()) ** 0.5, 1e-300)

    def _accept(self, n, x, terms, grad):
        s, y = x[n] - self.x[n], grad[n] - self.g[n]
        sy = float((s * y).sum())
        if sy > 1e-10 * float((s * s).sum() * (y * y).sum()) ** 0.5:
            self.pairs[n] = (self.pairs[n] + [(s, y)])[-self.memory:]
        self.x[n], self.g[n] = x[n], grad[n]
        for k in self.terms:
            self.terms[k][n] = terms[k][n]
        if not self.pairs[n]:
            return self._restart(n)
        s, y = self.pairs[n][-1]
        d = -two_loop(self.g[n], self.pairs[n], float((s * y).sum() / (y * y).sum()))
        if float((d * self.g[n]).sum()) >= 0:  # NOTE: not a descent direction
            return self._restart(n)
        self.d[n], self.a[n] = d, 1.0

    def step(self, x, terms, grad, t):
        xp = get_array_module(x)
        if self.x is None:  # the start is accepted as it is
            self.x, self.g, self.d = x.copy(), grad.copy(), xp.zeros_like(x)
            self.terms = {k: numpy.array(v, dtype=numpy.float64) for k, v in terms.items()}
            self.pairs, self.a = [[] for _ in range(len(x))], numpy.zeros(len(x))
            for n in range(len(x)):
                self._restart(n)
        else:
            for n in range(len(x)):
                ok = bool(numpy.isfinite(terms["total"][n]) and xp.isfinite(grad[n]).all())
                drop = self.c1 * float((self.g[n] * (x[n] - self.x[n])).sum())
                if ok and terms["total"][n] <= self.terms["total"][n] + drop:
                    self._accept(n, x, terms, grad)
                else:
                    self.a[n] *= self.shrink
                    if self.a[n] * float((self.d[n] ** 2).sum()) ** 0.5 < 1e-12:
                        self._restart(n)
        a = xp.asarray(self.a, dtype=x.dtype).reshape(-1, *[1] * (x.ndim - 1))
        return self.x + a * self.d

    def record(self, terms):
        """The evaluated point's energies, the accepted point's where not finite."""
        if self.x is None:
            return terms
        bad = ~numpy.isfinite(terms["total"])
        return {k: numpy.where(bad, self.terms[k], v) for k, v in terms.items()}

    def result(self, x):
        return x if self.x is None else self.x
