"""Directional finite-difference check of a backward pass.

For a layer (or network) f with backward b, a random direction t at x and a
random output gradient c, reverse mode promises

    < c, J t >  =  < b(c), t >          (J = df/dx at x)

The left side is estimated by central differences in float64,

    < c, (f(x + eps t) - f(x - eps t)) / (2 eps) >,

whose error is O(eps^2). This is JAX's ``check_vjp`` and Chainer's
``check_backward``: one scalar per check, so it is cheap for any size, and a
wrong backward B != J^T is caught for almost every (t, c) because
<c, (J - B^T) t> vanishes only on a set of measure zero.

``check_backward`` raises ``GradcheckError`` (an AssertionError) with what
is needed to reproduce a failure; it never returns a bool. It also checks
that dz/dx has x's shape and dtype and that neither forward nor backward
mutated x, dz/dy or the parameters.
"""
import numpy

from . import backend


class GradcheckError(AssertionError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _dot(a, b):
    return float(backend.to_numpy((a * b).sum()))


def check_backward(layer, x, dzdy=None, *, seed=0, eps=1e-6, atol=1e-8,
                   rtol=1e-6, n_checks=3, params=False, direction=None):
    """Check ``layer.backward`` against central differences of ``layer.forward``.

    layer     object with ``forward(*x)`` and ``backward(dzdy)`` (a Layer or a
              Net); several inputs are passed as a tuple ``x``.
    x         input array(s), float64.
    dzdy      output gradient; random normal (seeded) when None. Never use
              all ones: it hides errors that cancel across outputs.
    params    also check ``layer.grads`` for every entry of ``layer.params``.
    direction optional callable ``rng, array -> direction`` (e.g. to keep a
              perturbation away from a kink); default standard normal.
    """
    xs = _as_tuple(x)
    for i, a in enumerate(xs):
        if a.dtype != numpy.float64:
            raise GradcheckError(f"gradcheck needs float64 inputs; input {i} is {a.dtype}")
    xp = backend.get_array_module(*xs)
    rng = numpy.random.default_rng(seed)
    name = getattr(layer, "name", type(layer).__name__)
    # parameters are checked for single layers (their ``params``/``grads`` dicts)
    layer_params = layer.params if params else {}
    saved = [a.copy() for a in xs]
    saved_params = {k: v.copy() for k, v in layer_params.items()}

    if params:
        layer.param_grads = True
    y = layer.forward(*xs)
    if y.dtype != numpy.float64:
        raise GradcheckError(f"{name}: forward of float64 input returned {y.dtype}")
    if dzdy is None:
        dzdy = xp.asarray(rng.standard_normal(y.shape))
    if tuple(dzdy.shape) != tuple(y.shape):
        raise GradcheckError(f"{name}: dzdy shape {tuple(dzdy.shape)} != y shape {tuple(y.shape)}")
    dzdy_saved = dzdy.copy()
    dzdx = _with_zeros(layer.backward(dzdy), xs, xp)
    grads = dict(layer.grads) if params else {}

    def context():
        return (f"layer={name} seed={seed} eps={eps} atol={atol} rtol={rtol} "
                f"x shapes={[tuple(a.shape) for a in xs]} y shape={tuple(y.shape)}")

    # shapes, dtypes, no mutation
    if len(dzdx) != len(xs):
        raise GradcheckError(f"backward returned {len(dzdx)} gradients for {len(xs)} inputs; {context()}")
    for i, (a, g) in enumerate(zip(xs, dzdx)):
        if tuple(g.shape) != tuple(a.shape) or g.dtype != a.dtype:
            raise GradcheckError(f"dzdx[{i}] has shape {tuple(g.shape)} {g.dtype}, "
                                 f"x has {tuple(a.shape)} {a.dtype}; {context()}")
    again = _with_zeros(layer.backward(dzdy), xs, xp)
    for i, (g, h) in enumerate(zip(dzdx, again)):
        if not bool((g == h).all()):
            raise GradcheckError(f"a second backward gave a different dzdx[{i}]: "
                                 f"backward changed what forward saved; {context()}")
    for i, (a, s) in enumerate(zip(xs, saved)):
        if not bool((a == s).all()):
            raise GradcheckError(f"input {i} was mutated by forward/backward; {context()}")
    if not bool((dzdy == dzdy_saved).all()):
        raise GradcheckError(f"dzdy was mutated by backward; {context()}")

    # directional checks on the input(s)
    for trial in range(n_checks):
        ts = [xp.asarray(direction(rng, a) if direction else rng.standard_normal(a.shape))
              for a in xs]
        analytic = sum(_dot(g, t) for g, t in zip(dzdx, ts))
        plus = layer.forward(*[a + eps * t for a, t in zip(xs, ts)])
        minus = layer.forward(*[a - eps * t for a, t in zip(xs, ts)])
        numeric = _dot(dzdy, (plus - minus) / (2 * eps))
        _compare(analytic, numeric, atol, rtol,
                 lambda: f"input direction {trial}; {context()}")

    # directional checks on the parameters
    for key, w in layer_params.items():
        if key not in grads:
            raise GradcheckError(f"no gradient for parameter '{key}'; {context()}")
        t = xp.asarray(rng.standard_normal(w.shape))
        analytic = _dot(grads[key], t)
        layer_params[key] = w + eps * t
        plus = layer.forward(*xs)
        layer_params[key] = w - eps * t
        minus = layer.forward(*xs)
        layer_params[key] = w
        numeric = _dot(dzdy, (plus - minus) / (2 * eps))
        _compare(analytic, numeric, atol, rtol,
                 lambda: f"parameter '{key}'; {context()}")
    for key, w in saved_params.items():
        if not bool((layer_params[key] == w).all()):
            raise GradcheckError(f"parameter '{key}' was mutated; {context()}")


def _with_zeros(dzdx, xs, xp):
    """The gradients as a tuple, a None (a zero gradient, the layer
    contract) as zeros of its input's shape."""
    dzdx = _as_tuple(dzdx)
    if len(dzdx) != len(xs):
        return dzdx
    return tuple(xp.zeros_like(a) if g is None else g for g, a in zip(dzdx, xs))


def _compare(analytic, numeric, atol, rtol, where):
    if not abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric)):
        raise GradcheckError(
            f"backward disagrees with finite differences: <dzdx, t> = {analytic!r}, "
            f"<dzdy, (f(x+eps t) - f(x-eps t))/2eps> = {numeric!r}, "
            f"difference {abs(analytic - numeric):.3e}; {where()}")
