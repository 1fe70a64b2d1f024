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

Implementation: im2col, one matrix product per group, col2im. The reference
below (``conv2d_forward``, ``conv2d_backward``) is that path written plainly
in NCHW, the one to read first:

    X = im2col(x~)      (C kh kw, N Ho Wo): column (n, v, u) is the window
                        under output pixel (v, u) of image n
    Y_g = W_g X_g       W_g (O/G, C/G kh kw) the weights of group g as a
                        matrix, X_g its C/G kh kw rows of X
    dX_g = W_g^T dY_g,  dz/dx~ = col2im(dX)   (col2im is the adjoint of im2col)
    dW_g = dY_g X_g^T

so the time goes to BLAS (or cuBLAS). ``Conv2d`` runs the same products
through the faster layouts of ``layers.conv_fast`` (windows gathered
channels last for deep layers, no windows at all for 1x1 kernels and fully
connected layers, batches in chunks); its tests check every layout against
this reference, and ``Conv2d(..., fast=False)`` runs the reference itself.

Conventions: weights are (out, in/groups, kh, kw) as in Caffe and PyTorch;
MatConvNet stores (kh, kw, in/groups, out) and Keras (kh, kw, in, out)
(transpose with ``w.transpose(3, 2, 0, 1)``). Caffe's ``pad`` is symmetric;
MatConvNet's [top bottom left right] is ours.
"""
from minigrad import backend
from minigrad.layer import Layer

from .conv_fast import FastConv
from .windows import crop_padding, four, out_size, pad_nchw, spatial_slice, two


# -- the reference: plain NCHW im2col -> GEMM -> col2im ---------------------
def im2col(xpad, kernel, stride, size):
    """The windows of a padded batch ``xpad`` (N, C, Hp, Wp) as the columns of
    a (C kh kw, N Ho Wo) matrix: X[(c, i, j), (n, v, u)] = xpad[n, c, v sh + i,
    u sw + j], one strided copy per kernel offset (i, j)."""
    xp = backend.get_array_module(xpad)
    n, c = xpad.shape[:2]
    (kh, kw), (ho, wo) = kernel, size
    cols = xp.empty((c, kh, kw, n, ho, wo), dtype=xpad.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xpad[spatial_slice(i, j, stride, size)].transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo)


def col2im(cols, pad_shape, kernel, stride, size):
    """The adjoint of ``im2col``: every column's numbers added back onto the
    pixels of its window, dxpad[n, c, v sh + i, u sw + j] += X[(c, i, j), (n, v, u)]."""
    xp = backend.get_array_module(cols)
    n, c = pad_shape[:2]
    (kh, kw), (ho, wo) = kernel, size
    cols = cols.reshape(c, kh, kw, n, ho, wo)
    dxpad = xp.zeros(pad_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxpad[spatial_slice(i, j, stride, size)] += cols[:, i, j].transpose(1, 0, 2, 3)
    return dxpad


def conv2d_forward(x, w, stride=(1, 1), pad=(0, 0, 0, 0), groups=1):
    """y without the bias, by ``im2col`` and one product per group."""
    xp = backend.get_array_module(x)
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    t, b, l, r = pad
    size = (out_size(h, kh, stride[0], t, b), out_size(wd, kw, stride[1], l, r))
    cols = im2col(pad_nchw(x, pad), (kh, kw), stride, size)
    y = xp.matmul(w.reshape(groups, o // groups, -1), cols.reshape(groups, cg * kh * kw, -1))
    return xp.ascontiguousarray(y.reshape(o, n, *size).transpose(1, 0, 2, 3))


def conv2d_backward(x, w, dzdy, stride=(1, 1), pad=(0, 0, 0, 0), groups=1):
    """(dz/dx, dz/dw) for dz/dy, by the transposed products and ``col2im``."""
    xp = backend.get_array_module(dzdy)
    o, cg, kh, kw = w.shape
    size = dzdy.shape[2:]
    xpad = pad_nchw(x, pad)
    cols = im2col(xpad, (kh, kw), stride, size).reshape(groups, cg * kh * kw, -1)
    dy = dzdy.transpose(1, 0, 2, 3).reshape(groups, o // groups, -1)
    dzdw = xp.matmul(dy, cols.transpose(0, 2, 1)).reshape(o, cg, kh, kw)
    dcols = xp.matmul(w.reshape(groups, o // groups, -1).transpose(0, 2, 1), dy)
    dxpad = col2im(dcols, xpad.shape, (kh, kw), stride, size)
    return xp.ascontiguousarray(crop_padding(dxpad, pad, x.shape)), dzdw


# -- the layer ---------------------------------------------------------------
class Conv2d(Layer):
    def __init__(self, w, b=None, stride=1, pad=0, groups=1, name=None, fast=True):
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
        self.fast = FastConv(self.stride, self.pad, self.groups) if fast else None

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

    def forward(self, x):
        _, o, ho, wo = self.out_shape(x.shape)
        w = self.params["w"]
        if self.fast:
            y = self.fast.forward(x, w, (ho, wo), self.params.get("b"))
        else:
            y = conv2d_forward(x, w, self.stride, self.pad, self.groups)
            if "b" in self.params:
                y += self.params["b"].reshape(1, o, 1, 1)  # NOTE: y is a fresh array
        self._x = x
        return y

    def backward(self, dzdy):
        x, w = self._x, self.params["w"]
        if self.fast:
            dzdx = self.fast.backward(x, w, dzdy)
            if self.param_grads:
                self.grads["w"] = self.fast.weight_grad(x, w, dzdy)
        else:
            dzdx, dzdw = conv2d_backward(x, w, dzdy, self.stride, self.pad, self.groups)
            if self.param_grads:
                self.grads["w"] = dzdw
        if self.param_grads and "b" in self.params:
            self.grads["b"] = dzdy.sum(axis=(0, 2, 3))
        return dzdx


def _is_float(a):
    return getattr(getattr(a, "dtype", None), "kind", "") == "f"


def conv2d(x, w, b=None, stride=1, pad=0, groups=1):
    """Functional form: ``Conv2d(w, b, stride, pad, groups).forward(x)``."""
    return Conv2d(w, b, stride, pad, groups).forward(x)
