"""Public feature extractors with VLFeat's calling conventions, computed by
the CNN-HOG / CNN-DSIFT networks of ``nets.shallow`` (one implementation).

    hog(image, cell_size=8, variant="uoctti", bilinear=False, num_orientations=9)
        -> (Hc, Wc, D) float32, like MATLAB's ``vl_hog(im, cs, ...)``
    dsift(image, bin_size=4, step=2, fast=True)
        -> frames (n, 2) float64 0-based (x, y), descriptors (n, 128) float32
           unit norm, like ``vl_dsift(im, 'Size', B, 'Step', s,
           'FloatDescriptors' [, 'Fast'])`` (MATLAB's float output is
           min(512 * descriptors, 255)); rows in VLFeat's order (x outer,
           y inner), element t + 8 bx + 32 by.

``image``: NumPy (H, W) or (H, W, 3) float32/float64 with values in [0, 1]
(what MATLAB's ``im2single`` gives); it is computed in float32, as VLFeat.
Anything else raises ``ValueError`` saying what is wrong.
"""
import numpy

from .shallow import dsift_frames, dsift_net, hog_net


def _check_image(image, what, colour=True):
    if not isinstance(image, numpy.ndarray):
        raise ValueError(f"{what}: image must be a NumPy array, got {type(image).__name__}")
    if image.dtype not in (numpy.float32, numpy.float64):
        raise ValueError(f"{what}: image dtype must be float32 or float64 with values "
                         f"in [0, 1], got {image.dtype} (divide 8-bit images by 255)")
    shapes = "(H, W) or (H, W, 3)" if colour else "(H, W) (grayscale)"
    if image.ndim == 3 and not colour:
        raise ValueError(f"{what}: image must have shape {shapes}, got {image.shape}; "
                         f"VLFeat's dense SIFT takes grayscale only: convert first, "
                         f"e.g. 0.2989 R + 0.5870 G + 0.1140 B")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"{what}: image must have shape {shapes}, got {image.shape}")
    if not numpy.isfinite(image).all():
        raise ValueError(f"{what}: image contains NaN or infinite values")
    lo, hi = float(image.min()), float(image.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"{what}: image values must lie in [0, 1], got range "
                         f"[{lo:g}, {hi:g}] (divide 8-bit images by 255)")
    x = image[None, None] if image.ndim == 2 else image.transpose(2, 0, 1)[None]
    return numpy.ascontiguousarray(x, dtype=numpy.float32)


def hog(image, cell_size=8, variant="uoctti", bilinear=False, num_orientations=9):
    """VLFeat's HOG of ``image`` as (Hc, Wc, D) float32; see ``nets.shallow``
    for the dimension layout (variant "uoctti" 31-d, "dalaltriggs" 36-d,
    "paper" the authors' 27-d network)."""
    x = _check_image(image, "hog")
    cs = int(cell_size)
    if cs < 1:
        raise ValueError(f"hog: cell_size must be >= 1, got {cell_size}")
    h, w = x.shape[2:]
    cells = (lambda n: n // cs) if variant == "paper" else (lambda n: (n + cs // 2) // cs)
    if min(h, w) < 3 or cells(h) < 1 or cells(w) < 1:
        raise ValueError(f"hog: image of shape {image.shape} is too small for cell "
                         f"size {cs}: it needs at least 3x3 pixels and one cell "
                         f"(got {cells(h)}x{cells(w)} cells)")
    net = hog_net(cs, variant, "bilinear" if bilinear else "hard", num_orientations)
    return net.forward(x)[0].transpose(1, 2, 0).copy()


def dsift(image, bin_size=4, step=2, fast=True, return_norm=False):
    """VLFeat's dense SIFT of a grayscale ``image``: (frames, descriptors), or
    (frames, descriptors, norms) with ``return_norm`` (MATLAB's 'Norm' row:
    the descriptor mass before normalisation, sum / (3B+1)^2)."""
    x = _check_image(image, "dsift", colour=False)
    b, s = int(bin_size), int(step)
    if b < 1 or s < 1:
        raise ValueError(f"dsift: bin_size and step must be >= 1, got {bin_size}, {step}")
    h, w = x.shape[2:]
    if min(h, w) < 3 * b + 1:
        raise ValueError(f"dsift: image of shape {image.shape} is too small for bin "
                         f"size {b}: a descriptor spans {3 * b + 1}x{3 * b + 1} pixels")
    net = dsift_net(b, s, fast)
    out = net.forward(x, return_all=return_norm)
    descr = (out["renormalize"] if return_norm else out)[0]
    descr = descr.transpose(2, 1, 0).reshape(-1, 128).copy()
    frames = dsift_frames(h, w, b, s)
    if not return_norm:
        return frames, descr
    norm = out["bins"][0].sum(axis=0, dtype=numpy.float32) / numpy.float32((3 * b + 1) ** 2)
    return frames, descr, norm.T.reshape(-1)
