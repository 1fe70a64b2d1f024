"""Gradient checks (float64, random dz/dy) for every HOG / DSIFT layer and for
the whole networks, plus forward checks against direct formulas.

Inputs are kept away from the non-differentiable points: hard-gating and
bin decisions away from ties, clamp inputs away from 0.2, magnitudes away
from 0 (and from DSIFT's fast-sqrt cut at |g| = 1e-4)."""
import math

import numpy
import pytest

import invert
from layers import (BinPool, BlockNorm, CellPool, Clamp, ColourSelect, Directional,
                    GradientNorm, HogAssemble, ImageGradient, L2Normalize,
                    OrientationGate, SiftOrientation)
from layers.fastmath import fast_atan2, fast_sqrt
from minigrad import check_backward


def rng(seed=0):
    return numpy.random.default_rng(seed)


def gradient_map(seed=0, shape=(2, 2, 5, 7)):
    """Random gradients, none tiny, none within 1e-3 rad of a HOG bin edge."""
    g = rng(seed).standard_normal(shape)
    g *= (0.3 + numpy.abs(g).sum(1, keepdims=True)) / numpy.abs(g).sum(1, keepdims=True)
    r, phi = numpy.hypot(g[:, 0], g[:, 1]), numpy.arctan2(g[:, 1], g[:, 0])
    near = numpy.abs(phi % (math.pi / 9) - math.pi / 18) < 1e-2
    phi = numpy.where(near, phi + 0.05, phi)  # HOG bin edges are at 10 + 20k deg
    return numpy.stack([r * numpy.cos(phi), r * numpy.sin(phi)], 1)


@pytest.mark.parametrize("mode", ["hog", "dsift", "paper"])
def test_image_gradient(mode):
    x = rng().random((2, 3, 6, 7))
    check_backward(ImageGradient(mode), x, seed=1)
    g = ImageGradient(mode).forward(x)
    if mode == "hog":
        assert g[0, 0, 2, 3] == x[0, 0, 2, 4] - x[0, 0, 2, 2]
        assert (g[:, :, 0] == 0).all() and (g[:, :, :, -1] == 0).all()
    if mode == "dsift":
        assert g[1, 4, 0, 2] == x[1, 1, 1, 2] - x[1, 1, 0, 2]  # one-sided, no 1/2
        assert g[1, 4, 3, 2] == 0.5 * (x[1, 1, 4, 2] - x[1, 1, 2, 2])


def test_colour_select_picks_largest_gradient_first_on_ties():
    g = rng().standard_normal((2, 6, 4, 5))
    check_backward(ColourSelect(), g, seed=2)
    y = ColourSelect().forward(g)
    n2 = g[:, :3] ** 2 + g[:, 3:] ** 2
    best = n2.argmax(1)
    numpy.testing.assert_array_equal(y[:, 0], numpy.take_along_axis(g[:, :3], best[:, None], 1)[:, 0])
    tie = numpy.zeros((1, 6, 1, 1))
    tie[0, [0, 1, 3, 4], 0, 0] = [1, -1, 2, 2]  # channels 0 and 1 tie: channel 0 wins
    assert ColourSelect().forward(tie).ravel().tolist() == [1, 2]


@pytest.mark.parametrize("fast", [False, True])
def test_gradient_norm(fast):
    g = gradient_map()
    check_backward(GradientNorm(fast), g, seed=3)
    m = GradientNorm(fast).forward(g)
    numpy.testing.assert_allclose(m[:, 0], numpy.hypot(g[:, 0], g[:, 1]), rtol=5e-6)
    assert GradientNorm(True).forward(numpy.full((1, 2, 1, 1), 5e-5))[0, 0, 0, 0] == 0


def test_fast_math_is_vlfeat_float32():
    v = numpy.float32([1e-9, 1e-8, 2.0, 0.25])
    numpy.testing.assert_allclose(fast_sqrt(v), [0, 0, math.sqrt(2), 0.5], rtol=5e-6)
    a = fast_atan2(numpy.float32([1, -1, 0]), numpy.float32([0, 0, -1]))
    numpy.testing.assert_allclose(a, [math.pi / 2, -math.pi / 2, math.pi], atol=1e-4)
    assert a.dtype == numpy.float32


