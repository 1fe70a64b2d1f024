"""2-D convolution (cross-correlation), with stride, asymmetric padding,
groups and bias. Fully connected layers are convolutions whose kernel covers
the whole input.

Shapes
    x (N, C, H, W), w (O, C/G, kh, kw), b (O,), y (N, O, Ho, Wo),
    Ho = (H + pt + pb - kh) // sh + 1   (likewise Wo).

Forward (g = o // (O/G) is the group of output channel o)
    y[n,o,v,u] = b[o] + sum_{c,i,j} w[o,c,i,j] x~[n, g*C/G + c, v*sh + i, u*sw + j]
    where x~ is x zero-padded by (pt, pb, pl, pr).

Backward (dz/dy form)
    dz/dx~[n, g*C/G + c, v*sh + i, u*sw + j] += sum_o w[o,c,i,j] dz/dy[n,o,v,u]
    dz/dw[o,c,i,j] = sum_{n,v,u} dz/dy[n,o,v,u] x~[n, g*C/G + c, v*sh+i, u*sw+j]
    dz/db[o]       = sum_{n,v,u} dz/dy[n,o,v,u]
    and dz/dx is dz/dx~ with the padding cropped.

Implementation: im2col (``layers/im2col.py``). The windows of x~ are
gathered into a matrix and each group is one matrix product, so the time
goes to BLAS (or cuBLAS); backward to the input is the transposed product
followed by col2im. 1x1 kernels and fully connected layers skip both.
A batch whose window matrix would exceed ``COLS_BYTES`` runs in chunks of
images (one GEMM per chunk), so that it stays as fast per image as one image.

Conventions: weights are (out, in/groups, kh, kw) as in Caffe and PyTorch;
MatConvNet stores (kh, kw, in/groups, out) and Keras (kh, kw, in, out)
(transpose with ``w.transpose(3, 2, 0, 1)``). Caffe's ``pad`` is symmetric;
MatConvNet's [top bottom left right] is ours.
"""
from minigrad import backend
from minigrad.layer import Layer

from .im2col import channels_last, col2im, pointwise, window_matrix
from .windows import four, out_size, two


# Largest window matrix (im2col) built at once; bigger batches go in chunks.
COLS_BYTES = 32 * 2**20


