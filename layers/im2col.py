"""A convolution's windows as a matrix (im2col) and window gradients added
back into an image (col2im), for ``layers.conv``.

Notation as in ``layers/conv.py``: x~ is x zero-padded to (Hp, Wp), the
kernel is kh x kw with stride (sh, sw), there are G groups of C/G input
channels, and the output is Ho x Wo.

im2col gathers every window of x~ into the columns of a matrix
(G, C/G*kh*kw, N*Ho*Wo), so that a convolution is one matrix product per
group. col2im is the adjoint: given what every window position sends back,
it loops over the kh*kw kernel offsets (never over pixels or images) and
adds each offset's slab into a strided slice of dz/dx~.

Both are copies, and NumPy copies fast only along long contiguous runs. In
the usual NCHW layout a run is one window row, Wo numbers: on a 13x13 map
that copy cost a third of CaffeNet conv5. Deep layers have short rows but
many channels, so there the windows are gathered channels last: x~ is
transposed to (N, Hp, Wp, C) and the matrix is built as
(G, N*Ho*Wo, kh*kw*C/G), copied in runs of C/G numbers; the product reads
it transposed (a BLAS flag, no copy), its rows now ordered (kh, kw, C/G),
and col2im adds runs of C/G. The transposes of x~ and dz/dx~ cost N*C*H*W
scattered moves, so channels last is used only where C/G >= CHANNEL_RUNS
* Wo. Measured on this project's 2-core CPU, channels last against NCHW at
batch 1: CaffeNet conv3, conv4, conv5 forward 1.07x, 1.20x, 1.38x as fast
(forward plus backward 1.11x, 1.12x, 1.22x), VGG-19 conv4_1 and conv5_1
even; where the rule says no it lost: conv2 (48 channels, rows of 27)
backward 0.87x.
"""
from minigrad.backend import get_array_module

from .windows import crop_padding, pad_nchw, pad_to_nhwc, window_view, window_view_nhwc

CHANNEL_RUNS = 4  # channels last where C/G >= CHANNEL_RUNS * Wo


def pointwise(kernel, stride, pad):
    """A 1x1 kernel at stride 1 without padding: its windows are the input."""
    return tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(pad)


def channels_last(group_channels, kernel, stride, pad, size):
    """Should windows with ``group_channels`` = C/G and output ``size``
    (Ho, Wo) be gathered channels last? Not for ``pointwise`` kernels (no
    windows) nor a single output pixel (a fully connected layer: one window,
    the whole input)."""
    return (not pointwise(kernel, stride, pad) and size[0] * size[1] > 1
            and group_channels >= CHANNEL_RUNS * size[1])


def window_matrix(x, kernel, stride, pad, groups, size, last):
    """The (G, C/G*kh*kw, N*Ho*Wo) matrix of the windows of ``x`` padded by
    ``pad`` = (top, bottom, left, right). Rows are ordered (C/G, kh, kw), or
    with ``last`` (kh, kw, C/G) and the matrix is the transposed view of a
    contiguous (G, N*Ho*Wo, kh*kw*C/G)."""
    n, c = x.shape[:2]
    (kh, kw), g = kernel, groups
    cg = c // g
    if last:
        v = window_view_nhwc(pad_to_nhwc(x, pad), kernel, stride, size, g)
        return v.reshape(g, -1, kh * kw * cg).transpose(0, 2, 1)
    if pointwise(kernel, stride, pad):
        v = x.reshape(n, g, cg, 1, 1, *size)  # NOTE: no window copy needed
    else:
        v = window_view(pad_nchw(x, pad), kernel, stride, size).reshape(n, g, cg, kh, kw, *size)
    return v.transpose(1, 2, 3, 4, 0, 5, 6).reshape(g, cg * kh * kw, -1)


def col2im(dcols, in_shape, kernel, stride, pad, groups, size, last):
    """dz/dx (N, C, H, W), contiguous, from ``dcols``: what every window
    sends back to the pixels it covers, laid out (G, kh*kw*C/G, N*Ho*Wo)
    (rows offset-major), or with ``last`` (G, N*Ho*Wo, kh*kw*C/G)."""
    xp = get_array_module(dcols)
    n, c, h, w = in_shape
    (kh, kw), (ho, wo), g = kernel, size, groups
    t, b, l, r = pad
    hp, wp = h + t + b, w + l + r
    if last:
        # dcols[n, v, u, i, j, g, c]: what offset (i, j) of window (v, u) sends back
        dcols = dcols.reshape(g, n, ho, wo, kh, kw, c // g).transpose(1, 2, 3, 4, 5, 0, 6)
        dxpad = xp.zeros((n, hp, wp, g, c // g), dtype=dcols.dtype)
        for i, j, where in _offsets(kernel, stride, size, spatial=(1, 2)):
            dxpad[where] += dcols[:, :, :, i, j]
        dxpad = dxpad.reshape(n, hp, wp, c).transpose(0, 3, 1, 2)
    else:
        # dcols[g, i, j, c, n, v, u]: what kernel offset (i, j) sends back
        dcols = dcols.reshape(g, kh, kw, c // g, n, ho, wo)
        dxpad = xp.zeros((n, g, c // g, hp, wp), dtype=dcols.dtype)
        for i, j, where in _offsets(kernel, stride, size, spatial=(3, 4)):
            dxpad[where] += dcols[:, i, j].transpose(2, 0, 1, 3, 4)
        dxpad = dxpad.reshape(n, c, hp, wp)
    return xp.ascontiguousarray(crop_padding(dxpad, pad, in_shape))


def _offsets(kernel, stride, size, spatial):
    """(i, j, index) per kernel offset: ``index`` picks, on the axes
    ``spatial`` of the padded map, the pixels offset (i, j) reads."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, size
    for i in range(kh):
        for j in range(kw):
            where = [slice(None)] * (max(spatial) + 1)
            where[spatial[0]] = slice(i, i + sh * (ho - 1) + 1, sh)
            where[spatial[1]] = slice(j, j + sw * (wo - 1) + 1, sw)
            yield i, j, tuple(where)
