"""Spatial pooling: max, average, global average.

Shapes
    x (N, C, H, W) -> y (N, C, Ho, Wo); Ho from ``windows.out_size`` with
    floor (MatConvNet) or ceil (Caffe) rounding.

Max pooling
    y[n,c,v,u] = max_{i,j} x~[n, c, v*sh + i, u*sw + j]
    with x~ padded by -inf (padding never wins). Ties go to the first
    maximum in row-major kernel order (Caffe's strict '>' scan).
    dz/dx~[n,c, v*sh+i*, u*sw+j*] += dz/dy[n,c,v,u] at the winning (i*, j*).

Average pooling
    y = (1/d[v,u]) sum_{i,j} x~[n, c, v*sh+i, u*sw+j], x~ zero-padded, where
    the divisor d counts the window's cells inside the padded image (Caffe:
    padding counts, the ceil-mode overhang does not) or, with
    ``count_pad=False``, inside the image only.
    dz/dx~[.., v*sh+i, u*sw+j] += dz/dy[.., v, u] / d[v, u].

Both loop over the kh*kw kernel offsets, each a whole-array strided
operation: no loop over pixels, channels or images.

2x2 max pooling at stride 2 without padding (VGG's) has disjoint windows
and its own path (``_max2x2``): in each window row r the right pixel wins
if it is larger (w_r), then the lower row wins if its maximum is larger
(``lower``): the same first-maximum rule, kept as three boolean maps
instead of an offset index. Its backward writes every pixel once,
    dz/dx[2v + 1, 2u + j] = dz/dy lower [j = w_1],  dz/dx[2v, 2u + j] = the rest,
with the split d (1 - m) computed as d - d m (exact for m in {0, 1}), and
zeros only in a last odd row or column that no window reads.
"""
from minigrad import backend
from minigrad.layer import Layer

from .windows import crop_padding, four, out_size, pad_nchw, spatial_slice, two

POOL_BYTES = 2 * 2**20  # max pooling scans blocks of planes of about this size


class _Pool(Layer):
    def __init__(self, kernel, stride=None, pad=0, ceil=False, name=None):
        super().__init__(name)
        self.kernel = two(kernel)
        self.stride = two(stride) if stride is not None else self.kernel
        self.pad = four(pad)
        self.ceil = bool(ceil)
        t, b, l, r = self.pad
        kh, kw = self.kernel
        if min(self.kernel) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"layer '{self.name}': need kernel, stride >= 1 and "
                             f"pad >= 0; got {self.kernel}, {self.stride}, {self.pad}")
        if max(t, b) >= kh or max(l, r) >= kw:
            raise ValueError(f"layer '{self.name}': padding {self.pad} must be smaller "
                             f"than the kernel {self.kernel}")

    def geometry(self, in_shape=None):
        return (*self.kernel, *self.stride, self.pad[0], self.pad[2])

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        n, c, h, w = in_shape
        (kh, kw), (sh, sw), (t, b, l, r) = self.kernel, self.stride, self.pad
        if h + t + b < kh or w + l + r < kw:
            self.fail(f"kernel {kh}x{kw} is larger than the padded input "
                      f"{h + t + b}x{w + l + r} (input {tuple(in_shape)}, pad {self.pad})")
        return (n, c, out_size(h, kh, sh, t, b, self.ceil),
                out_size(w, kw, sw, l, r, self.ceil))

    def _extra(self, in_shape, size):
        """Padding beyond (bottom, right) that ceil mode needs so every
        window is inside the padded array."""
        (kh, kw), (sh, sw), (t, b, l, r) = self.kernel, self.stride, self.pad
        h, w = in_shape[-2:]
        return (max(0, (size[0] - 1) * sh + kh - (h + t + b)),
                max(0, (size[1] - 1) * sw + kw - (w + l + r)))

    def _offsets(self):
        kh, kw = self.kernel
        return [(i, j) for i in range(kh) for j in range(kw)]


