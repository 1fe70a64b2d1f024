"""HOG block normalisation: block energies, UoCTTI factors, the 0.2 clamp and
the assembly of the four block copies into cell descriptors.

Input h (N, 2K, Hc, Wc): the raw directed cell histograms (``CellPool``).
Write ha = h[k], hb = h[k+K], hc = ha + hb (undirected), k < K.

BlockNorm(border, eps, floor): h -> y (N, 4*3K, Hc, Wc)
    E[i,j] = sum_k hc[k,i,j]^2                        (cell energy)
    S_b[i,j] = sum of E over the 2x2 block b of cell (i,j), blocks in the
               order b = UL, UR, DL, DR (UL = cells i-1..i, j-1..j, ...).
        border "clamp" (VLFeat): neighbour indices clamped into the grid,
               so at the border a block reuses cells (for (0,0), UL is
               E[0,0] four times);
        border "zero" (the authors' network): blocks that leave the grid
               are dropped (their copies are 0).
    f_b = 1/sqrt(S_b + eps)          (VLFeat ``vl_hog_extract``, eps = 1e-4)
        = 1/max(sqrt(S_b), floor)    (when ``floor`` is given: the authors'
                                      network, eps = 0, floor = 1e-6)
    y[b*3K + p*K + k] = f_b * (ha, hb, hc)[p][k],  p = 0, 1, 2.
    Backward: dz/dh_parts = sum_b f_b dz/dy_b;  dz/dS_b = f_b' sum dz/dy_b*parts
    (f' = -1/2 (S+eps)^-3/2); dz/dE = sum of dz/dS over the blocks containing
    the cell (the transposed clamping); dz/dhc += 2 hc dz/dE;
    dz/dha = dz/dpart_a + dz/dhc, dz/dhb = dz/dpart_b + dz/dhc.
    Computed in float64 whatever the input dtype (VLFeat normalises in
    double), returned in the input dtype.

Clamp(0.2): y = min(x, 0.2);  dz/dx = dz/dy [x < 0.2].

HogAssemble(K, variant): y (N, 4*3K, Hc, Wc) -> cell descriptors
    "uoctti" (3K + 4, VLFeat default): dims 0..3K-1 = 0.5 sum_b y_b (directed
        0..K-1, directed K..2K-1 = opposite directions, undirected), dims
        3K + b = (1/sqrt 18) sum_k y_b[2K + k] ("texture", b = UL, UR, DL, DR).
    "dalaltriggs" (4K): dim K*b + k = y_b[2K + k].
    "paper" (3K): the first 3K UoCTTI dims (the authors' 27-d network).
    A fixed linear map; backward is its transpose.
"""
from minigrad import backend
from minigrad.layer import Layer

VARIANTS = ("uoctti", "dalaltriggs", "paper")
# NOTE: 1/sqrt(18) whatever K; VLFeat's stored outputs match it to 1e-7
# (the rounded 0.2357 would be off by 4e-6).
TEXTURE = float(1 / 18 ** 0.5)


def _pad1(e, mode):
    xp = backend.get_array_module(e)
    return xp.pad(e, ((0, 0), (0, 0), (1, 1), (1, 1)),
                  mode="edge" if mode == "clamp" else "constant")


def _pad1_t(d, mode):
    """Adjoint of ``_pad1``."""
    if mode != "clamp":
        return d[..., 1:-1, 1:-1]
    d = d.copy()
    d[..., 1, :] += d[..., 0, :]
    d[..., -2, :] += d[..., -1, :]
    d[..., :, 1] += d[..., :, 0]
    d[..., :, -2] += d[..., :, -1]
    return d[..., 1:-1, 1:-1]


def _box2(a):
    """Sums of 2x2 windows (valid): (.., h, w) -> (.., h-1, w-1)."""
    return a[..., :-1, :-1] + a[..., 1:, :-1] + a[..., :-1, 1:] + a[..., 1:, 1:]


def _box2_t(d):
    xp = backend.get_array_module(d)
    return _box2(xp.pad(d, ((0, 0), (0, 0), (1, 1), (1, 1))))