class Conv2d(Layer):
    def __init__(self, w, b=None, stride=1, pad=0, groups=1, name=None):
        super().__init__(name)
        w = backend.asarray(w, getattr(w, "dtype", None) if _is_float(w) else None)
        if w.ndim != 4:
            raise ValueError(f"layer '{self.name}': weights must be (out, in/groups, "
                             f"kh, kw), got shape {tuple(w.shape)}")
        self.params["w"] = w
        if b is not None:
            b = backend.asarray(b, w.dtype)
            if b.shape != (w.shape[0],):
                raise ValueError(f"layer '{self.name}': bias shape {tuple(b.shape)} "
                                 f"does not match {w.shape[0]} output channels")
            self.params["b"] = b
        self._cache, self._cache_of = {}, None  # weight layouts, see _w_copy
        self.stride, self.pad, self.groups = two(stride), four(pad), int(groups)
        if w.shape[0] % self.groups:
            raise ValueError(f"layer '{self.name}': {w.shape[0]} output channels do "
                             f"not split into {self.groups} groups")
        if min(self.stride) < 1 or min(self.pad) < 0 or self.groups < 1:
            raise ValueError(f"layer '{self.name}': need stride >= 1, pad >= 0, "
                             f"groups >= 1; got {self.stride}, {self.pad}, {self.groups}")

    def geometry(self, in_shape=None):
        _, _, kh, kw = self.params["w"].shape
        return (kh, kw, *self.stride, self.pad[0], self.pad[2])

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        n, c, h, w = in_shape
        o, cg, kh, kw = self.params["w"].shape
        if c != cg * self.groups:
            self.fail(f"input has {c} channels but the weights {tuple(self.params['w'].shape)} "
                      f"with {self.groups} group(s) expect {cg * self.groups}")
        t, b, l, r = self.pad
        if h + t + b < kh or w + l + r < kw:
            self.fail(f"kernel {kh}x{kw} is larger than the padded input "
                      f"{h + t + b}x{w + l + r} (input {tuple(in_shape)}, pad {self.pad})")
        return (n, o, out_size(h, kh, self.stride[0], t, b),
                out_size(w, kw, self.stride[1], l, r))

    # -- im2col ---------------------------------------------------------
    def _kernel(self):
        return tuple(self.params["w"].shape[2:])

    def _channels_last(self, size):
        """Gather the windows channels last (``im2col.channels_last``)?"""
        return channels_last(self.params["w"].shape[1], self._kernel(), self.stride,
                             self.pad, size)

    # -- the weights as the products need them ----------------------------
    def _w_copy(self, axes, shape):
        """The weights seen as (G, O/G, C/G, kh, kw), axes permuted by
        ``axes``, as a contiguous array of ``shape``; cached while
        ``params['w']`` is the same array."""
        w = self.params["w"]
        if self._cache_of is not w:
            self._cache, self._cache_of = {}, w
        if axes not in self._cache:
            o, cg, kh, kw = w.shape
            xp = backend.get_array_module(w)
            self._cache[axes] = xp.ascontiguousarray(
                w.reshape(self.groups, o // self.groups, cg, kh, kw).transpose(axes)
            ).reshape(shape)
        return self._cache[axes]

    def _w_matrix(self, last):
        """W as (G, O/G, C/G*kh*kw), its columns in the order of the window
        matrix's rows: (C/G, kh, kw), a view, or ``last`` (kh, kw, C/G)."""
        o, g = self.params["w"].shape[0], self.groups
        if not last:
            return self.params["w"].reshape(g, o // g, -1)
        return self._w_copy((0, 1, 3, 4, 2), (g, o // g, -1))

    def _w_col2im(self):
        """Weights as (G, kh*kw*C/G, O/G): W^T with the kernel offset
        outermost, so the slab each offset sends back to x is contiguous
        (the layout ``col2im`` reads)."""
        o, g = self.params["w"].shape[0], self.groups
        return self._w_copy((0, 3, 4, 2, 1), (g, -1, o // g))

    # -- batches in chunks ----------------------------------------------
    def _chunks(self, x, size):
        """Batch slices whose window matrix stays under ``COLS_BYTES``: one
        GEMM over the whole batch would be fastest if memory were free, but a
        window matrix beyond the caches makes every pass memory bound (VGG-19
        conv1_2 at 224x224: 115 MB per image); chunks keep batch > 1 as fast
        per image as batch 1 there."""
        _, cg, kh, kw = self.params["w"].shape
        per_image = cg * self.groups * kh * kw * size[0] * size[1] * x.dtype.itemsize
        step = max(1, COLS_BYTES // max(per_image, 1))
        return [slice(i, i + step) for i in range(0, x.shape[0], step)]

    def forward(self, x):
        _, o, ho, wo = self.out_shape(x.shape)
        xp = backend.get_array_module(x)
        chunks = self._chunks(x, (ho, wo))
        last = self._channels_last((ho, wo))
        y = self._forward(x, o, (ho, wo), last) if len(chunks) == 1 else \
            xp.concatenate([self._forward(x[s], o, (ho, wo), last) for s in chunks])
        if "b" in self.params:
            y += self.params["b"].reshape(1, o, 1, 1)
        self._x = x
        return y

    def _cols(self, x, size, last):
        return window_matrix(x, self._kernel(), self.stride, self.pad, self.groups, size, last)

    def _forward(self, x, o, size, last):
        xp = backend.get_array_module(x)
        y = xp.matmul(self._w_matrix(last), self._cols(x, size, last))
        y = y.reshape(o, x.shape[0], *size).transpose(1, 0, 2, 3)
        return xp.ascontiguousarray(y)  # a fresh array: safe to add the bias in place

    def backward(self, dzdy):
        x, xp = self._x, backend.get_array_module(dzdy)
        size = dzdy.shape[2:]
        chunks, last = self._chunks(x, size), self._channels_last(size)
        if self.param_grads:
            self.grads["w"] = sum(self._weight_grad(x[s], dzdy[s], last) for s in chunks)
            if "b" in self.params:
                self.grads["b"] = dzdy.sum(axis=(0, 2, 3))
        if len(chunks) == 1:
            return self._backward(x, dzdy, last)
        return xp.concatenate([self._backward(x[s], dzdy[s], last) for s in chunks])

    def _dy(self, dzdy):
        """dz/dy as the (G, O/G, N*Ho*Wo) matrix the products need."""
        o, g = dzdy.shape[1], self.groups
        return dzdy.transpose(1, 0, 2, 3).reshape(g, o // g, -1)

    def _weight_grad(self, x, dzdy, last):
        xp = backend.get_array_module(dzdy)
        dw = xp.matmul(self._dy(dzdy), self._cols(x, dzdy.shape[2:], last).transpose(0, 2, 1))
        o, cg, kh, kw = self.params["w"].shape
        if last:  # columns (kh, kw, C/G) back to (C/G, kh, kw)
            dw = dw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2)
        return dw.reshape(o, cg, kh, kw)

    def _backward(self, x, dzdy, last):
        w = self.params["w"]
        xp = backend.get_array_module(dzdy)
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g, (ho, wo) = self.groups, dzdy.shape[2:]
        dy = self._dy(dzdy)
        point = pointwise((kh, kw), self.stride, self.pad)
        if point or (ho, wo, h, wd) == (1, 1, kh, kw) and self.pad == (0, 0, 0, 0):
            # NOTE: 1x1 kernels and fully connected layers need no col2im:
            # W^T dy already is dz/dx, laid out (C, kh, kw, N).
            dcols = xp.matmul(w.reshape(g, o // g, -1).transpose(0, 2, 1), dy)
            dzdx = dcols.reshape(c, n, h, wd) if point else \
                dcols.reshape(c, h, wd, n).transpose(0, 3, 1, 2)
            return xp.ascontiguousarray(dzdx.transpose(1, 0, 2, 3))
        if last:  # dcols (G, N*Ho*Wo, kh*kw*C/G)
            dcols = xp.matmul(dy.transpose(0, 2, 1), self._w_matrix(last))
        else:  # dcols (G, kh*kw*C/G, N*Ho*Wo)
            dcols = xp.matmul(self._w_col2im(), dy)
        return col2im(dcols, x.shape, (kh, kw), self.stride, self.pad, g, (ho, wo), last)


def _is_float(a):
    return getattr(getattr(a, "dtype", None), "kind", "") == "f"


def conv2d(x, w, b=None, stride=1, pad=0, groups=1):
    """Functional form: ``Conv2d(w, b, stride, pad, groups).forward(x)``."""
    return Conv2d(w, b, stride, pad, groups).forward(x)