class MaxPool2d(_Pool):
    def _max2x2(self):
        return (self.kernel == (2, 2) and self.stride == (2, 2)
                and self.pad == (0, 0, 0, 0) and not self.ceil)

    def forward(self, x):
        n, c, ho, wo = self.out_shape(x.shape)
        xp = backend.get_array_module(x)
        size = (ho, wo)
        if self._max2x2():
            return self._forward2x2(x, size)
        extra = self._extra(x.shape, size)
        # NOTE: every offset reads the block again: blocks of planes that
        # stay in cache (the whole batch at once costs 2-3x more per image)
        planes = x.reshape(1, n * c, *x.shape[2:])
        y = xp.empty((1, n * c, ho, wo), dtype=x.dtype)
        kind = xp.int8 if len(self._offsets()) <= 127 else xp.int16
        self._arg = xp.empty((1, n * c, ho, wo), dtype=kind)
        backend.parallel(lambda b: self._scan(pad_nchw(planes[:, b], self.pad, -xp.inf, extra),
                                              y[:, b], self._arg[:, b]),
                         _blocks(n * c, x[0, 0].nbytes), xp)
        self._shapes = (x.shape, extra)
        return y.reshape(n, c, ho, wo)

    def _scan(self, xpad, y, arg):
        """y, arg = the maximum of each window of xpad and its offset's index."""
        xp = backend.get_array_module(xpad)
        offsets, size = self._offsets(), y.shape[2:]
        y[...] = xpad[spatial_slice(*offsets[0], self.stride, size)]
        arg[...] = 0
        better, mark = xp.empty(y.shape, dtype=bool), xp.empty(y.shape, dtype=arg.dtype)
        for k, (i, j) in enumerate(offsets[1:], start=1):
            cand = xpad[spatial_slice(i, j, self.stride, size)]
            xp.greater(cand, y, out=better)  # strict: ties keep the earlier offset
            # NOTE: arg = k where better: k exceeds every earlier offset, so it
            # is max(arg, k * better), integer arithmetic (copyto(where=) and
            # masked assignment are several times slower on random masks)
            xp.multiply(better, arg.dtype.type(k), out=mark)
            xp.maximum(arg, mark, out=arg)
            xp.maximum(y, cand, out=y)

    def _forward2x2(self, x, size):
        xp = backend.get_array_module(x)
        (ho, wo), (n, c, h, w) = size, x.shape
        planes = x.reshape(1, n * c, h, w)
        y = xp.empty((1, n * c, ho, wo), dtype=x.dtype)
        self._right = xp.empty((2, 1, n * c, ho, wo), dtype=bool)
        self._lower = xp.empty((1, n * c, ho, wo), dtype=bool)

        def block(b):
            maxima = []
            for r in range(2):
                left, right = (planes[:, b, r:2 * ho:2, j:2 * wo:2] for j in (0, 1))
                maxima.append(xp.maximum(left, right))
                xp.greater(right, left, out=self._right[r][:, b])  # strict: ties stay left
            xp.greater(maxima[1], maxima[0], out=self._lower[:, b])  # strict: ties stay up
            xp.maximum(maxima[0], maxima[1], out=y[:, b])
        backend.parallel(block, _blocks(n * c, x[0, 0].nbytes), xp)
        self._in_shape = x.shape
        return y.reshape(n, c, ho, wo)

    def _backward2x2(self, dzdy):
        xp = backend.get_array_module(dzdy)
        n, c, h, w = self._in_shape
        ho, wo = dzdy.shape[2:]
        planes = dzdy.reshape(1, n * c, ho, wo)
        dzdx = xp.empty((1, n * c, h, w), dtype=dzdy.dtype)

        def block(b):
            dx, dy = dzdx[:, b], planes[:, b]
            dx[..., 2 * ho:, :] = 0
            dx[..., :2 * ho, 2 * wo:] = 0
            down = dy * self._lower[:, b]
            for r, d in ((0, dy - down), (1, down)):
                right = xp.multiply(d, self._right[r][:, b], out=dx[..., r:2 * ho:2, 1:2 * wo:2])
                xp.subtract(d, right, out=dx[..., r:2 * ho:2, 0:2 * wo:2])
        backend.parallel(block, _blocks(n * c, w * h * dzdy.itemsize), xp)
        return dzdx.reshape(n, c, h, w)

    def backward(self, dzdy):
        if self._max2x2():
            return self._backward2x2(dzdy)
        xp = backend.get_array_module(dzdy)
        (n, c, h, w), extra = self._shapes
        (t, bo, l, r), (ho, wo) = self.pad, dzdy.shape[2:]
        planes = dzdy.reshape(1, n * c, ho, wo)
        dzdx = xp.empty((1, n * c, h, w), dtype=dzdy.dtype)
        pad_shape = (h + t + bo + extra[0], w + l + r + extra[1])

        def block(b):
            dy, arg = planes[:, b], self._arg[:, b]
            dxpad = xp.zeros((1, dy.shape[1], *pad_shape), dtype=dzdy.dtype)
            won, share = xp.empty(dy.shape, dtype=bool), xp.empty_like(dy)
            for k, (i, j) in enumerate(self._offsets()):
                xp.equal(arg, k, out=won)
                xp.multiply(dy, won, out=share)
                dxpad[spatial_slice(i, j, self.stride, (ho, wo))] += share
            dzdx[:, b] = crop_padding(dxpad, self.pad, (h, w))
        backend.parallel(block, _blocks(n * c, pad_shape[0] * pad_shape[1] * dzdy.itemsize), xp)
        return dzdx.reshape(n, c, h, w)


