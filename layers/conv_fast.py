"""The fast layouts of ``layers.conv``: the same im2col -> GEMM -> col2im
products as its reference (``conv2d_forward``/``conv2d_backward``), laid
out so that the copies are cheap; ``FastConv`` runs them for a ``Conv2d``.
The tests check every layout here against the reference.

Notation as in ``layers/conv.py``: x~ is x zero-padded to (Hp, Wp), the
kernel is kh x kw with stride (sh, sw), there are G groups of C/G input
channels, and the output is Ho x Wo.

1x1 kernels at stride 1 (``pointwise``) need no windows: x itself is the
matrix, one (C, H W) per image, and y = W x needs no transposes either.
Fully connected layers (one output pixel) need no col2im: W^T dY already
is dz/dx; at batch 2 to 4, weights beyond the caches are read block by
block of their rows (``thin``). Depthwise kernels need no products
(``layers.depthwise``), and 3x3 kernels at stride 1 run through Winograd's F(2x2, 3x3)
(``layers.winograd``, ``uses_winograd``). A batch whose window matrix would exceed ``COLS_BYTES``
runs in chunks of images (one GEMM per chunk): a window matrix beyond the
caches makes every pass memory bound (VGG-19 conv1_2 at 224x224: 115 MB
per image), and chunks keep batch > 1 as fast per image as batch 1.

im2col and col2im are copies, and NumPy copies fast only along long
contiguous runs. In
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
import contextlib

from minigrad import backend
from minigrad.backend import get_array_module

from . import winograd
from .depthwise import backward_correlates, depthwise, depthwise_backward, \
    depthwise_last_backward, depthwise_last_forward
from .windows import (crop_padding, kernel_offsets, pad_nchw, pad_to_nhwc, window_view,
                      window_view_nhwc)

CHANNEL_RUNS = 4  # channels last where C/G >= CHANNEL_RUNS * Wo
DEPTHWISE_RUNS = 2  # a depthwise backward that correlates: channels last where C >= this * Wo
COLS_BYTES = 32 * 2**20  # largest window matrix built at once; bigger batches go in chunks
WINOGRAD_CHANNELS = 64  # Winograd F(2x2, 3x3) where both C/G and O/G reach this ...
WINOGRAD_MIN_SIDE = 14  # ... and the output map's shorter side reaches this
WINOGRAD_BYTES = 2 * 2**20  # transformed tiles processed at once (a band of rows) ...
WINOGRAD_TILES = 256  # ... but at least this many tiles per matrix product
WINOGRAD_SPLIT_BYTES = 64 * 2**20  # under WINOGRAD_TILES tiles a core: all at once, up to this
SMALL_PRODUCT = 5e7  # layers with fewer FLOPs run their products on one BLAS thread
THIN_COLUMNS = 4  # fully connected layers at batch 2 to THIN_COLUMNS ...
THIN_BYTES = 8 * 2**20  # ... whose weights outgrow the caches run ``thin_forward`` ...
THIN_BLOCK_BYTES = 2 * 2**20  # ... over blocks of W's rows of this size


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


def uses_winograd(shape, stride, pad, groups, size):
    """Should a kernel of ``shape`` (O, C/G, kh, kw) with an output map of
    ``size`` (Ho, Wo) run through ``layers.winograd``? 3x3 at stride 1,
    padding at most 2 (so that the backward is a correlation too) and at
    least WINOGRAD_CHANNELS input and output channels per group. Below that the transforms, additions over
    arrays 4x the input, cost more than the products they save: measured
    on one core, VGG-19 conv1_2 (64 channels, 227x227) forward 117 -> 69 ms,
    backward 129 -> 82 ms; SqueezeNet fire2's 3x3 expand (16 -> 64 channels,
    56x56) forward even, backward 0.9 -> 1.4 ms. Nor on maps with a side
    under WINOGRAD_MIN_SIDE: on CaffeNet's 13x13 maps (192-384 channels,
    an odd side wasting a row and a column of tiles) the transforms cost
    more than they save, forward plus backward at batch 1 on this 2-core
    machine: 256 -> 384 channels 4.5 ms with im2col, 8.2 with Winograd,
    384 -> 256 in two groups 2.7 against 6.3; on VGG-19's 14x14 (512
    channels) they pay: batch 4 47.2 -> 34.2 ms, batch 1 even (12.4
    against 13.0), and the whole VGG-19 pool5 iteration at batch 1 gains
    (layer by layer: its conv5 forward and backward 7.0 -> 6.0 ms each)."""
    o, cg, kh, kw = shape
    return ((kh, kw) == (3, 3) and tuple(stride) == (1, 1) and max(pad) <= 2
            and min(o // groups, cg) >= WINOGRAD_CHANNELS
            and min(size) >= WINOGRAD_MIN_SIDE)


def _winograd(x, u, pad, size, bias=None):
    """``winograd.correlate`` with this module's settings (read at each call,
    so that the tests can change them)."""
    return winograd.correlate(x, u, pad, size, bias, WINOGRAD_BYTES, WINOGRAD_TILES,
                              WINOGRAD_SPLIT_BYTES)


def fully_connected(in_shape, kernel, pad, size):
    """Does a kernel see the whole (unpadded) input at one output pixel?"""
    return tuple(size) == (1, 1) and tuple(in_shape[2:]) == tuple(kernel) and not any(pad)


def thin(w, n):
    """Should a fully connected layer of weights ``w`` at batch ``n`` run
    through ``thin_forward``/``thin_backward``? With a few images, W x is a
    few columns, and the matrix product packs all of W for them: CaffeNet
    fc6 (4096 x 9216) at batch 4 on this 2-core machine, forward 10.2 ms
    against 3.9 for one matrix-vector product. The thin products read W
    once from memory, block by block, and the other columns from the cache:
    forward 7.3 ms, backward 16.3 -> 7.8; at batch 2 forward 10.7 -> 5.1,
    backward 13.1 -> 5.6; at batch 8 they no longer gain (forward 10.3 ->
    11.0)."""
    return 2 <= n <= THIN_COLUMNS and w.nbytes >= THIN_BYTES


def _row_blocks(w):
    rows = max(1, THIN_BLOCK_BYTES // (w.shape[1] * w.itemsize))
    return [slice(i, i + rows) for i in range(0, w.shape[0], rows)]


def thin_forward(w, x):
    """(n, O): W (O, K) times each of the n rows of x (n, K), one
    matrix-vector product per row and block of W's rows (``thin``)."""
    xp = get_array_module(w)
    y = xp.empty((len(x), w.shape[0]), dtype=xp.result_type(w, x))
    for s in _row_blocks(w):
        for k in range(len(x)):
            xp.matmul(w[s], x[k], out=y[k, s])
    return y