def test_directional():
    g = gradient_map()
    check_backward(Directional(9), g, seed=4)
    s = Directional(9).forward(g)
    angle = 3 * math.pi / 9
    numpy.testing.assert_allclose(s[:, 3], g[:, 0] * math.cos(angle) + g[:, 1] * math.sin(angle))
    numpy.testing.assert_array_equal(s[:, 12], -s[:, 3])


def gate_inputs(seed=0, k=9):
    g = gradient_map(seed)
    return Directional(k).forward(g), GradientNorm().forward(g), g


@pytest.mark.parametrize("mode", ["hard", "bilinear", "relu"])
def test_orientation_gate(mode):
    s, m, g = gate_inputs()
    check_backward(OrientationGate(9, mode), (s, m, g), seed=5)
    # independent inputs too: the gate is a function of (s, m, g) on its own
    r = rng(7)
    check_backward(OrientationGate(9, mode), (r.standard_normal(s.shape), r.random(m.shape) + 0.1, g), seed=6)
    h = OrientationGate(9, mode).forward(s, m, g)
    if mode != "relu":  # hard and bilinear keep the magnitude
        numpy.testing.assert_allclose(h.sum(1), m[:, 0])


def test_hard_gate_gradient_flows_through_magnitude_only():
    s, m, g = gate_inputs(1)
    gate = OrientationGate(9, "hard")
    h = gate.forward(s, m, g)
    dzdy = rng(2).standard_normal(h.shape)
    ds, dm, dg = gate.backward(dzdy)
    assert not ds.any() and not dg.any()
    numpy.testing.assert_allclose(dm[:, 0], (dzdy * (h != 0)).sum(1))
    # end to end: dz/dx equals the derivative of sum(dz/dy * m * onehot) with
    # the one-hot frozen, i.e. back through the magnitude alone
    x = rng(3).random((2, 1, 9, 10))
    net = invert.hog_net(4, "uoctti", "hard")
    y = net.forward(x, until="gate")
    dzdy = rng(4).standard_normal(y.shape)
    dx = net.backward(dzdy)
    dm_only = (dzdy * (y != 0)).sum(1, keepdims=True)
    net.forward(x, until="magnitude")
    numpy.testing.assert_allclose(dx, net.backward(dm_only), atol=1e-12)


def test_gate_tie_rule_and_bilinear_weights():
    g = numpy.zeros((1, 2, 1, 3))
    g[0, :, 0] = [[0, 0, 1], [1, -1, 0.3]]  # down, up, 16.7 deg
    g = g.astype(numpy.float32)
    s, m = Directional(9).forward(g), GradientNorm().forward(g)
    hard = OrientationGate(9, "hard").forward(s, m, g)[0, :, 0]
    assert hard[:, 0].argmax() == 4 and hard[:, 1].argmax() == 13 and hard[:, 2].argmax() == 1
    bil = OrientationGate(9, "bilinear").forward(s, m, g)[0, :, 0]
    # a vertical gradient sits half way between 80 and 100 deg
    numpy.testing.assert_allclose(bil[[4, 5], 0], [0.5, 0.5], atol=1e-6)
    w1 = math.degrees(math.atan2(0.3, 1)) / 20
    numpy.testing.assert_allclose(bil[[1, 0], 2] / m[0, 0, 0, 2], [w1, 1 - w1], rtol=1e-5)


@pytest.mark.parametrize("layer", [CellPool(4), CellPool(3, "floor"), BinPool(3, 2, "gauss"),
                                   BinPool(3, 2, "flat"), BinPool(2, 6, "paper")],
                         ids=["cell", "cell-floor", "bins-gauss", "bins-flat", "bins-paper"])
def test_pooling(layer):
    check_backward(layer, rng().standard_normal((2, 3, 17, 22)), seed=8)


