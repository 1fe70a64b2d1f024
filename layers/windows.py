"""Sliding-window helpers shared by convolution and pooling.

Padding is always given as four numbers ``(top, bottom, left, right)``
(MatConvNet's order); a single int means the same on every side.
"""
from minigrad.backend import get_array_module


def four(pad):
    """Normalise a padding spec to ``(top, bottom, left, right)``."""
    if isinstance(pad, (int,)) or (hasattr(pad, "__index__") and not hasattr(pad, "__len__")):
        p = int(pad)
        return (p, p, p, p)
    pad = tuple(int(p) for p in pad)
    if len(pad) == 2:  # (vertical, horizontal)
        return (pad[0], pad[0], pad[1], pad[1])
    if len(pad) != 4:
        raise ValueError(f"padding must be an int, (py, px) or (top, bottom, left, right); got {pad}")
    return pad


def two(v):
    """Normalise a kernel size or stride to ``(vertical, horizontal)``."""
    if hasattr(v, "__len__"):
        v = tuple(int(a) for a in v)
        if len(v) != 2:
            raise ValueError(f"expected one or two values, got {v}")
        return v
    return (int(v), int(v))


def out_size(n, k, s, p0, p1, ceil=False):
    """Output length along one axis for input n, kernel k, stride s, padding
    p0 before and p1 after.

    floor (MatConvNet, convolutions): (n + p0 + p1 - k) // s + 1.
    ceil (Caffe pooling): ceil((n + p0 + p1 - k) / s) + 1, less one when the
    last window would start inside the trailing padding, i.e. at or after
    n + p0 (Caffe's rule, so every window sees at least one real pixel).
    """
    span = n + p0 + p1 - k
    if span < 0:
        return 0
    if not ceil:
        return span // s + 1
    m = -(-span // s) + 1
    if (m - 1) * s >= n + p0:
        m -= 1
    return m


def pad_nchw(x, pad, value=0.0, extra=(0, 0)):
    """Pad the two spatial axes by ``pad = (top, bottom, left, right)`` plus
    ``extra = (bottom, right)`` more (used by ceil-mode pooling)."""
    t, b, l, r = pad
    b, r = b + extra[0], r + extra[1]
    if t == b == l == r == 0:
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.empty((n, c, h + t + b, w + l + r), dtype=x.dtype)
    return _pad_into(out, x, (t, b, l, r), value, axes=(2, 3))


def _pad_into(out, x, pad, value, axes):
    """Write ``x`` into the middle of ``out`` and ``value`` around it, the
    padding (top, bottom, left, right) on the two ``axes``; each number is
    written once (NOTE: numpy.pad costs ~0.1 ms a call in generality alone,
    a tenth of CaffeNet conv5)."""
    (t, b, l, r), (ay, ax) = pad, axes
    hp, wp = out.shape[ay], out.shape[ax]

    def part(rows, cols):
        index = [slice(None)] * out.ndim
        index[ay], index[ax] = rows, cols
        return tuple(index)

    out[part(slice(0, t), slice(None))] = value
    out[part(slice(hp - b, hp), slice(None))] = value
    out[part(slice(t, hp - b), slice(0, l))] = value
    out[part(slice(t, hp - b), slice(wp - r, wp))] = value
    out[part(slice(t, hp - b), slice(l, wp - r))] = x
    return out


def spatial_slice(i, j, stride, size):
    """The slice of a padded map that kernel offset (i, j) reads for every
    output pixel: rows i, i+sh, ..., columns j, j+sw, ..."""
    (sh, sw), (ho, wo) = stride, size
    return (Ellipsis, slice(i, i + sh * (ho - 1) + 1, sh),
            slice(j, j + sw * (wo - 1) + 1, sw))


def kernel_offsets(kernel, stride, size, spatial):
    """(i, j, index) per kernel offset: ``index`` picks, on the axes
    ``spatial`` of the padded map, the pixels offset (i, j) reads."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, size
    for i in range(kh):
        for j in range(kw):
            where = [slice(None)] * (max(spatial) + 1)
            where[spatial[0]] = slice(i, i + sh * (ho - 1) + 1, sh)
            where[spatial[1]] = slice(j, j + sw * (wo - 1) + 1, sw)
            yield i, j, tuple(where)


def window_view(xpad, kernel, stride, size):
    """A strided view (N, C, kh, kw, Ho, Wo) of all windows of ``xpad``:
    ``view[n, c, i, j, y, x] = xpad[n, c, y*sh + i, x*sw + j]``. No copy."""
    xp = get_array_module(xpad)
    n, c, _, _ = xpad.shape
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, size
    s0, s1, s2, s3 = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad, shape=(n, c, kh, kw, ho, wo),
        strides=(s0, s1, s2, s3, s2 * sh, s3 * sw))


def pad_to_nhwc(x, pad):
    """``pad_nchw(x, pad)`` with zeros, transposed to (N, Hp, Wp, C)."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    t, b, l, r = pad
    out = xp.empty((n, h + t + b, w + l + r, c), dtype=x.dtype)
    return _pad_into(out, x.transpose(0, 2, 3, 1), pad, 0.0, axes=(1, 2))


def window_view_nhwc(xpad, kernel, stride, size, groups):
    """A strided view (G, N, Ho, Wo, kh, kw, C/G) of all windows of a
    channels-last ``xpad`` (N, Hp, Wp, C):
    ``view[g, n, y, x, i, j, c] = xpad[n, y*sh + i, x*sw + j, g*C/G + c]``."""
    xp = get_array_module(xpad)
    n, _, _, c = xpad.shape
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, size
    s0, s1, s2, s3 = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad, shape=(groups, n, ho, wo, kh, kw, c // groups),
        strides=(s3 * (c // groups), s0, s1 * sh, s2 * sw, s1, s2, s3))


def crop_padding(xpad, pad, shape):
    """Undo ``pad_nchw``: the (H, W) interior that started at (top, left)."""
    t, _, l, _ = pad
    h, w = shape[-2:]
    if xpad.shape[-2:] == (h, w) and t == l == 0:
        return xpad
    return xpad[..., t:t + h, l:l + w]
