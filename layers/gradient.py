"""Image gradients for HOG and DSIFT: finite differences, colour selection,
gradient magnitude.

Conventions: x is the column index (to the right), y the row index
(downwards); angles go from +x towards +y (clockwise on screen), as in
VLFeat. A gradient map is (N, 2, H, W) with channel 0 = gx, 1 = gy.

ImageGradient(mode): x (N, C, H, W) -> g (N, 2C, H, W), channels
[gx_0 .. gx_{C-1}, gy_0 .. gy_{C-1}]. A linear map D; backward is D^T:
    mode "hog"   (VLFeat ``vl_hog_put_image``): gx = I[y, x+1] - I[y, x-1]
                 (no 1/2), only for 1 <= x <= W-2 and 1 <= y <= H-2; both
                 components are 0 on the one-pixel border.
    mode "dsift" (VLFeat ``_vl_dsift_update_buffers``): gx = (I[x+1] - I[x-1])/2
                 inside, one-sided I[1] - I[0] and I[W-1] - I[W-2] (no 1/2) in
                 the first and last column; gy likewise along rows.
    mode "paper" (the authors' MATLAB ``hog_net``/``dsift_net``): the 3x3
                 filters [-1 0 1]/2 with zero padding, so gradients exist on
                 the border too.
    Backward: dz/dI = D^T dz/dg (the same slices, scattered back).

ColourSelect: g (N, 2C, H, W) -> (N, 2, H, W): at each pixel the channel c*
with the largest gx_c^2 + gy_c^2 (first channel on ties, VLFeat's strict
'>'). Backward routes dz/dy to channel c* (c* is piecewise constant).

GradientNorm(fast): g (N, 2, H, W) -> m (N, 1, H, W)
    exact: m = sqrt(gx^2 + gy^2) (float32 ``sqrtf`` in HOG);
           dz/dg = dz/dm * g / m (0 where m = 0).
    fast:  m = fast_sqrt(gx^2 + gy^2) (DSIFT, ``layers.fastmath``);
           dz/dg = dz/dm * fast_sqrt'(v) * 2 g.
"""
import functools

from minigrad import backend
from minigrad.layer import Layer

from .fastmath import fast_sqrt

MODES = ("hog", "dsift", "paper")


def _at(axis, index):
    """An index tuple selecting ``index`` on ``axis`` (-1 or -2)."""
    return (Ellipsis, index) if axis == -1 else (Ellipsis, index, slice(None))


def _diff(x, mode, axis=-1):
    """Finite difference along ``axis`` (-1: x, -2: y). NOTE: slices on the
    axis itself; swapping axes instead makes every op strided (3x slower)."""
    xp = backend.get_array_module(x)
    d = xp.zeros_like(x)
    at = functools.partial(_at, axis)
    if mode == "hog":
        d[at(slice(1, -1))] = x[at(slice(2, None))] - x[at(slice(None, -2))]
        return d
    half = x.dtype.type(0.5)
    d[at(slice(1, -1))] = half * (x[at(slice(2, None))] - x[at(slice(None, -2))])
    if mode == "dsift":
        d[at(0)] = x[at(1)] - x[at(0)]
        d[at(-1)] = x[at(-1)] - x[at(-2)]
    else:  # paper: zero padding
        d[at(0)] = half * x[at(1)]
        d[at(-1)] = -half * x[at(-2)]
    return d


def _diff_t(d, mode, axis=-1):
    """The adjoint of ``_diff``."""
    xp = backend.get_array_module(d)
    x = xp.zeros_like(d)
    at = functools.partial(_at, axis)
    if mode == "hog":
        x[at(slice(2, None))] += d[at(slice(1, -1))]
        x[at(slice(None, -2))] -= d[at(slice(1, -1))]
        return x
    half = d.dtype.type(0.5)
    x[at(slice(2, None))] += half * d[at(slice(1, -1))]
    x[at(slice(None, -2))] -= half * d[at(slice(1, -1))]
    if mode == "dsift":
        x[at(1)] += d[at(0)]
        x[at(0)] -= d[at(0)]
        x[at(-1)] += d[at(-1)]
        x[at(-2)] -= d[at(-1)]
    else:
        x[at(1)] += half * d[at(0)]
        x[at(-2)] -= half * d[at(-1)]
    return x


