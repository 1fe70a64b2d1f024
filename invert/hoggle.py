"""HOGgle: HOG inversion with a paired dictionary (Vondrick, Khosla,
Malisiewicz & Torralba, "HOGgles: Visualizing Object Detection Features",
ICCV 2013, the algorithm it calls paired dictionary learning), the baseline
of the paper's Table 1.

The model. A window of ``cells`` x ``cells`` HOG cells phi and the grey
patch x under it share one sparse code a over a pair of dictionaries:

    x ~ U a,    phi ~ V a,    a >= 0 sparse.

Training learns U and V together as one dictionary D = [U; V] over the
concatenated pairs [x; phi] (module ``sparsecode``; command ``python -m
invert.train_hoggle``), so that a code found from phi alone also
reconstructs x. To invert a HOG image: code every window of it,

    a* = argmin_{a >= 0}  1/2 ||phi - V a||^2 + lambda ||a||_1,

decode each window to its patch U a*, and average the overlapping patches.

Choices, with their source (the authors' released MATLAB code ``ihog``:
``learnpairdict.m``, ``invertHOG.m`` and ``invertHOGbatch.m``):

* windows of 5 x 5 cells of 8 pixels; the patch of a window adds one cell
  on every side, 7 x 7 cells = 56 x 56 pixels: window (i, j) covers pixel
  rows 8 (i - 1) .. 8 (i + 6) - 1. (Our VLFeat cell i pools pixels 8i - 4
  .. 8i + 11, and block normalisation reaches one cell further.)
* each half of a pair is normalised on its own to zero mean and unit
  Euclidean norm (``normalise``), in training and when inverting;
* 1024 atoms (ihog's default), non-negative codes (its SPAMS option
  ``posAlpha``), the l1 weight lambda of the training kept for inversion
  (ours 0.1, ``train_hoggle``; ihog's ``learnpairdict.m`` defaults to 0.02);
* every window of the HOG image at a stride of one cell; overlapping patch
  reconstructions averaged (ours: weighted by a Gaussian of ``blend`` = 16
  pixels, two cells, around each patch centre; ihog multiplies by a
  Gaussian and divides by the count), then the whole image min-max
  stretched to [0, 1], as ihog does.

The HOG here is ours, VLFeat's UoCTTI (31-d, ``nets.shallow``), computed by
the representation named in the dictionary file ("hog").

The dictionary file (HDF5, ``$INVREP_WEIGHTS/hoggle.h5``): datasets
``patches`` U (P, K) and ``hog`` V (Q, K) float32, P = 56^2, Q = 31 * 5^2
(a window flattened channel-major, as phi is (31, 5, 5)); root attributes
``format`` = "invrep-hoggle", ``rep``, ``cell_size``, ``cells``,
``lambda``, ``atoms`` and the training settings (seed, photos, windows,
epochs, seconds, ...). Written atomically (a ``.part`` file renamed).
"""
import os
from dataclasses import dataclass, field

import h5py
import numpy
from numpy.lib.stride_tricks import sliding_window_view

from nets.weights import atomic_hdf5, default_weights_dir

from .sparsecode import lasso

CELLS, CELL_SIZE = 5, 8  # a window of 5 x 5 HOG cells of 8 pixels (ihog's defaults)
FORMAT = "invrep-hoggle"
FILE_NAME = "hoggle.h5"
TRAIN_COMMAND = "python -m invert.train_hoggle"


class DictionaryError(ValueError):
    """The HOGgle dictionary is missing, unreadable, or does not fit."""


@dataclass
class Dictionary:
    patches: numpy.ndarray    # U (P, K): normalised grey patches
    hog: numpy.ndarray        # V (Q, K): normalised HOG windows
    lambda_: float            # l1 weight of the codes
    cells: int = CELLS        # a window is cells x cells HOG cells
    cell_size: int = CELL_SIZE  # pixels per cell
    rep: str = "hog"          # the representation whose windows V holds
    attrs: dict = field(default_factory=dict)  # training settings
    path: str = None

    @property
    def atoms(self):
        return self.patches.shape[1]

    @property
    def patch_size(self):
        """Side of a patch in pixels: the window plus one cell on each side."""
        return (self.cells + 2) * self.cell_size


