"""HOG's hard orientation binning and bilinear cells in one layer.

HardCells(K, cs, grid): (m, g) -> h (N, 2K, Hc, Wc), with m = |g| from
GradientNorm and g the gradient map, is the composition

    Directional(K) -> OrientationGate(K, "hard") -> CellPool(cs, grid)

(``layers.orientation``, ``layers.cellpool``) without its intermediate
arrays. In hard mode each pixel p puts its magnitude m_p into one directed
bin d0_p, and the bilinear cells give it to at most two cells along each
axis, so

    h[n, d, i, j] = sum_p [d0_p = d] ay_i(p_y) ax_j(p_x) m_p

has at most four terms per pixel. The composition builds the 2K planes of
projections, the 2K one-hot planes (all but one of them zero at every
pixel) and pools all 2K; here the projections are computed one axis at a
time while choosing d0 (the same float32 products as ``Directional``, so
the same bins), and the four terms per pixel are added straight into the
cells (a weighted histogram over the flat index (n, d0, i, j)). The sums
run in float64 and are rounded to the input's dtype once; VLFeat adds in
float32 pixel by pixel, so both differ from the exact sum by float32
rounding.

    backward: dz/dm_p = sum_{i, j} ay_i(p_y) ax_j(p_x) dz/dh[n, d0_p, i, j]
              (four gathered terms per pixel; dz/dg = 0: the bin choice is
              piecewise constant);
    surrogate: also the bilinear gate's angular term of
              ``OrientationGate`` (there: dz/dg from dz/dh at d0 and at the
              runner-up d1), with dz/dh at d1 gathered the same way.

The weights ay, ax are CellPool's (``poolweights.hog_cells``, VLFeat's
float32 recipe), read from its dense matrices: at most two cells per pixel
and axis. HardCells is an ``OrientationGate`` (mode "hard"): an inversion's
``surrogate`` option finds and switches it as it does the gate.
With it the HOG network's forward and backward at 227x227 take 5.0
instead of 17.1 ms (docs/speed.md); ``tests/layers/test_hogcells.py``
checks it against the composition.
"""
import numpy

from minigrad import backend

from .cellpool import _KERNELS, CellPool
from .orientation import OrientationGate
from .poolweights import dense


def _axis_taps(a):
    """For the (cells, n) matrix a: (idx, w), each (2, n): the (at most two)
    cells each position feeds and their weights (weight 0 for a missing one)."""
    cells, n = a.shape
    idx, w = numpy.zeros((2, n), numpy.int64), numpy.zeros((2, n))
    for p in range(n):
        on = numpy.flatnonzero(a[:, p])
        if len(on) > 2:
            raise ValueError(f"a pixel feeds {len(on)} cells: not a bilinear tent")
        idx[:len(on), p], w[:len(on), p] = on, a[on, p]
    return idx, w


class HardCells(OrientationGate):
    """Hard orientation bins pooled into HOG cells (module docstring)."""
    n_inputs = 2

    def __init__(self, num_orientations=9, cell_size=8, grid="vlfeat", name=None,
                 surrogate=False):
        super().__init__(num_orientations, "hard", name, surrogate)
        self.cells = CellPool(cell_size, grid)

    def out_shape(self, in_shapes):
        m, g = (tuple(a) for a in in_shapes)
        for a in in_shapes:
            self.check_rank(a)
        n, _, h, w = m
        if m != (n, 1, h, w) or g != (n, 2, h, w):
            self.fail(f"expects (m, g) of shapes (N, 1, H, W), (N, 2, H, W); got {m}, {g}")
        return self.cells.out_shape((n, 2 * self.k, h, w))

    def _taps(self, h, w, like):
        """(idx, w): the four (cell row, cell column) terms of every pixel as
        flat cell indices i*Wc + j, (4, H*W) int, and weights ay*ax, (4, H*W)
        float64 and in like's dtype; cached per size."""
        xp = backend.get_array_module(like)
        key = ("taps", h, w, self.cells.cell_size, self.cells.grid, like.dtype.str, xp.__name__)
        if key not in _KERNELS:
            (iy, wy), (ix, wx) = (_axis_taps(dense(self.cells.kernel(n), n)) for n in (h, w))
            wc = self.cells.kernel(w).count
            idx = (iy[:, None, :, None] * wc + ix[None, :, None, :]).reshape(4, h * w)
            wt = (wy[:, None, :, None] * wx[None, :, None, :]).reshape(4, h * w)
            _KERNELS[key] = (xp.asarray(idx), xp.asarray(wt), xp.asarray(wt, dtype=like.dtype))
        return _KERNELS[key]

    def _flat(self, d):
        """Flat index of (n, d, 0, 0) in the output, per pixel: (N, H*W)."""
        xp = backend.get_array_module(d)
        n, _, hc, wc = self._out
        plane = (d.reshape(n, -1).astype(xp.int64)
                 + xp.arange(n, dtype=xp.int64).reshape(n, 1) * (2 * self.k))
        return plane * (hc * wc)

    def forward(self, m, g):
        self._out = self.check_input((m, g))
        xp = backend.get_array_module(g)
        self._m, self._g = m, g
        c, sn = (v.reshape(-1) for v in self._vectors(g))
        gx, gy = g[:, :1], g[:, 1:]
        # NOTE: gx*c_i + gy*s_i rounds as Directional's (the same two products)
        self._d0, self._d1 = self._best(lambda i: gx * c[i] + gy * sn[i],
                                        lambda kk: gx * c[kk] + gy * sn[kk])
        if self.surrogate:
            self._bilinear_weights(g)
        idx, wt, _ = self._taps(*g.shape[2:], g)
        self._base0 = self._flat(self._d0)
        mm = m.reshape(len(m), -1).astype(xp.float64)
        size = int(numpy.prod(self._out))
        h = xp.zeros(size)
        for t in range(4):  # NOTE: four histograms beat one of all four terms (1.4 vs 3.2 ms)
            h += xp.bincount((self._base0 + idx[t]).ravel(), (mm * wt[t]).ravel(),
                             minlength=size)
        return h.astype(g.dtype).reshape(self._out)

    def _gather(self, flat, base):
        """sum_t w_t dz/dh[base + idx_t] per pixel, (N, 1, H, W)."""
        n, _, h, w = self._m.shape
        idx, _, wt = self._taps(h, w, flat)
        out = wt[0] * flat.take(base + idx[0])
        for t in range(1, 4):
            out += wt[t] * flat.take(base + idx[t])
        return out.reshape(n, 1, h, w)

    def backward(self, dzdy):
        flat = dzdy.reshape(-1)
        d0 = self._gather(flat, self._base0)
        if self._d1 is None:  # NOTE: no surrogate in the forward pass
            return d0, None
        return d0, self._angular(d0, self._gather(flat, self._flat(self._d1)))