def test_cell_pool_is_the_tent():
    x = numpy.zeros((1, 1, 20, 20))
    x[0, 0, 13, 2] = 1
    y = CellPool(8).forward(x)[0, 0]  # cells centred at 3.5, 11.5, 19.5
    numpy.testing.assert_allclose(y, numpy.outer([0, 1 - 1.5 / 8, 1.5 / 8], [1 - 1.5 / 8, 0, 0]))


@pytest.mark.parametrize("border", ["clamp", "zero"])
def test_block_norm(border):
    h = rng().random((2, 18, 4, 5))
    kw = {} if border == "clamp" else dict(eps=0.0, floor=1e-6)
    check_backward(BlockNorm(9, border, **kw), h, seed=9)
    check_backward(BlockNorm(9, border, **kw), rng(1).random((2, 18, 2, 3)), seed=10)
    y = BlockNorm(9).forward(h).reshape(2, 4, 3, 9, 4, 5)
    e = ((h[:, :9] + h[:, 9:]) ** 2).sum(1)
    # cell (0, 0): UL block is the cell four times; DR block of cell (1, 1)
    numpy.testing.assert_allclose(y[:, 0, 0, :, 0, 0], h[:, :9, 0, 0] / numpy.sqrt(4 * e[:, :1, 0] + 1e-4))
    dr = e[:, 1:3, 1:3].sum((1, 2))[:, None]
    numpy.testing.assert_allclose(y[:, 3, 2, :, 1, 1], (h[:, :9, 1, 1] + h[:, 9:, 1, 1]) / numpy.sqrt(dr + 1e-4))


def test_clamp_and_assemble():
    x = rng().random((2, 108, 3, 4)) * 0.4
    x = numpy.where(numpy.abs(x - 0.2) < 0.01, x + 0.03, x)
    check_backward(Clamp(0.2), x, seed=11)
    assert Clamp(0.2).forward(x).max() == 0.2
    for variant in ("uoctti", "dalaltriggs", "paper"):
        check_backward(HogAssemble(9, variant), x, seed=12)
    y = HogAssemble(9).forward(x)
    b = x.reshape(2, 4, 27, 3, 4)
    numpy.testing.assert_allclose(y[:, :27], 0.5 * b.sum(1))
    numpy.testing.assert_allclose(y[:, 29], b[:, 2, 18:].sum(1) / math.sqrt(18))


def test_sift_orientation():
    g = gradient_map(2)
    m = GradientNorm(True).forward(g)
    check_backward(SiftOrientation(), (g, m), seed=13)
    check_backward(SiftOrientation(), (g, rng(3).random(m.shape)), seed=14)
    p = SiftOrientation().forward(g, m)
    numpy.testing.assert_allclose(p.sum(1), m[:, 0], rtol=1e-12)
    down = numpy.zeros((1, 2, 1, 1), numpy.float32)
    down[0, 1] = 0.5  # gx = 0, gy = 0.5: brighter below, orientation t = 2
    p = SiftOrientation().forward(down, GradientNorm(True).forward(down))
    assert p[0, :, 0, 0].argmax() == 2


@pytest.mark.parametrize("fast,eps_out,eps_in", [(True, 2.0 ** -23, 0.0), (False, 0.0, 1e-6)])
def test_l2_normalize(fast, eps_out, eps_in):
    v = rng().random((2, 128, 2, 3))
    layer = L2Normalize(fast, eps_out, eps_in)
    check_backward(layer, v, seed=15)
    numpy.testing.assert_allclose((layer.forward(v) ** 2).sum(1), 1, rtol=1e-5)


def smooth_images(n, c, h, w, seed=0):
    """Smooth random images in [0, 1] (gradients well above DSIFT's cut)."""
    x = rng(seed).random((n, c, h, w))
    for axis in (2, 3):
        x = (x + numpy.roll(x, 1, axis) + numpy.roll(x, -1, axis)) / 3
    return x


