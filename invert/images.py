"""Reading and writing pictures, atomically; montages (Pillow only).

Every file we write goes to a temporary file in the same directory first and
is then moved over the target with ``os.replace``, so a reader (or a run cut
off by Ctrl-C) never sees a half-written file.
"""
import json
import os
import tempfile
from pathlib import Path

import numpy
from PIL import Image, ImageDraw, UnidentifiedImageError

from nets.preprocess import to_gray

DEFAULT_IMAGE = Path(__file__).parent / "data" / "astronaut.png"
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".gif", ".webp")


def load_image(path, gray=False):
    """An image file as float64 in [0, 1], (H, W, 3) or, with ``gray``, (H, W)
    (MATLAB's rgb2gray weights). ValueError with a one-line reason if the file
    is missing, unreadable or not an image."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"image file not found: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            rgb = im.convert("RGB")
    except UnidentifiedImageError:
        raise ValueError(f"not an image format Pillow can read: {path}") from None
    except OSError as err:
        raise ValueError(f"cannot read image {path}: {err}") from None
    a = numpy.asarray(rgb, dtype=numpy.float64) / 255.0
    return to_gray(a) if gray else a


def list_images(folder):
    """Image files of a folder, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"image folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise ValueError(f"no image files ({', '.join(EXTENSIONS)}) in {folder}")
    return files


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path, write):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # NOTE: mkstemp makes files 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def stretch(a):
    """``a`` min-max stretched to [0, 1] for display (None stays None)."""
    if a is None:
        return None
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else a * 0


def to_uint8(image):
    if getattr(image, "dtype", None) == numpy.uint8:
        return image
    return (numpy.clip(numpy.asarray(image, dtype=numpy.float64), 0, 1) * 255 + 0.5).astype(numpy.uint8)


def save_png(path, image):
    """Save an (H, W) or (H, W, 3) array in [0, 1] as PNG, atomically."""
    im = Image.fromarray(to_uint8(image))
    _atomic_write(path, lambda f: im.save(f, format="PNG"))


def save_json(path, data):
    text = json.dumps(data, indent=2, sort_keys=False, default=_jsonable)
    _atomic_write(path, lambda f: f.write((text + "\n").encode()))


def save_text(path, text):
    _atomic_write(path, lambda f: f.write(text.encode()))


def save_npz(path, **arrays):
    _atomic_write(path, lambda f: numpy.savez_compressed(f, **arrays))


def _jsonable(v):
    if isinstance(v, numpy.generic):
        return v.item()
    if isinstance(v, numpy.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"cannot write {type(v).__name__} to JSON")


def montage(rows, labels=None, cell=160, pad=4):
    """A grid picture: ``rows`` is a list of lists of images in [0, 1] (gray or
    colour, any size; each is fitted into a ``cell`` x ``cell`` box), with
    optional column ``labels`` drawn on a header row. Returns a uint8 array."""
    ncols = max(len(r) for r in rows)
    head = 16 if labels else 0
    out = Image.new("RGB", (ncols * (cell + pad) + pad, head + len(rows) * (cell + pad) + pad),
                    "white")
    draw = ImageDraw.Draw(out)
    for j, text in enumerate(labels or []):
        draw.text((pad + j * (cell + pad) + 2, 2), str(text), fill="black")
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            if img is None:
                continue
            tile = Image.fromarray(to_uint8(img)).convert("RGB")
            tile.thumbnail((cell, cell), Image.Resampling.LANCZOS)
            out.paste(tile, (pad + j * (cell + pad), head + pad + i * (cell + pad)))
    return numpy.asarray(out)
