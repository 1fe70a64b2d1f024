"""Depthwise convolutions (MobileNet's, EfficientNet's): one input channel
per group and one output channel per input channel, w (C, 1, kh, kw).

    y[n, c, v, u] = b[c] + sum_{i,j} w[c, 0, i, j] x~[n, c, v sh + i, u sw + j]
    dz/dx~[n, c, v sh + i, u sw + j] += w[c, 0, i, j] dz/dy[n, c, v, u]

(``layers.conv`` with G = C, its reference.) No matrix product is needed.
Where the channels are many (``conv_fast``: C >= CHANNEL_RUNS * Wo) this
runs channels last (``depthwise_last_*``): the forward is one ``einsum``
over a strided view of the windows, whose C loop multiplies and adds into
the output in one step along runs of C numbers (a multiply and an add per
offset are two passes through a temporary); the backward at stride 1
(padding smaller than the kernel: ``backward_correlates``) is the same
correlation of dz/dy with the flipped kernel (channels last from C >=
DEPTHWISE_RUNS * Wo, fewer channels), otherwise one multiply-add per kernel
offset. Elsewhere the backward runs in NCHW (``depthwise_backward``) and
the forward keeps ``conv_fast``'s window matrix (a window copy and a (1, kh
kw) by (kh kw, Ho Wo) product per channel beat a multiply-add per strided
offset there). Measured on one core, EfficientNet-Lite0's depthwise layers
at 224x224, forward and backward (window matrix and col2im -> these): 32
channels 112x112 3x3 even, 9.6 -> 1.9 ms; 96 at 112x112 3x3/2 even, 16.5 ->
5.4; 144 at 56x56 5x5/2 3.5 -> 2.2, 5.0 -> 2.4; 480 at 14x14 5x5 1.2 ->
0.83, 2.6 -> 0.88; 1152 at 7x7 5x5 1.35 -> 0.49, 2.5 -> 0.55. The einsum
against a multiply-add per offset, channels last at 227x227, one thread
(forward; backward at stride 1): 240 at 28x28 5x5 1.31 -> 0.92 ms, 1.60 ->
0.98; 672 at 14x14 5x5 0.96 -> 0.61, 1.01 -> 0.58; 1152 at 7x7 5x5 0.43 ->
0.28, 0.42 -> 0.27; and the backward of 144 at 56x56 3x3, NCHW 2.25 ->
1.54.
"""
from minigrad.backend import get_array_module

from .windows import crop_padding, kernel_offsets, pad_to_nhwc, window_view_nhwc


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


def backward_correlates(kernel, stride, pad):
    """Is the backward of a depthwise layer with this ``kernel`` (kh, kw),
    ``stride`` and ``pad`` (t, b, l, r) a correlation of dz/dy, run as one
    ``einsum`` by ``depthwise_last_backward``? At stride 1 with padding
    smaller than the kernel (every network's)."""
    (kh, kw), (t, b, l, r) = kernel, pad
    return tuple(stride) == (1, 1) and max(t, b) < kh and max(l, r) < kw


def depthwise_last_forward(x, w, stride, pad, size, b=None):
    """The depthwise forward channels last: x~ as (N, Hp, Wp, C), then
    y[n, v, u, c] = sum_{i,j} w[c, 0, i, j] x~[n, v sh + i, u sw + j, c] as
    one ``einsum`` over a strided view (N, Ho, Wo, kh, kw, C) of x~'s
    windows."""
    xp = get_array_module(x)
    windows = window_view_nhwc(pad_to_nhwc(x, pad), w.shape[2:], stride, size, 1)[0]
    y = xp.einsum("nvuijc,ijc->nvuc", windows, _taps_last(w))
    if b is not None:
        y += b
    return xp.ascontiguousarray(y.transpose(0, 3, 1, 2))


def _taps_last(w):
    """w (C, 1, kh, kw) as (kh, kw, C), contiguous."""
    xp = get_array_module(w)
    return xp.ascontiguousarray(w[:, 0].transpose(1, 2, 0))


def depthwise_last_backward(w, dzdy, in_shape, stride, pad):
    """``depthwise_backward`` channels last (dz/dy and dz/dx~ as N, H, W, C).
    At stride 1 the backward is again a depthwise correlation, of dz/dy
    zero-padded by (kh - 1 - top, kh - 1 - bottom, kw - 1 - left,
    kw - 1 - right), as dz/dy~, with the kernel flipped in both axes,
    straight onto dz/dx (dz/dx~'s padding is never formed):

        dz/dx[n, c, r, s] = sum_{i,j} w[c, 0, kh-1-i, kw-1-j] dz/dy~[n, c, r + i, s + j]

    so it runs as the forward's single ``einsum`` (``backward_correlates``);
    otherwise one multiply-add per kernel offset into dz/dx~."""
    xp = get_array_module(dzdy)
    n, c, h, wd = in_shape
    t, b, l, r = pad
    kh, kw = w.shape[2:]
    if backward_correlates((kh, kw), stride, pad):
        return depthwise_last_forward(dzdy, w[:, :, ::-1, ::-1], (1, 1),
                                      (kh - 1 - t, kh - 1 - b, kw - 1 - l, kw - 1 - r), (h, wd))
    taps = _taps_last(w).reshape(kh * kw, c)
    dy = xp.ascontiguousarray(dzdy.transpose(0, 2, 3, 1))
    dxpad = xp.zeros((n, h + t + b, wd + l + r, c), dtype=dzdy.dtype)
    share = xp.empty_like(dy)
    for k, (i, j, where) in enumerate(kernel_offsets(w.shape[2:], stride, dzdy.shape[2:], (1, 2))):
        xp.multiply(dy, taps[k], out=share)
        dxpad[where] += share
    return xp.ascontiguousarray(crop_padding(dxpad.transpose(0, 3, 1, 2), pad, in_shape))