def _blocks(planes, plane_bytes):
    """Slices of ``planes`` planes of ``plane_bytes`` each, about POOL_BYTES a block."""
    step = max(1, POOL_BYTES // max(plane_bytes, 1))
    return [slice(i, i + step) for i in range(0, planes, step)]


class AvgPool2d(_Pool):
    def __init__(self, kernel, stride=None, pad=0, ceil=False, count_pad=True,
                 name=None):
        super().__init__(kernel, stride, pad, ceil, name)
        self.count_pad = bool(count_pad)

    def _divisor(self, xp, in_shape, size, dtype):
        t, b, l, r = self.pad
        h, w = in_shape[-2:]
        extra = self._extra(in_shape, size)
        inside = xp.zeros((1, 1, h + t + b + extra[0], w + l + r + extra[1]), dtype=dtype)
        if self.count_pad:
            inside[..., :h + t + b, :w + l + r] = 1
        else:
            inside[..., t:t + h, l:l + w] = 1
        d = sum(inside[spatial_slice(i, j, self.stride, size)] for i, j in self._offsets())
        return xp.maximum(d, 1)

    def forward(self, x):
        n, c, ho, wo = self.out_shape(x.shape)
        xp = backend.get_array_module(x)
        size = (ho, wo)
        extra = self._extra(x.shape, size)
        xpad = pad_nchw(x, self.pad, 0.0, extra)
        acc = sum(xpad[spatial_slice(i, j, self.stride, size)] for i, j in self._offsets())
        self._d = self._divisor(xp, x.shape, size, x.dtype)
        self._shapes = (x.shape, xpad.shape)
        return acc / self._d

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        in_shape, pad_shape = self._shapes
        dxpad = xp.zeros(pad_shape, dtype=dzdy.dtype)
        share = dzdy / self._d
        for i, j in self._offsets():
            dxpad[spatial_slice(i, j, self.stride, dzdy.shape[2:])] += share
        return xp.ascontiguousarray(crop_padding(dxpad, self.pad, in_shape))


class GlobalAvgPool(Layer):
    """y[n, c, 0, 0] = mean over (H, W) of x[n, c]; dz/dx = dz/dy / (H W)."""

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        return (in_shape[0], in_shape[1], 1, 1)

    def geometry(self, in_shape=None):
        """A kernel as large as the input, so it needs the input's size."""
        if in_shape is None:
            self.fail("a global pool's receptive field depends on its input size: "
                      "pass in_shape to Net.receptive_field")
        h, w = in_shape[2:]
        return (h, w, h, w, 0, 0)

    def forward(self, x):
        self.check_input(x)
        self._shape = x.shape
        return x.mean(axis=(2, 3), keepdims=True)

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        h, w = self._shape[2:]
        return xp.broadcast_to(dzdy / (h * w), self._shape).copy()


def max_pool2d(x, kernel, stride=None, pad=0, ceil=False):
    return MaxPool2d(kernel, stride, pad, ceil).forward(x)


def avg_pool2d(x, kernel, stride=None, pad=0, ceil=False, count_pad=True):
    return AvgPool2d(kernel, stride, pad, ceil, count_pad).forward(x)