@pytest.mark.parametrize("variant,mode,c", [
    ("uoctti", "bilinear", 1), ("uoctti", "bilinear", 3), ("dalaltriggs", "bilinear", 1),
    ("uoctti", "hard", 1), ("uoctti", "relu", 1), ("paper", "bilinear", 1)])
def test_hog_net_end_to_end(variant, mode, c):
    net = invert.hog_net(4, variant, mode)
    x = smooth_images(2, c, 14, 17, seed=16)
    y = net.forward(x)
    assert y.dtype == numpy.float64 and y.shape[0] == 2
    check_backward(net, x, seed=17, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("fast", [True, False])
def test_dsift_net_end_to_end(fast):
    net = invert.dsift_net(3, 2, fast)
    check_backward(net, smooth_images(2, 1, 13, 15, seed=18), seed=19, atol=1e-7, rtol=1e-5)


def test_paper_dsift_net_end_to_end():
    net = invert.dsift_net(2, None, variant="paper")
    check_backward(net, smooth_images(2, 1, 16, 18, seed=20), seed=21, atol=1e-7, rtol=1e-5)


def naive_sift_matrix(n, big_b, step, window):
    """README's DSIFT pooling, written directly: bin b of frame i at
    p = i*step + b*B is sum_u k_b(u) in[clamp(p - u)]."""
    nf = (n - 1 - 3 * big_b) // step + 1
    m = numpy.zeros((4, nf, n))
    sigma = 2.0 * big_b
    for b in range(4):
        gauss = [math.exp(-0.5 * ((u - big_b * (b - 1.5)) / sigma) ** 2)
                 for u in range(-big_b + 1, big_b)]
        for i in range(nf):
            for u in range(-big_b + 1, big_b):
                tri = 1 - abs(u) / big_b
                g = gauss[u + big_b - 1] if window == "gauss" else sum(gauss) / len(gauss)
                m[b, i, min(max(i * step + b * big_b - u, 0), n - 1)] += tri * g
    return m.reshape(4 * nf, n)


@pytest.mark.parametrize("n,big_b,step", [(13, 4, 2), (40, 4, 3), (50, 8, 4), (23, 3, 5)])
@pytest.mark.parametrize("window", ["gauss", "flat"])
def test_sift_bin_weights_follow_the_readme(n, big_b, step, window):
    from layers.poolweights import dense, sift_bins
    numpy.testing.assert_allclose(dense(sift_bins(n, big_b, step, window), n),
                                  naive_sift_matrix(n, big_b, step, window), atol=1e-6)


@pytest.mark.parametrize("n,cs,grid", [(20, 8, "vlfeat"), (227, 8, "vlfeat"), (75, 4, "vlfeat"),
                                       (30, 6, "floor"), (29, 3, "vlfeat")])
def test_hog_cell_weights_are_the_tent(n, cs, grid):
    from layers.poolweights import dense, hog_cells
    count = (n + cs // 2) // cs if grid == "vlfeat" else n // cs
    centres = cs * numpy.arange(count) + (cs - 1) / 2
    tent = numpy.maximum(0, 1 - numpy.abs(numpy.arange(n)[None] - centres[:, None]) / cs)
    numpy.testing.assert_allclose(dense(hog_cells(n, cs, grid), n), tent, atol=3e-6)


@pytest.mark.parametrize("layer", [CellPool(8), CellPool(3, "floor"), BinPool(4, 2, "gauss"),
                                   BinPool(3, 5, "flat"), BinPool(2, 6, "paper")],
                         ids=["cell", "cell-floor", "bins-gauss", "bins-flat", "bins-paper"])
def test_strided_pooling_equals_the_matrix_product(layer):
    from layers.poolweights import dense
    x = rng(5).standard_normal((2, 3, 23, 30))
    ay, ax = dense(layer.kernel(23), 23), dense(layer.kernel(30), 30)
    y = layer.forward(x)
    full = ay @ x @ ax.T
    if isinstance(layer, BinPool):
        n, c, h, w = full.shape
        full = full.reshape(n, c, 4, h // 4, 4, w // 4).transpose(0, 2, 4, 1, 3, 5)
        full = full.reshape(n, 16 * c, h // 4, w // 4)
    numpy.testing.assert_allclose(y, full, atol=1e-12)


@pytest.mark.parametrize("big_b,step", [(4, 2), (2, 4), (4, 4), (3, 5), (6, 4)])
def test_flat_bins_on_the_lattice(big_b, step):
    """The flat window's lattice path (one triangle at stride gcd(step, B),
    then W(by) W(bx)) against the README's formula, and its backward, for
    overlapping (step < B), disjoint (step > B) and coinciding bins."""
    x = rng(6).standard_normal((2, 3, 23, 30))
    layer = BinPool(big_b, step, "flat")
    y = layer.forward(x)
    ay, ax = (naive_sift_matrix(n, big_b, step, "flat") for n in (23, 30))
    full = ay @ x @ ax.T
    n, c, h, w = full.shape
    full = full.reshape(n, c, 4, h // 4, 4, w // 4).transpose(0, 2, 4, 1, 3, 5)
    numpy.testing.assert_allclose(y, full.reshape(n, 16 * c, h // 4, w // 4), atol=1e-6)
    check_backward(layer, x, seed=22)


@pytest.mark.parametrize("layer,shape,y_first", [
    (CellPool(4), (2, 3, 17, 22), True), (BinPool(4, 2, "gauss"), (1, 2, 40, 41), False),
    (BinPool(2, 6, "paper"), (1, 2, 30, 33), True)], ids=["cells-y", "gauss-x", "paper-y"])
def test_pooling_in_either_axis_order(layer, shape, y_first):
    """``SeparablePool`` pools rows or columns first, whichever is cheaper:
    both orders compute the matrix product and have a correct backward."""
    from layers.poolweights import dense
    x = rng(7).standard_normal(shape)
    assert layer._y_first(*shape[2:]) == y_first
    ay, ax = dense(layer.kernel(shape[2]), shape[2]), dense(layer.kernel(shape[3]), shape[3])
    numpy.testing.assert_allclose(layer._pool(x), ay @ x @ ax.T, atol=1e-12)
    check_backward(layer, x, seed=23)


@pytest.mark.parametrize("kernel", [
    ("sift_bins", 23, 4, 2, "gauss"), ("sift_bins", 23, 3, 5, "gauss"), ("sift_bins", 30, 2, 4, "flat"),
    ("sift_lattice", 23, 4, 2), ("sift_lattice", 30, 3, 5), ("hog_cells", 30, 8, "vlfeat"),
    ("hog_cells", 29, 3, "floor"), ("paper_bins", 30, 2)], ids=lambda k: "-".join(map(str, k)))
@pytest.mark.parametrize("axis", [-1, -2])
def test_pool_axis_and_its_adjoint_are_the_dense_matrix(kernel, axis):
    """``pool_axis``/``unpool_axis`` (matmul over window views, by stride
    phases or by non-overlapping windows) against ``poolweights.dense``, for
    overlapping and disjoint windows, edge replication and zero extension."""
    from layers import poolweights
    from layers.cellpool import pool_axis, unpool_axis
    name, n, *args = kernel
    k = getattr(poolweights, name)(n, *args)
    m = poolweights.dense(k, n)
    shape = [2, 3, 5, 6]
    shape[axis] = n
    x = rng(8).standard_normal(shape)
    y = pool_axis(x, k, axis)
    numpy.testing.assert_allclose(y, numpy.moveaxis(numpy.moveaxis(x, axis, -1) @ m.T, -1, axis), atol=1e-12)
    dy = rng(9).standard_normal(y.shape)
    dx = unpool_axis(dy, k, axis, n)
    numpy.testing.assert_allclose(dx, numpy.moveaxis(numpy.moveaxis(dy, axis, -1) @ m, -1, axis), atol=1e-12)
    assert y.flags.c_contiguous and dx.flags.c_contiguous
