"""Render a HOG code as VLFeat's glyph picture (``vl_hog('render', ...)``).

Each cell (i, j) becomes a tile of G x G pixels (G = 21) at rows
G*i .. G*i + G-1 and columns G*j .. G*j + G-1:

    w_k  = sum of the code's components for orientation k: UoCTTI (and the
           27-d paper variant) hog[k] + hog[K+k] + hog[2K+k]; DalalTriggs the
           four blocks hog[k] + hog[K+k] + hog[2K+k] + hog[3K+k];
    tile = sum_k w_k glyph_k, clipped per pixel to
           [min(0, min_k w_k), max(0, max_k w_k)].

Glyph k is a one-pixel-wide bar through the tile centre at the angle
alpha = k pi/K + pi/2 (mod pi) from +x towards +y (down), perpendicular to
the gradient, i.e. along the edge; glyph 0 is the vertical bar in column
G//2. A bar with alpha <= pi/4 or >= 3pi/4 is drawn one pixel per column x,
at row round(tan(alpha) x + (1 - tan(alpha)) (G-1)/2); otherwise one pixel per
row y at column round(cot(alpha) y + (1 - cot(alpha)) (G-1)/2). Rounding is
half away from zero; each end skips floor((1 - c)/2 G) steps, c = |cos alpha|
(per-column bars) or sin alpha (per-row bars). This is VLFeat 0.9.21's rule
(``vl_hog_render``); tests check it against VLFeat's stored glyphs.
"""
import math

import numpy
from PIL import Image

GLYPH_SIZE = 21


def _round(v):
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def glyphs(num_orientations=9, size=GLYPH_SIZE):
    """(K, size, size) float32 0/1 glyphs, [k, y, x]."""
    out = numpy.zeros((num_orientations, size, size), numpy.float32)
    centre = (size - 1) / 2
    for k in range(num_orientations):
        alpha = math.fmod(k * math.pi / num_orientations + math.pi / 2, math.pi)
        if alpha <= math.pi / 4 or alpha >= 3 * math.pi / 4:
            slope = math.tan(alpha)
            skip = int((1 - abs(math.cos(alpha))) / 2 * size)
            for x in range(skip, size - skip):
                out[k, _round(slope * x + (1 - slope) * centre), x] = 1
        else:
            slope = math.cos(alpha) / math.sin(alpha)
            skip = int((1 - math.sin(alpha)) / 2 * size)
            for y in range(skip, size - skip):
                out[k, y, _round(slope * y + (1 - slope) * centre)] = 1
    return out


def hog_render(hog, num_orientations=9, variant=None):
    """The glyph picture (G*Hc, G*Wc) float32 of a HOG code (Hc, Wc, D) as
    returned by ``nets.hog``. ``variant`` defaults from D: 3K+4 (UoCTTI),
    3K (paper), 4K (DalalTriggs)."""
    hog = numpy.asarray(hog, dtype=numpy.float32)
    k = int(num_orientations)
    if hog.ndim != 3:
        raise ValueError(f"hog_render expects a HOG code of shape (Hc, Wc, D), "
                         f"got shape {hog.shape}")
    groups = {3 * k + 4: 3, 3 * k: 3, 4 * k: 4}.get(hog.shape[2])
    if variant is not None:
        groups = {"uoctti": 3, "paper": 3, "dalaltriggs": 4}.get(variant)
    if groups is None or hog.shape[2] < groups * k:
        raise ValueError(f"cannot render a HOG code with D = {hog.shape[2]} "
                         f"and {k} orientations (variant {variant!r})")
    w = sum(hog[:, :, g * k:(g + 1) * k] for g in range(groups))  # (Hc, Wc, K)
    g = glyphs(k)
    tiles = numpy.einsum("ijk,kyx->iyjx", w, g)
    lo = numpy.minimum(0, w.min(axis=2))[:, None, :, None]
    hi = numpy.maximum(0, w.max(axis=2))[:, None, :, None]
    tiles = numpy.clip(tiles, lo, hi)
    hc, size, wc, _ = tiles.shape
    return tiles.reshape(hc * size, wc * size).astype(numpy.float32)


def save_hog_png(hog, path, num_orientations=9, variant=None):
    """Write ``hog_render(hog)`` to ``path`` as an 8-bit grayscale PNG, with
    0 black and the largest value white (negative values, if any, black).
    Returns the rendered float array."""
    picture = hog_render(hog, num_orientations, variant)
    top = float(picture.max())
    scaled = numpy.clip(picture / top if top > 0 else picture, 0, 1)
    Image.fromarray(numpy.round(scaled * 255).astype(numpy.uint8)).save(path)
    return picture
