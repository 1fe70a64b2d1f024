"""CNN-HOG and CNN-DSIFT: VLFeat's HOG and dense SIFT as minigrad networks
(the paper's §3; VLFeat 0.9.21's vl_hog and vl_dsift).

Both take NCHW batches x (N, C, H, W), float32 or float64, with image values
in VLFeat's [0, 1] range (HOG's 1e-4 normalisation epsilon and DSIFT's
thresholds depend on it). In float32 they reproduce VLFeat 0.9.21 (HOG to
~3e-7, DSIFT to ~3e-5; tests/test_hog.py, tests/test_dsift.py).

hog_net -> (N, D, Hc, Wc), cell (i, j) at row i, column j:
    variant "uoctti" (default, D = 3K + 4 = 31): channels 0..K-1 directed
        orientations d*180/K deg (d = 0: brighter to the right, angles from +x
        towards +y, i.e. clockwise on screen), K..2K-1 the opposite directions
        (channel K + d is d + 180 deg), 2K..3K-1 undirected orientations,
        3K..3K+3 texture energies of the blocks UL, UR, DL, DR.
        Hc = (H + cs//2) // cs (VLFeat).
    variant "dalaltriggs" (D = 4K = 36): channel K*b + k = undirected
        orientation k normalised by block b (UL, UR, DL, DR).
    variant "paper" (D = 3K = 27): the authors' MATLAB network (deep-goggle
        ``hog_net``), paper-compatible, NOT VLFeat: half-size gradients
        with zero padding (so border pixels count), Hc = H // cs, blocks
        leaving the grid dropped, f = 1/max(|block|, 1e-6) without the 1e-4,
        the first 27 UoCTTI dims, no texture.
    orientation "hard" (VLFeat default), "bilinear" (VLFeat
    'BilinearOrientations'), "relu" (the paper's max(0, <g,u> - a|g|)
    approximation, not a VLFeat mode). In "hard" mode the directional
    projections, the gate and the cells are one layer ("cells", a
    ``layers.hogcells.HardCells``: the same function without the 2K
    full-size planes). Colour input (C = 3): per pixel the channel with
    the largest gradient (VLFeat; also used in "paper").
    Intermediate outputs: net.forward(x, until="cells") are the raw cell
    histograms (N, 2K, Hc, Wc) (VLFeat's internal ``hog`` array).

dsift_net -> (N, 128, ny, nx): channel t + 8*bx + 32*by (orientation t*45 deg
    fastest, then spatial bin x, then y), position (iy, ix) is the frame
    with top-left bin centre (iy*step, ix*step); ``dsift_frames`` gives the
    centres in VLFeat's order. Grayscale input (C = 1); colour input (our
    extension) uses HOG's channel selection.
    fast=True: VLFeat's flat window ('Fast'), False: Gaussian window.
    variant "paper": the authors' DSIFT-like net (deep-goggle ``dsift_net``):
        bilinear arccos binning into 8 orientations, 2B tent cells of stride
        B centred between pixels, 4x4 cell blocks of stride 3 cells with a
        Gaussian (sigma 1.5 cells), x/sqrt(|x|^2 + 1e-6), clamp 0.2 and no
        renormalisation; ``step`` must be None (it is 3B), ``fast`` unused.
    net.forward(x, until="bins") are the pooled values before normalisation.
"""
import numpy

from layers.binpool import BinPool
from layers.cellpool import CellPool
from layers.dsift import L2Normalize, SiftOrientation
from layers.gradient import ColourSelect, GradientNorm, ImageGradient
from layers.hogcells import HardCells
from layers.hognorm import VARIANTS, BlockNorm, Clamp, HogAssemble
from layers.orientation import GATE_MODES, Directional, OrientationGate
from minigrad import Net