def _crop(a, axis):
    """HOG's rule: a derivative along one axis is 0 on the first and last
    lines of the other axis (-2: rows, -1: columns)."""
    a[_at(axis, 0)] = 0
    a[_at(axis, -1)] = 0
    return a


class ImageGradient(Layer):
    def __init__(self, mode="hog", name=None):
        super().__init__(name)
        if mode not in MODES:
            raise ValueError(f"layer '{self.name}': unknown gradient mode {mode!r}; "
                             f"expected one of {MODES}")
        self.mode = mode

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        n, c, h, w = in_shape
        if h < 3 or w < 3:
            self.fail(f"needs an image of at least 3x3 pixels, got {h}x{w} "
                      f"(input {tuple(in_shape)})")
        return (n, 2 * c, h, w)

    def forward(self, x):
        self.check_input(x)
        xp = backend.get_array_module(x)
        gx, gy = _diff(x, self.mode, -1), _diff(x, self.mode, -2)
        if self.mode == "hog":
            gx, gy = _crop(gx, -2), _crop(gy, -1)
        return xp.concatenate([gx, gy], axis=1)

    def backward(self, dzdy):
        c = dzdy.shape[1] // 2
        dgx, dgy = dzdy[:, :c], dzdy[:, c:]
        if self.mode == "hog":
            dgx, dgy = _crop(dgx.copy(), -2), _crop(dgy.copy(), -1)
        dzdx = _diff_t(dgx, self.mode, -1)
        dzdx += _diff_t(dgy, self.mode, -2)
        return dzdx


class ColourSelect(Layer):
    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if in_shape[1] % 2:
            self.fail(f"expects [gx_0..gx_C-1, gy_0..gy_C-1] channels (an even "
                      f"number), got shape {tuple(in_shape)}")
        return (in_shape[0], 2, *in_shape[2:])

    def forward(self, g):
        self.check_input(g)
        c = g.shape[1] // 2
        self._c = c
        if c == 1:
            return g
        xp = backend.get_array_module(g)
        gx, gy = g[:, :c], g[:, c:]
        n2 = gx * gx + gy * gy
        # NOTE: a scan with strict '>' (the first maximum wins) and integer
        # arithmetic, and one-hot sums instead of take_along_axis: both are
        # several times faster on NumPy than argmax/take along axis 1.
        best, top = xp.zeros(n2[:, :1].shape, dtype=xp.int32), n2[:, :1]
        for i in range(1, c):
            best = xp.maximum(best, (n2[:, i:i + 1] > top) * xp.int32(i))
            top = xp.maximum(top, n2[:, i:i + 1])
        self._onehot = xp.arange(c, dtype=xp.int32).reshape(1, c, 1, 1) == best
        return xp.concatenate([(gx * self._onehot).sum(axis=1, keepdims=True),
                               (gy * self._onehot).sum(axis=1, keepdims=True)], axis=1)

    def backward(self, dzdy):
        if self._c == 1:
            return dzdy
        xp = backend.get_array_module(dzdy)
        return xp.concatenate([dzdy[:, :1] * self._onehot,
                               dzdy[:, 1:] * self._onehot], axis=1)


class GradientNorm(Layer):
    def __init__(self, fast=False, name=None):
        super().__init__(name)
        self.fast = bool(fast)

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if in_shape[1] != 2:
            self.fail(f"expects a gradient map (N, 2, H, W), got {tuple(in_shape)}")
        return (in_shape[0], 1, *in_shape[2:])

    def forward(self, g):
        self.check_input(g)
        xp = backend.get_array_module(g)
        gx, gy = g[:, :1], g[:, 1:]
        v = gx * gx + gy * gy
        self._g = g
        if self.fast:
            m, self._dmdv = fast_sqrt(v, with_derivative=True)
        else:
            m = xp.sqrt(v)
            self._m = m
        return m

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        if self.fast:
            return dzdy * (2 * self._dmdv) * self._g
        m = self._m
        inv = xp.where(m > 0, 1 / xp.where(m > 0, m, 1), 0).astype(m.dtype)
        return (dzdy * inv) * self._g