def default_path():
    """``$INVREP_WEIGHTS/hoggle.h5`` (default ``weights/hoggle.h5``)."""
    return os.path.join(default_weights_dir(), FILE_NAME)


# -- pairs: windows of a HOG image and the patches under them --------------
def normalise(rows, eps=1e-12):
    """Each row minus its mean, divided by its Euclidean norm (HOGgle's
    normalisation; an all-constant row stays zero)."""
    rows = rows - rows.mean(axis=1, keepdims=True)
    return rows / numpy.sqrt((rows * rows).sum(axis=1, keepdims=True) + eps)


def hog_windows(phi, cells):
    """Every cells x cells window of a HOG image phi (C, Hc, Wc) at a stride
    of one cell: (rows, cols, C * cells^2), each flattened channel-major."""
    c, hc, wc = phi.shape
    if hc < cells or wc < cells:
        raise DictionaryError(f"a HOG image of {hc}x{wc} cells is smaller than "
                              f"HOGgle's {cells}x{cells}-cell window")
    w = sliding_window_view(phi, (cells, cells), axis=(1, 2))  # (C, r, s, cells, cells)
    return w.transpose(1, 2, 0, 3, 4).reshape(hc - cells + 1, wc - cells + 1, -1)


def training_pairs(gray, phi, cells=CELLS, cell_size=CELL_SIZE):
    """The normalised pairs [patch; window] (n, P + Q) of a grey image (H, W)
    and its HOG phi (C, Hc, Wc): every window whose patch lies inside the
    image (window row i needs pixel rows cell_size (i - 1) .. cell_size (i +
    cells + 1) - 1)."""
    size = (cells + 2) * cell_size
    windows = hog_windows(phi, cells)
    # NOTE: windows 1 .. last have their patch inside; patch i - 1 is window i's
    rows = min(windows.shape[0] - 1, gray.shape[0] // cell_size - cells - 1)
    cols = min(windows.shape[1] - 1, gray.shape[1] // cell_size - cells - 1)
    if rows < 1 or cols < 1:
        return numpy.zeros((0, size * size + windows.shape[2]), numpy.float32)
    windows = windows[1:rows + 1, 1:cols + 1].reshape(-1, windows.shape[2])
    patches = sliding_window_view(gray, (size, size))[::cell_size, ::cell_size]
    patches = patches[:rows, :cols].reshape(-1, size * size)
    return numpy.concatenate([normalise(patches), normalise(windows)], axis=1).astype(
        numpy.float32)


# -- inversion ---------------------------------------------------------------
def invert_hog(phi, dictionary, height, width, blend=16.0):
    """The grey image (height, width) in [0, 1] that HOGgle reads from the
    HOG image phi (C, Hc, Wc) of a height x width picture; returns (image,
    the coder's steps per window). See the module docstring."""
    d = dictionary
    windows = hog_windows(numpy.asarray(phi, numpy.float32), d.cells)
    rows, cols, q = windows.shape
    if q != d.hog.shape[0]:
        raise DictionaryError(f"HOG windows have {q} values, the dictionary's "
                              f"{d.hog.shape[0]} ({d.path})")
    y = normalise(windows.reshape(-1, q)).T                     # (Q, n)
    a, steps = lasso(d.hog.T @ d.hog, d.hog.T @ y, d.lambda_)
    patches = (d.patches @ a).T.reshape(rows, cols, d.patch_size, d.patch_size)
    image = blend_patches(patches, d.cell_size, blend)
    image = image[d.cell_size:d.cell_size + height, d.cell_size:d.cell_size + width]
    lo, hi = float(image.min()), float(image.max())
    image = (image - lo) / (hi - lo) if hi > lo else numpy.full_like(image, 0.5)
    return image.astype(numpy.float64), steps


def blend_patches(patches, stride, blend=None):
    """Weighted average of overlapping patches (rows, cols, S, S) placed at
    (stride r, stride c) on a canvas of (stride (rows - 1) + S) pixels a side,
    each weighted by a Gaussian of ``blend`` pixels around its centre (None:
    a plain average)."""
    rows, cols, s, _ = patches.shape
    if blend:
        g = numpy.exp(-0.5 * ((numpy.arange(s) - (s - 1) / 2) / blend) ** 2)
        weight = numpy.outer(g, g)
    else:
        weight = numpy.ones((s, s))
    canvas = numpy.zeros((stride * (rows - 1) + s, stride * (cols - 1) + s))
    total = numpy.zeros_like(canvas)
    for r in range(rows):
        for c in range(cols):
            region = (slice(stride * r, stride * r + s), slice(stride * c, stride * c + s))
            canvas[region] += weight * patches[r, c]
            total[region] += weight
    return canvas / numpy.maximum(total, 1e-12)


# -- the file ----------------------------------------------------------------
def save_dictionary(path, D, lambda_, cells, cell_size, rep, **settings):
    """Write D = [U; V] (P + Q, K) and its settings, atomically."""
    p = (cells + 2) ** 2 * cell_size ** 2
    with atomic_hdf5(path) as f:
        f.create_dataset("patches", data=numpy.asarray(D[:p], numpy.float32))
        f.create_dataset("hog", data=numpy.asarray(D[p:], numpy.float32))
        f.attrs.update(dict(format=FORMAT, rep=rep, cells=cells, cell_size=cell_size,
                            atoms=D.shape[1], **settings))
        f.attrs["lambda"] = lambda_
    return path


def _read(path, arrays=True):
    """(attrs, U, V) of a dictionary file (U, V None without ``arrays``)."""
    path = os.fspath(path or default_path())
    if not os.path.exists(path):
        raise DictionaryError(f"no HOGgle dictionary at {path}; train it with "
                              f"`{TRAIN_COMMAND}` (a few minutes, once)")
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
            if attrs.get("format") != FORMAT:
                raise DictionaryError(f"{path} is not a HOGgle dictionary (format "
                                      f"{attrs.get('format')!r}, expected {FORMAT!r})")
            shapes = f["patches"].shape, f["hog"].shape
            U = numpy.asarray(f["patches"], numpy.float32) if arrays else None
            V = numpy.asarray(f["hog"], numpy.float32) if arrays else None
            cells, size = int(attrs["cells"]), int(attrs["cell_size"])
    except DictionaryError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise DictionaryError(f"HOGgle dictionary {path} is corrupted ({err}); delete it "
                              f"and run `{TRAIN_COMMAND}` again") from None
    if shapes[0] != (((cells + 2) * size) ** 2, shapes[1][1]) or shapes[1][0] % cells ** 2:
        raise DictionaryError(f"HOGgle dictionary {path}: datasets of shapes {shapes} do not "
                              f"fit windows of {cells}x{cells} cells of {size} pixels; "
                              f"run `{TRAIN_COMMAND}` again")
    if arrays and not (numpy.isfinite(U).all() and numpy.isfinite(V).all()):
        raise DictionaryError(f"HOGgle dictionary {path} holds non-finite values; run "
                              f"`{TRAIN_COMMAND}` again")
    return path, attrs, U, V


def load_dictionary(path=None):
    """The dictionary at ``path`` (default ``default_path()``);
    DictionaryError naming the command to run when it is missing or bad."""
    path, attrs, U, V = _read(path)
    return Dictionary(U, V, float(attrs["lambda"]), int(attrs["cells"]),
                      int(attrs["cell_size"]), str(attrs["rep"]), attrs, path)


def check(rep, code_shape, path=None):
    """The dictionary's path, after checking (its attributes only) that it
    inverts the code (C, Hc, Wc) of representation ``rep`` (a name);
    DictionaryError with one line otherwise."""
    path, attrs, _, _ = _read(path, arrays=False)
    cells = int(attrs["cells"])
    if rep != attrs["rep"]:
        raise DictionaryError(f"the HOGgle dictionary {path} inverts {attrs['rep']!r}, "
                              f"not {rep!r}")
    if min(code_shape[1:]) < cells:
        raise DictionaryError(f"HOGgle needs at least {cells}x{cells} HOG cells, the image "
                              f"has {code_shape[1]}x{code_shape[2]}")
    return path