class BlockNorm(Layer):
    def __init__(self, num_orientations=9, border="clamp", eps=1e-4, floor=None, name=None):
        super().__init__(name)
        if border not in ("clamp", "zero"):
            raise ValueError(f"layer '{self.name}': border must be 'clamp' or 'zero', "
                             f"got {border!r}")
        self.k, self.border = int(num_orientations), border
        self.eps, self.floor = float(eps), floor

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if in_shape[1] != 2 * self.k:
            self.fail(f"expects {2 * self.k} directed histogram channels, got "
                      f"shape {tuple(in_shape)}")
        return (in_shape[0], 12 * self.k, *in_shape[2:])

    def _blocks(self, s):
        """(N, 4, 1, 1, Hc, Wc) from the (N, 1, Hc+1, Wc+1) block sums."""
        xp = backend.get_array_module(s)
        b = xp.stack([s[..., :-1, :-1], s[..., :-1, 1:], s[..., 1:, :-1], s[..., 1:, 1:]], 1)
        return b[:, :, :, None]

    def _valid(self, shape, xp):
        n, _, hc, wc = shape
        ones = xp.ones((1, 1, hc - 1, wc - 1))
        return self._blocks(xp.pad(ones, ((0, 0), (0, 0), (1, 1), (1, 1))))

    def forward(self, h):
        self.check_input(h)
        xp = backend.get_array_module(h)
        self._dtype = h.dtype
        h = h.astype(xp.float64)
        k = self.k
        parts = xp.stack([h[:, :k], h[:, k:], h[:, :k] + h[:, k:]], 1)  # (N,3,K,Hc,Wc)
        s_b = self._blocks(_box2(_pad1((parts[:, 2] ** 2).sum(1, keepdims=True),
                                       self.border)))
        if self.floor is None:
            f = 1 / xp.sqrt(s_b + self.eps)
            self._df = -0.5 * f ** 3
        else:
            root = xp.sqrt(s_b + self.eps)
            f = 1 / xp.maximum(root, self.floor)
            self._df = xp.where(root > self.floor, -0.5 * f ** 3, 0)
        if self.border == "zero":
            f = f * self._valid(h.shape, xp)
        self._f, self._parts = f, parts
        y = f * parts[:, None]  # (N, 4, 3, K, Hc, Wc)
        return y.reshape(h.shape[0], -1, *h.shape[2:]).astype(self._dtype)

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        parts, f = self._parts, self._f
        dy = dzdy.astype(xp.float64).reshape(parts.shape[0], 4, *parts.shape[1:])
        dparts = (f * dy).sum(1)
        ds = (dy * parts[:, None]).sum((2, 3))[:, :, None, None] * self._df
        if self.border == "zero":
            ds = ds * self._valid(dzdy.shape, xp)
        ds = ds[:, :, 0, 0]  # (N, 4, Hc, Wc) -> scatter back to the block sums
        n, _, hc, wc = ds.shape
        dsum = xp.zeros((n, 1, hc + 1, wc + 1))
        dsum[:, 0, :-1, :-1] += ds[:, 0]
        dsum[:, 0, :-1, 1:] += ds[:, 1]
        dsum[:, 0, 1:, :-1] += ds[:, 2]
        dsum[:, 0, 1:, 1:] += ds[:, 3]
        de = _pad1_t(_box2_t(dsum), self.border)
        dhc = dparts[:, 2] + 2 * parts[:, 2] * de
        return xp.concatenate([dparts[:, 0] + dhc, dparts[:, 1] + dhc],
                              axis=1).astype(self._dtype)


class Clamp(Layer):
    def __init__(self, max_value=0.2, name=None):
        super().__init__(name)
        self.max_value = float(max_value)

    def forward(self, x):
        self.check_input(x)
        self._below = x < x.dtype.type(self.max_value)
        backend_xp = backend.get_array_module(x)
        return backend_xp.minimum(x, x.dtype.type(self.max_value))

    def backward(self, dzdy):
        return dzdy * self._below


class HogAssemble(Layer):
    def __init__(self, num_orientations=9, variant="uoctti", name=None):
        super().__init__(name)
        if variant not in VARIANTS:
            raise ValueError(f"layer '{self.name}': unknown HOG variant {variant!r}; "
                             f"expected one of {VARIANTS}")
        self.k, self.variant = int(num_orientations), variant

    def out_shape(self, in_shape):
        self.check_rank(in_shape)
        if in_shape[1] != 12 * self.k:
            self.fail(f"expects {12 * self.k} block channels, got {tuple(in_shape)}")
        d = {"uoctti": 3 * self.k + 4, "dalaltriggs": 4 * self.k, "paper": 3 * self.k}
        return (in_shape[0], d[self.variant], *in_shape[2:])

    def forward(self, x):
        self.check_input(x)
        xp = backend.get_array_module(x)
        n, _, hc, wc = x.shape
        k, dt = self.k, x.dtype.type
        b = x.reshape(n, 4, 3 * k, hc, wc)
        if self.variant == "dalaltriggs":
            return b[:, :, 2 * k:].reshape(n, 4 * k, hc, wc)
        cells = dt(0.5) * b.sum(1)
        if self.variant == "paper":
            return cells
        texture = dt(TEXTURE) * b[:, :, 2 * k:].sum(2)
        return xp.concatenate([cells, texture], axis=1)

    def backward(self, dzdy):
        xp = backend.get_array_module(dzdy)
        n, _, hc, wc = dzdy.shape
        k, dt = self.k, dzdy.dtype.type
        if self.variant == "dalaltriggs":
            und = dzdy.reshape(n, 4, k, hc, wc)
            return xp.concatenate([xp.zeros((n, 4, 2 * k, hc, wc), dzdy.dtype), und],
                                  axis=2).reshape(n, 12 * k, hc, wc)
        d = xp.broadcast_to(dt(0.5) * dzdy[:, None, :3 * k], (n, 4, 3 * k, hc, wc)).copy()
        if self.variant == "uoctti":
            d[:, :, 2 * k:] += dt(TEXTURE) * dzdy[:, 3 * k:, None]
        return d.reshape(n, 12 * k, hc, wc)
