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

Implementation: im2col. The windows of x~ are gathered into a matrix
``cols`` (G, C/G*kh*kw, N*Ho*Wo) and each group is one matrix product, so the
time goes to BLAS (or cuBLAS). Backward to the input is the transposed
product followed by col2im, a loop over the kh*kw kernel offsets (never over
pixels or images) adding each offset's slab into a strided slice of dz/dx~.
A batch whose window matrix would exceed ``COLS_BYTES`` runs in chunks of
images (one GEMM per chunk), so that it stays as fast per image as one image.

Conventions: weights are (out, in/groups, kh, kw) as in Caffe and PyTorch;
MatConvNet stores (kh, kw, in/groups, out) and Keras (kh, kw, in, out)
(transpose with ``w.transpose(3, 2, 0, 1)``). Caffe's ``pad`` is symmetric;
MatConvNet's [top bottom left right] is ours.
"""
from minigrad import backend
from minigrad.layer import Layer

from .windows import crop_padding, four, out_size, pad_nchw, two, window_view


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
    def _cols(self, x, size):
        """(G, C/G*kh*kw, N*Ho*Wo) matrix of input windows."""
        n, c = x.shape[:2]
        o, cg, kh, kw = self.params["w"].shape
        g = self.groups
        if (kh, kw) == (1, 1) and self.stride == (1, 1) and self.pad == (0, 0, 0, 0):
            v = x.reshape(n, g, cg, 1, 1, *size)  # NOTE: no window copy needed
        else:
            v = window_view(pad_nchw(x, self.pad), (kh, kw), self.stride, size)
            v = v.reshape(n, g, cg, kh, kw, *size)
        return v.transpose(1, 2, 3, 4, 0, 5, 6).reshape(g, cg * kh * kw, -1)

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
        y = self._forward(x, o, (ho, wo)) if len(chunks) == 1 else \
            xp.concatenate([self._forward(x[s], o, (ho, wo)) for s in chunks])
        if "b" in self.params:
            y += self.params["b"].reshape(1, o, 1, 1)
        self._x = x
        return y

    def _forward(self, x, o, size):
        xp = backend.get_array_module(x)
        y = xp.matmul(self.params["w"].reshape(self.groups, o // self.groups, -1),
                      self._cols(x, size))
        y = y.reshape(o, x.shape[0], *size).transpose(1, 0, 2, 3)
        return xp.ascontiguousarray(y)  # a fresh array: safe to add the bias in place

    def _w_col2im(self):
        """Weights as (G, kh*kw*C/G, O/G): W^T with the kernel offset outermost,
        so the slab each offset sends back to x is contiguous. Cached while
        ``params['w']`` is the same array."""
        w = self.params["w"]
        if getattr(self, "_wt_of", None) is not w:
            xp = backend.get_array_module(w)
            o, cg, kh, kw = w.shape
            g = self.groups
            self._wt = xp.ascontiguousarray(
                w.reshape(g, o // g, cg, kh, kw).transpose(0, 3, 4, 2, 1)
                .reshape(g, kh * kw * cg, o // g))
            self._wt_of = w
        return self._wt

    def backward(self, dzdy):
        x, xp = self._x, backend.get_array_module(dzdy)
        chunks = self._chunks(x, dzdy.shape[2:])
        if self.param_grads:
            self.grads["w"] = sum(self._weight_grad(x[s], dzdy[s]) for s in chunks)
            if "b" in self.params:
                self.grads["b"] = dzdy.sum(axis=(0, 2, 3))
        if len(chunks) == 1:
            return self._backward(x, dzdy)
        return xp.concatenate([self._backward(x[s], dzdy[s]) for s in chunks])

    def _dy(self, dzdy):
        """dz/dy as the (G, O/G, N*Ho*Wo) matrix the products need."""
        o, g = dzdy.shape[1], self.groups
        return dzdy.transpose(1, 0, 2, 3).reshape(g, o // g, -1)

    def _weight_grad(self, x, dzdy):
        xp = backend.get_array_module(dzdy)
        return xp.matmul(self._dy(dzdy), self._cols(x, dzdy.shape[2:]).transpose(0, 2, 1)
                         ).reshape(self.params["w"].shape)

    def _backward(self, x, dzdy):
        w = self.params["w"]
        xp = backend.get_array_module(dzdy)
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        g, (ho, wo) = self.groups, dzdy.shape[2:]
        dy = self._dy(dzdy)
        pointwise = (kh, kw) == (1, 1) and self.stride == (1, 1) and self.pad == (0, 0, 0, 0)
        if pointwise or (ho, wo, h, wd) == (1, 1, kh, kw) and self.pad == (0, 0, 0, 0):
            # NOTE: 1x1 kernels and fully connected layers need no col2im:
            # W^T dy already is dz/dx, laid out (C, kh, kw, N).
            dcols = xp.matmul(w.reshape(g, o // g, -1).transpose(0, 2, 1), dy)
            dzdx = dcols.reshape(c, n, h, wd) if pointwise else \
                dcols.reshape(c, h, wd, n).transpose(0, 3, 1, 2)
            return xp.ascontiguousarray(dzdx.transpose(1, 0, 2, 3))
        # dcols[g, i, j, c, n, v, u]: what kernel offset (i, j) sends back
        dcols = xp.matmul(self._w_col2im(), dy).reshape(g, kh, kw, cg, n, ho, wo)
        t, b, l, r = self.pad
        dxpad = xp.zeros((n, g, cg, h + t + b, wd + l + r), dtype=dzdy.dtype)
        sh, sw = self.stride
        for i in range(kh):
            for j in range(kw):
                dxpad[..., i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += \
                    dcols[:, i, j].transpose(2, 0, 1, 3, 4)
        dxpad = dxpad.reshape(n, c, h + t + b, wd + l + r)
        return xp.ascontiguousarray(crop_padding(dxpad, self.pad, x.shape))


def _is_float(a):
    return getattr(getattr(a, "dtype", None), "kind", "") == "f"


def conv2d(x, w, b=None, stride=1, pad=0, groups=1):
    """Functional form: ``Conv2d(w, b, stride, pad, groups).forward(x)``."""
    return Conv2d(w, b, stride, pad, groups).forward(x)