def thin_backward(w, d):
    """(n, K): each of the n rows of d (n, O) times W (O, K), that is
    (W^T d^T)^T, block by block of W's rows as ``thin_forward``."""
    xp = get_array_module(w)
    dx = xp.zeros((len(d), w.shape[1]), dtype=xp.result_type(w, d))
    part = xp.empty(w.shape[1], dtype=dx.dtype)  # NOTE: one block's share, reused
    for s in _row_blocks(w):
        for k in range(len(d)):
            xp.matmul(d[k, s], w[s], out=part)
            dx[k] += part
    return dx


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
        for i, j, where in kernel_offsets(kernel, stride, size, spatial=(1, 2)):
            dxpad[where] += dcols[:, :, :, i, j]
        dxpad = dxpad.reshape(n, hp, wp, c).transpose(0, 3, 1, 2)
    else:
        # dcols[g, i, j, c, n, v, u]: what kernel offset (i, j) sends back
        dcols = dcols.reshape(g, kh, kw, c // g, n, ho, wo)
        dxpad = xp.zeros((n, g, c // g, hp, wp), dtype=dcols.dtype)
        for i, j, where in kernel_offsets(kernel, stride, size, spatial=(3, 4)):
            dxpad[where] += dcols[:, i, j].transpose(2, 0, 1, 3, 4)
        dxpad = dxpad.reshape(n, c, hp, wp)
    return xp.ascontiguousarray(crop_padding(dxpad, pad, in_shape))


class FastConv:
    """The fast products of one ``Conv2d`` (stride, pad, groups), with the
    weight layouts they need cached while the weights array is the same."""

    def __init__(self, stride, pad, groups):
        self.stride, self.pad, self.groups = stride, pad, groups
        self._cache, self._cache_of = {}, None

    def _cached(self, w, key, make):
        """``make(w)``, cached while ``w`` is the same array."""
        if self._cache_of is not w:
            self._cache, self._cache_of = {}, w
        if key not in self._cache:
            self._cache[key] = make(w)
        return self._cache[key]

    def _w_copy(self, w, axes, shape):
        """w seen as (G, O/G, C/G, kh, kw), axes permuted by ``axes``, as a
        contiguous array of ``shape``; cached while ``w`` is the same array."""
        o, cg, kh, kw = w.shape
        xp = get_array_module(w)
        return self._cached(w, axes, lambda w: xp.ascontiguousarray(
            w.reshape(self.groups, o // self.groups, cg, kh, kw).transpose(axes)).reshape(shape))

    def _w_matrix(self, w, last):
        """W as (G, O/G, C/G*kh*kw), its columns in the order of the window
        matrix's rows: (C/G, kh, kw), a view, or ``last`` (kh, kw, C/G)."""
        o, g = w.shape[0], self.groups
        if not last:
            return w.reshape(g, o // g, -1)
        return self._w_copy(w, (0, 1, 3, 4, 2), (g, o // g, -1))

    def _w_col2im(self, w):
        """W^T as (G, kh*kw*C/G, O/G), the kernel offset outermost, so the slab
        each offset sends back to x is contiguous (the layout ``col2im`` reads)."""
        o, g = w.shape[0], self.groups
        return self._w_copy(w, (0, 3, 4, 2, 1), (g, -1, o // g))

    def _layout(self, x, w, size):
        """(batch slices, channels last?) for input x and output ``size``."""
        _, cg, kh, kw = w.shape
        per_image = cg * self.groups * kh * kw * size[0] * size[1] * x.dtype.itemsize
        step = max(1, COLS_BYTES // max(per_image, 1))
        chunks = [slice(i, i + step) for i in range(0, x.shape[0], step)]
        return chunks, channels_last(cg, (kh, kw), self.stride, self.pad, size)

    def _cols(self, x, w, size, last):
        return window_matrix(x, w.shape[2:], self.stride, self.pad, self.groups, size, last)

    def _dy(self, dzdy):
        """dz/dy as the (G, O/G, N*Ho*Wo) matrix the products need."""
        o, g = dzdy.shape[1], self.groups
        return dzdy.transpose(1, 0, 2, 3).reshape(g, o // g, -1)

    def _threads(self, w, n, size):
        """The BLAS's threads for the products of this layer: one where they
        are small (fewer than SMALL_PRODUCT FLOPs). NOTE: OpenBLAS's threads
        wait for work by spinning; on a machine shared with other processes
        each small product then waited for a descheduled thread: one
        iteration at batch 1 on this 2-core machine at load 6, SqueezeNet
        pool10 447 -> 78 ms, EfficientNet-Lite0 fc 1306 -> 129 ms (medians)."""
        small = 2 * w.size * n * size[0] * size[1] < SMALL_PRODUCT
        return backend.blas_threads(1) if small else contextlib.nullcontext()

    def forward(self, x, w, size, b=None):
        """y (N, O, Ho, Wo) plus the bias ``b`` if given, a fresh contiguous array."""
        if uses_winograd(w.shape, self.stride, self.pad, self.groups, size):
            u = self._cached(w, "winograd", lambda w: winograd.kernel_transform(w, self.groups))
            return _winograd(x, u, self.pad, size, b)
        with self._threads(w, len(x), size):
            return self._forward(x, w, size, b)

    def _forward(self, x, w, size, b):
        if depthwise(w.shape, self.groups) and x.shape[1] >= CHANNEL_RUNS * size[1]:
            return depthwise_last_forward(x, w, self.stride, self.pad, size, b)
        y = self._product(x, w, size)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def _thin(self, in_shape, w, size):
        """Is this a fully connected layer (one group) for ``thin_forward``
        and ``thin_backward`` at batch ``in_shape[0]``?"""
        return (self.groups == 1 and fully_connected(in_shape, w.shape[2:], self.pad, size)
                and thin(w, in_shape[0]))

    def _product(self, x, w, size):
        """W * x (N, O, Ho, Wo) without the bias, a fresh contiguous array."""
        xp = get_array_module(x)
        n = len(x)
        if self._thin(x.shape, w, size):  # NOTE: before pointwise: fc7 is 1x1 on a 1x1 map
            return thin_forward(w.reshape(len(w), -1), x.reshape(n, -1)).reshape(n, -1, 1, 1)
        if self.groups == 1 and pointwise(w.shape[2:], self.stride, self.pad):
            # NOTE: one product per image, (O, C) by (C, H W): no transposes
            return xp.matmul(w.reshape(len(w), -1), x.reshape(n, x.shape[1], -1)) \
                .reshape(n, -1, *size)
        chunks, last = self._layout(x, w, size)
        y = [xp.matmul(self._w_matrix(w, last), self._cols(x[s], w, size, last))
             .reshape(w.shape[0], -1, *size).transpose(1, 0, 2, 3) for s in chunks]
        return xp.ascontiguousarray(y[0]) if len(y) == 1 else xp.concatenate(y)

    def weight_grad(self, x, w, dzdy):
        xp = get_array_module(dzdy)
        chunks, last = self._layout(x, w, dzdy.shape[2:])
        o, cg, kh, kw = w.shape
        dw = sum(xp.matmul(self._dy(dzdy[s]), self._cols(x[s], w, dzdy.shape[2:], last)
                           .transpose(0, 2, 1)) for s in chunks)
        if last:  # columns (kh, kw, C/G) back to (C/G, kh, kw)
            dw = dw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2)
        return dw.reshape(o, cg, kh, kw)

    def backward(self, x, w, dzdy):
        if uses_winograd(w.shape, self.stride, self.pad, self.groups, dzdy.shape[2:]):
            u = self._cached(w, "winograd-flipped",
                             lambda w: winograd.kernel_transform(
                                 winograd.flipped(w, self.groups), self.groups))
            return _winograd(dzdy, u, winograd.backward_pad(self.pad), x.shape[2:])
        with self._threads(w, len(x), dzdy.shape[2:]):
            return self._backward_input(x, w, dzdy)

    def _backward_input(self, x, w, dzdy):
        xp = get_array_module(dzdy)
        if depthwise(w.shape, self.groups):
            # NOTE: where the backward is one einsum (``backward_correlates``) channels
            # last is faster from fewer channels: EfficientNet-Lite0's 144 at 56x56, 3x3,
            # 2.25 -> 1.54 ms
            correlates = backward_correlates(w.shape[2:], self.stride, self.pad)
            runs = DEPTHWISE_RUNS if correlates else CHANNEL_RUNS
            last = x.shape[1] >= runs * dzdy.shape[3]
            return (depthwise_last_backward if last else depthwise_backward)(
                w, dzdy, x.shape, self.stride, self.pad)
        if self._thin(x.shape, w, dzdy.shape[2:]):  # NOTE: before pointwise, as forward
            return thin_backward(w.reshape(len(w), -1), dzdy.reshape(len(dzdy), -1)) \
                .reshape(x.shape)
        if self.groups == 1 and pointwise(w.shape[2:], self.stride, self.pad):
            o, c = w.shape[:2]
            return xp.matmul(w.reshape(o, c).T, dzdy.reshape(len(dzdy), o, -1)).reshape(x.shape)
        chunks, last = self._layout(x, w, dzdy.shape[2:])
        dx = [self._backward(x[s], w, dzdy[s], last) for s in chunks]
        return dx[0] if len(dx) == 1 else xp.concatenate(dx)

    def _backward(self, x, w, dzdy, last):
        xp = get_array_module(dzdy)
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g, (ho, wo) = self.groups, dzdy.shape[2:]
        dy = self._dy(dzdy)
        point = pointwise((kh, kw), self.stride, self.pad)
        if point or fully_connected(x.shape, (kh, kw), self.pad, (ho, wo)):
            # NOTE: 1x1 kernels and fully connected layers need no col2im:
            # W^T dy already is dz/dx, laid out (C, kh, kw, N).
            dcols = xp.matmul(w.reshape(g, o // g, -1).transpose(0, 2, 1), dy)
            dzdx = dcols.reshape(c, n, h, wd) if point else \
                dcols.reshape(c, h, wd, n).transpose(0, 3, 1, 2)
            return xp.ascontiguousarray(dzdx.transpose(1, 0, 2, 3))
        if last:  # dcols (G, N*Ho*Wo, kh*kw*C/G)
            dcols = xp.matmul(dy.transpose(0, 2, 1), self._w_matrix(w, last))
        else:  # dcols (G, kh*kw*C/G, N*Ho*Wo)
            dcols = xp.matmul(self._w_col2im(w), dy)
        return col2im(dcols, x.shape, (kh, kw), self.stride, self.pad, g, (ho, wo), last)
