"""Winograd's minimal filtering F(2x2, 3x3) for 3x3 stride-1 convolutions
(Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR
2016): 16 multiplications per 2x2 output tile and channel pair instead of
36, so 2.25x fewer in the matrix products, for some additions.

Notation as in ``layers/conv.py``: x~ is x zero-padded, y the
cross-correlation of x~ with w (O, C, 3, 3), Ho x Wo the output. The output
is cut into Th x Tw tiles of 2x2 (Th = ceil(Ho/2)); tile (ty, tx) reads the
4x4 patch d = x~[2ty : 2ty+4, 2tx : 2tx+4] and

    y_tile = A^T [ sum_c (G w[o,c] G^T) (.) (B^T d[c] B) ] A

with (.) the elementwise product and

    B^T = [1  0 -1  0]    G = [ 1    0    0 ]    A^T = [1 1  1  0]
          [0  1  1  0]        [1/2  1/2  1/2]          [0 1 -1 -1]
          [0 -1  1  0]        [1/2 -1/2  1/2]
          [0  1  0 -1]        [ 0    0    1 ]

For each of the 16 positions (r, s) of the 4x4 transformed tile, the sum
over c is one matrix product: M_rs (O, tiles) = U_rs (O, C) V_rs (C, tiles)
(with G groups, one per group: U_rs,g (O/G, C/G) and the group's rows of V)
with U = G w G^T (``kernel_transform``, once per weights) and V = B^T d B
(``input_transform``); y = A^T M A (``output_transform``). A bias b is added
to M_11, which A^T . A spreads to all four outputs of a tile (A[1, :] = 1).

The backward to the input of such a convolution is again one: dz/dx is the
correlation of dz/dy padded by (2 - top, 2 - bottom, 2 - left, 2 - right)
with the kernel flipped in both axes and its in/out channels swapped
within each group (``flipped``), so the same code serves both passes.

Transforms are additions of whole arrays. They never read with a stride
along the fast axis: the padded input is stored with its even and odd
columns apart (``padded_halves``), so that the four columns 2tx + j of a
tile are contiguous runs of two arrays. Tiles are processed in bands of
rows (and chunks of images) whose transformed data fit in ``max_bytes``,
so that V and M stay in the caches and large batches cost no more per
image than one; the bands are independent and run on every core at once
(``minigrad.backend.parallel``), the transforms included.

Arithmetic: the products are the same up to summation order; in float32
the outputs differ from the im2col reference by a few units in the 6th
digit of the largest output (the tests in ``tests/layers/test_conv.py``
bound it).
"""
from minigrad import backend
from minigrad.backend import get_array_module

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def kernel_transform(w, groups=1):
    """U (16, G, O/G, C/G) with U[4r + s, g] = (G w[o, c] G^T)[r, s] for the
    weights w (O, C/G, 3, 3) of G groups, computed in float64 and returned
    in w's dtype."""
    xp = get_array_module(w)
    o, cg = w.shape[:2]
    g = xp.asarray(_G, dtype=xp.float64)
    u = xp.einsum("ri,ocij,sj->rsoc", g, w.astype(xp.float64), g)
    return xp.ascontiguousarray(u.reshape(16, groups, o // groups, cg).astype(w.dtype))


def flipped(w, groups=1):
    """The kernel of the backward correlation, per group g:
    w'[g, c, o, i, j] = w[g, o, c, 2-i, 2-j], as (C, O/G, 3, 3)."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1]
    return w.transpose(0, 2, 1, 3, 4).reshape(groups * cg, o // groups, kh, kw)


def backward_pad(pad):
    """Padding of dz/dy for the backward correlation (forward padding at
    most 2 on every side)."""
    return tuple(2 - p for p in pad)


def padded_halves(x, pad, rows, halves):
    """x~ with its columns split by parity: q[n, c, r, p, t] = x~[n, c, r, 2t + p],
    ``rows`` rows and ``halves`` columns of each parity, zeros outside x."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    t, l = pad[0], pad[2]
    q = xp.empty((n, c, rows, 2, halves), dtype=x.dtype)
    q[:, :, :t] = 0
    q[:, :, t + h:] = 0
    for p in (0, 1):
        j0 = (p - l) % 2                       # first column of x landing on parity p
        first, count = (l + j0) // 2, len(range(j0, w, 2))
        q[:, :, t:t + h, p, :first] = 0
        q[:, :, t:t + h, p, first + count:] = 0
        q[:, :, t:t + h, p, first:first + count] = x[..., j0::2]
    return q


def input_transform(q, tw, out):
    """V = B^T d B for every tile of the band ``q`` (n, C, 2 bt + 2, 2, tw + 1)
    (``padded_halves`` rows), into ``out`` (4, 4, C, n, bt, tw)."""
    xp = get_array_module(q)
    n, c, rows = q.shape[:3]
    bt = (rows - 2) // 2
    even, odd = q[..., 0, :], q[..., 1, :]
    e0, e1, o0, o1 = even[..., :tw], even[..., 1:], odd[..., :tw], odd[..., 1:]
    col = xp.empty((4, n, c, rows, tw), dtype=q.dtype)  # d B along the columns
    xp.subtract(e0, e1, out=col[0])
    xp.add(o0, e1, out=col[1])
    xp.subtract(e1, o0, out=col[2])
    xp.subtract(o0, o1, out=col[3])
    for s in range(4):
        d = [col[s][:, :, k:k + 2 * bt:2] for k in range(4)]  # rows 2ty + k
        v = out[:, s].transpose(0, 2, 1, 3, 4)                 # (4, n, C, bt, tw)
        xp.subtract(d[0], d[2], out=v[0])
        xp.add(d[1], d[2], out=v[1])
        xp.subtract(d[2], d[1], out=v[2])
        xp.subtract(d[1], d[3], out=v[3])
    return out


def output_transform(m, y):
    """y_tile = A^T M A: m (4, 4, O, n, bt, tw) into ``y`` (n, O, rows, cols),
    the band's outputs (rows <= 2 bt, cols <= 2 tw: a last odd row or column
    of tiles is cut)."""
    xp = get_array_module(m)
    rows, cols = y.shape[2:]
    p = xp.empty((2,) + m.shape[1:], dtype=m.dtype)     # A^T M along the rows
    xp.add(m[1], m[2], out=p[0])
    p[0] += m[0]
    xp.subtract(m[1], m[2], out=p[1])
    p[1] -= m[3]
    t = xp.empty(m.shape[2:], dtype=m.dtype)
    for a in range(2):
        pa = p[a]
        for b in range(2):
            if b == 0:
                xp.add(pa[1], pa[2], out=t)
                t += pa[0]
            else:
                xp.subtract(pa[1], pa[2], out=t)
                t -= pa[3]
            dest = y[:, :, a::2, b::2]
            dest[...] = t.transpose(1, 0, 2, 3)[:, :, :dest.shape[2], :dest.shape[3]]
    return y


def correlate(x, u, pad, size, bias=None, max_bytes=2 * 2**20, min_tiles=256,
              split_bytes=64 * 2**20):
    """y (N, O, Ho, Wo) = the stride-1 cross-correlation of x (N, C, H, W)
    zero-padded by ``pad`` (top, bottom, left, right) with the 3x3 kernel
    whose ``kernel_transform`` is ``u`` (16, G, O/G, C/G), plus ``bias``
    (O,) if given.

    Tiles go through the products in jobs of whole tile rows (or whole
    images) of at least ``min_tiles`` tiles (fewer make the products slow)
    and otherwise as many as keep the transformed tiles within
    ``max_bytes``; the jobs run on every core (``minigrad.backend.parallel``),
    at least two per core. Where the tiles are too few for that (small maps,
    small batches: VGG-19's 28x28 and 14x14 maps at batch 1) and their
    transforms fit in ``split_bytes``, all tiles go through one product per
    position instead, the cores sharing out its channels
    (``_by_channels``)."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    g, o = u.shape[1], u.shape[1] * u.shape[2]
    ho, wo = size
    th, tw = -(-ho // 2), -(-wo // 2)
    q = padded_halves(x, pad, 2 * th + 2, tw + 1)
    y = xp.empty((n, o, ho, wo), dtype=x.dtype)
    workers = backend.cpu_workers()
    tile_bytes = 16 * max(c, o) * x.dtype.itemsize  # V or M of one tile
    if n * th * tw < workers * min_tiles and n * th * tw * tile_bytes <= split_bytes:
        return _by_channels(q, u, bias, y, workers)
    tiles = max(min_tiles, max_bytes // tile_bytes)
    tiles = min(tiles, -(-n * th * tw // (2 * workers)))  # NOTE: work for all
    band = max(1, min(th, tiles // tw))
    images = max(1, min(n, tiles // (th * tw))) if band == th else 1

    def job(start):
        i, t0 = start
        nb, bt = min(images, n - i), min(band, th - t0)
        v = xp.empty((4, 4, c, nb, bt, tw), dtype=x.dtype)
        input_transform(q[i:i + nb, :, 2 * t0:2 * (t0 + bt) + 2], tw, v)
        m = xp.matmul(u, v.reshape(16, g, c // g, -1))
        if bias is not None:
            m[5] += bias.reshape(g, o // g, 1)
        output_transform(m.reshape(4, 4, o, nb, bt, tw),  # NOTE: groups' O/G rows in order
                         y[i:i + nb, :, 2 * t0:min(ho, 2 * (t0 + bt))])
    backend.parallel(job, [(i, t0) for i in range(0, n, images) for t0 in range(0, th, band)], xp)
    return y


def _parts(count, parts):
    """``count`` split into at most ``parts`` nearly equal slices."""
    parts = min(parts, count)
    return [slice(i * count // parts, (i + 1) * count // parts) for i in range(parts)]


def _by_channels(q, u, bias, y, workers):
    """``correlate`` for few tiles: every tile of the ``padded_halves`` ``q``
    transformed at once, the cores sharing out the input channels; then one
    product per position and group for all tiles, the cores sharing out
    the output channels (each job transforms back its own rows of M). A
    job of a few tiles re-reads all of U (16 MB for 512 channels) and
    multiplies matrices too narrow to run at full speed; this reads U once.
    Measured on this project's 2-core CPU, forward of VGG-19's 512 -> 512
    convolution at 28x28, batch 1: 13.7 ms against 21.8 ms in bands."""
    xp = get_array_module(q)
    n, c = q.shape[:2]
    th, tw = (q.shape[2] - 2) // 2, q.shape[4] - 1
    g, og = u.shape[1], u.shape[2]
    v = xp.empty((4, 4, c, n, th, tw), dtype=q.dtype)
    backend.parallel(lambda s: input_transform(q[:, s], tw, v[:, :, s]), _parts(c, workers), xp)
    v = v.reshape(16, g, c // g, -1)

    def job(part):
        k, s = part
        m = xp.matmul(u[:, k, s], v[:, k])
        if bias is not None:
            m[5] += bias.reshape(g, og)[k, s].reshape(-1, 1)
        output_transform(m.reshape(4, 4, -1, n, th, tw),
                         y[:, k * og + s.start:k * og + s.stop])
    chunks = -(-workers // g)  # NOTE: every core busy when there are fewer groups
    backend.parallel(job, [(k, s) for k in range(g) for s in _parts(og, chunks)], xp)
    return y
