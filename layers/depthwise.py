"""Depthwise convolutions (MobileNet's, EfficientNet's): one input channel
per group and one output channel per input channel, w (C, 1, kh, kw).

    y[n, c, v, u] = b[c] + sum_{i,j} w[c, 0, i, j] x~[n, c, v sh + i, u sw + j]
    dz/dx~[n, c, v sh + i, u sw + j] += w[c, 0, i, j] dz/dy[n, c, v, u]

(``layers.conv`` with G = C, its reference.) No matrix product is needed:
per kernel offset (i, j), one multiply-add over the whole batch. Where the
channels are many (``conv_fast``: C >= CHANNEL_RUNS * Wo) this runs
channels last (``depthwise_last_*``), every operation on runs of C numbers;
elsewhere the backward runs in NCHW (``depthwise_backward``) and the
forward keeps ``conv_fast``'s window matrix (a window copy and a (1, kh kw)
by (kh kw, Ho Wo) product per channel beat a multiply-add per strided offset
there). Measured on one core, EfficientNet-Lite0's depthwise layers at
224x224, forward and backward (window matrix and col2im -> these):
32 channels 112x112 3x3 even, 9.6 -> 1.9 ms; 96 at 112x112 3x3/2 even,
16.5 -> 5.4; 144 at 56x56 5x5/2 3.5 -> 2.2, 5.0 -> 2.4; 480 at 14x14 5x5
1.2 -> 0.83, 2.6 -> 0.88; 1152 at 7x7 5x5 1.35 -> 0.49, 2.5 -> 0.55.
"""
from minigrad.backend import get_array_module

from .windows import crop_padding, kernel_offsets, pad_to_nhwc


def depthwise(shape, groups):
    """One input channel per group and one output channel per input channel?"""
    o, cg = shape[:2]
    return cg == 1 and o == groups > 1


def depthwise_backward(w, dzdy, in_shape, stride, pad):
    """dz/dx~[n, c, v sh + i, u sw + j] += w[c, 0, i, j] dz/dy[n, c, v, u], one
    offset at a time; dz/dx is dz/dx~ cropped."""
    xp = get_array_module(dzdy)
    n, c, h, wd = in_shape
    t, b, l, r = pad
    taps = w.reshape(c, -1)
    dxpad = xp.zeros((n, c, h + t + b, wd + l + r), dtype=dzdy.dtype)
    share = xp.empty_like(dzdy)
    for k, (i, j, where) in enumerate(kernel_offsets(w.shape[2:], stride, dzdy.shape[2:], (2, 3))):
        xp.multiply(dzdy, taps[:, k].reshape(1, c, 1, 1), out=share)
        dxpad[where] += share
    return xp.ascontiguousarray(crop_padding(dxpad, pad, in_shape))


def depthwise_last_forward(x, w, stride, pad, size, b=None):
    """The depthwise forward channels last: x~ as (N, Hp, Wp, C), then per
    kernel offset y += w[:, 0, i, j] x~[:, i::sh, j::sw, :], whose runs are
    the C channels."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    xt = pad_to_nhwc(x, pad)
    taps = xp.ascontiguousarray(w.reshape(c, -1).T)
    y, t = xp.empty((n, *size, c), dtype=x.dtype), xp.empty((n, *size, c), dtype=x.dtype)
    for k, (i, j, where) in enumerate(kernel_offsets(w.shape[2:], stride, size, spatial=(1, 2))):
        xp.multiply(xt[where], taps[k], out=y if k == 0 else t)
        if k:
            y += t
    if b is not None:
        y += b
    return xp.ascontiguousarray(y.transpose(0, 3, 1, 2))


def depthwise_last_backward(w, dzdy, in_shape, stride, pad):
    """``depthwise_backward`` channels last (dz/dy and dz/dx~ as N, H, W, C)."""
    xp = get_array_module(dzdy)
    n, c, h, wd = in_shape
    t, b, l, r = pad
    taps = xp.ascontiguousarray(w.reshape(c, -1).T)
    dy = xp.ascontiguousarray(dzdy.transpose(0, 2, 3, 1))
    dxpad = xp.zeros((n, h + t + b, wd + l + r, c), dtype=dzdy.dtype)
    share = xp.empty_like(dy)
    for k, (i, j, where) in enumerate(kernel_offsets(w.shape[2:], stride, dzdy.shape[2:], (1, 2))):
        xp.multiply(dy, taps[k], out=share)
        dxpad[where] += share
    return xp.ascontiguousarray(crop_padding(dxpad.transpose(0, 3, 1, 2), pad, in_shape))