def hog_net(cell_size=8, variant="uoctti", orientation="hard", num_orientations=9):
    """The HOG network; see the module docstring for layouts."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown HOG variant {variant!r}; expected one of {VARIANTS}")
    if orientation not in GATE_MODES:
        raise ValueError(f"unknown orientation mode {orientation!r}; "
                         f"expected one of {GATE_MODES}")
    if int(cell_size) < 1 or int(num_orientations) < 2:
        raise ValueError(f"need cell_size >= 1 and num_orientations >= 2, got "
                         f"{cell_size}, {num_orientations}")
    k, paper = int(num_orientations), variant == "paper"
    net = Net(f"hog-{variant}-{orientation}-cs{cell_size}")
    net.add(ImageGradient("paper" if paper else "hog"), name="gradient")
    net.add(ColourSelect(), name="select")
    grid = "floor" if paper else "vlfeat"
    if orientation == "hard":  # NOTE: the three layers below in one (layers.hogcells)
        net.add(GradientNorm(), name="magnitude", inputs="select")
        net.add(HardCells(k, cell_size, grid), name="cells", inputs=["magnitude", "select"])
    else:
        net.add(Directional(k), name="directional", inputs="select")
        net.add(GradientNorm(), name="magnitude", inputs="select")
        net.add(OrientationGate(k, orientation), name="gate",
                inputs=["directional", "magnitude", "select"])
        net.add(CellPool(cell_size, grid), name="cells")
    if paper:
        net.add(BlockNorm(k, border="zero", eps=0.0, floor=1e-6), name="blocks")
    else:
        net.add(BlockNorm(k, border="clamp", eps=1e-4), name="blocks")
    net.add(Clamp(0.2), name="clamp")
    net.add(HogAssemble(k, variant), name="hog")
    return net


def dsift_net(bin_size=4, step=2, fast=True, variant="vlfeat"):
    """The dense SIFT network; see the module docstring for layouts."""
    if variant not in ("vlfeat", "paper"):
        raise ValueError(f"unknown DSIFT variant {variant!r}; expected 'vlfeat' or 'paper'")
    if variant == "paper" and step is not None:
        raise ValueError("the paper DSIFT variant has its own step (3 bins); pass step=None")
    if variant == "vlfeat" and (step is None or int(step) < 1):
        raise ValueError(f"need step >= 1, got {step}")
    net = Net(f"dsift-{variant}-bs{bin_size}")
    if variant == "paper":
        net.add(ImageGradient("paper"), name="gradient")
        net.add(ColourSelect(), name="select")
        net.add(Directional(4), name="directional", inputs="select")
        net.add(GradientNorm(), name="magnitude", inputs="select")
        net.add(OrientationGate(4, "bilinear"), name="orientation",
                inputs=["directional", "magnitude", "select"])
        net.add(BinPool(bin_size, 3 * int(bin_size), "paper"), name="bins")
        net.add(L2Normalize(fast=False, eps_out=0.0, eps_in=1e-6), name="normalize")
        net.add(Clamp(0.2), name="clamp")
        return net
    net.add(ImageGradient("dsift"), name="gradient")
    net.add(ColourSelect(), name="select")
    net.add(GradientNorm(fast=True), name="magnitude")
    net.add(SiftOrientation(), name="orientation", inputs=["select", "magnitude"])
    net.add(BinPool(bin_size, step, "flat" if fast else "gauss"), name="bins")
    net.add(L2Normalize(), name="normalize")
    net.add(Clamp(0.2), name="clamp")
    net.add(L2Normalize(), name="renormalize")
    return net


def dsift_frames(height, width, bin_size=4, step=2, variant="vlfeat"):
    """Frame centres (n, 2) as 0-based (x, y), in VLFeat's order (x outer, y
    inner): row ix*ny + iy is the network output at (iy, ix)."""
    b = int(bin_size)
    if variant == "paper":
        def centres(n):
            nc = (n - 2 - 2 * b) // b + 1
            i = numpy.arange(max((nc - 4) // 3 + 1, 0) if nc >= 4 else 0)
            return (3 * i + 1.5) * b + b + 0.5
    else:
        def centres(n):
            return numpy.arange(max((n - 1 - 3 * b) // step + 1, 0)) * step + 1.5 * b
    cx, cy = centres(width), centres(height)
    x, y = numpy.meshgrid(cx, cy, indexing="ij")
    return numpy.stack([x.ravel(), y.ravel()], axis=1)
