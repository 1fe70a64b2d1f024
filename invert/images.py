"""Reading and writing pictures, atomically; montages (Pillow only).

Reading (``load_image``) keeps every bit a file holds and maps its samples
to [0, 1] by the file's own range:

* 8-bit (L, RGB, palette, JPEG): / 255, as Pillow decodes them; 1-bit: 0 or 1.
* 16-bit grey (PNG, TIFF, PGM; Pillow's modes I;16, I;16B, ...): / 65535.
  16-bit colour and grey+alpha PNG or TIFF: Pillow decodes only the high
  byte of each sample; we decode the file a second time with the opposite
  byte order, which yields the low bytes, and join the two (/ 65535).
* 32-bit integer (mode I): by the range the file declares: a TIFF's bits
  per sample and signedness (so 12-bit data is / 4095, int16 maps
  [-32768, 32767] and uint32 [0, 2^32 - 1] onto [0, 1]); a PNG or PNM in
  mode I holds 16-bit samples (Pillow scales a PNM's maxval to 16 bits);
  anything else by the int32 range. Samples outside that range are an error.
* Floating point (mode F, e.g. a float32 TIFF): as is when every value is
  finite and within [0, 1]; otherwise an error that gives the range found.
  A float file declares no range, so any mapping (min-max, / 255, clipping)
  would be a guess that changes the contrast, and with it the code the
  inversion matches: the user who knows what the numbers mean rescales.
  (Pillow reads float32 only: float64 TIFFs are refused as unreadable.)
* Alpha (RGBA, grey+alpha, palette with a transparent colour, PA): the
  picture is composited on white, c a + (1 - a), as a viewer shows it on a
  white page; an ``ImageNote`` warning says so (the command line prints it
  once per image).
* CMYK: RGB = (1 - C)(1 - K) per channel (Pillow's formula, computed in
  floating point; no colour profile is applied, as for RGB); an
  ``ImageNote`` says so.
* The EXIF orientation tag is applied (``ImageOps.exif_transpose``), as
  every viewer does; an animation or multi-page file gives its first frame,
  with an ``ImageNote``. Other modes (YCbCr, LAB, ...) go through Pillow's
  8-bit RGB conversion.

Writing: every file goes to a temporary file in the same directory first and
is then moved over the target with ``os.replace``, so a reader (or a run cut
off by Ctrl-C) never sees a half-written file.
"""
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from nets.preprocess import to_gray

DEFAULT_IMAGE = Path(__file__).parent / "data" / "astronaut.png"
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".gif", ".webp")
GREY, COLOUR = ("1", "L", "LA", "I", "F"), ("RGB", "RGBA", "CMYK")
# modes Pillow converts for us: to RGBA where they carry transparency, else RGB
VIA_RGBA = ("PA", "La", "RGBa")


class ImageNote(UserWarning):
    """What ``load_image`` did to a picture beyond reading it (alpha
    composited on white, CMYK converted, later frames ignored)."""


def _note(path, text):
    warnings.warn(f"{path}: {text}", ImageNote, stacklevel=3)


def load_image(path, gray=False):
    """An image file as float64 in [0, 1], (H, W, 3) or, with ``gray``, (H, W)
    (MATLAB's rgb2gray weights); a grey file gives three equal channels.
    Samples are mapped by the file's own range, alpha is composited on
    white, the EXIF orientation is applied (module docstring). ValueError
    with a one-line reason if the file is missing, unreadable, not an image,
    or holds values outside its range."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"image file not found: {path}")
    try:
        with Image.open(path) as im:
            mode, a = _decode(im, path)
    except UnidentifiedImageError:
        raise ValueError(f"not an image format Pillow can read: {path}") from None
    except Image.DecompressionBombError as err:
        raise ValueError(f"{path}: {err}") from None
    except OSError as err:
        raise ValueError(f"cannot read image {path}: {err}") from None
    a = _composite(mode, a, path)
    if mode == "CMYK":
        _note(path, "CMYK converted to RGB as (1 - C)(1 - K), without a colour profile")
        a = (1 - a[..., :3]) * (1 - a[..., 3:])
    elif a.ndim == 2:
        a = numpy.repeat(a[..., None], 3, axis=2)
    return to_gray(a) if gray else a


def _decode(im, path):
    """(mode, float64 samples in [0, 1]) of an opened file; mode is one of
    GREY or COLOUR and says what the last axis holds."""
    if getattr(im, "n_frames", 1) > 1:
        _note(path, f"{im.n_frames} frames (pages); read the first")
    limits = _integer_range(im) if im.mode.startswith("I") else None
    low = _low_bytes(im, path)
    im = ImageOps.exif_transpose(im)  # NOTE: loads the pixels
    if low is not None:
        high = numpy.asarray(im, numpy.uint32)
        mode = "LA" if low.shape[2] == 2 else im.mode
        high = high[..., [0, 3]] if mode == "LA" else high[..., :3] if mode == "RGBX" else high
        return ("RGB" if mode == "RGBX" else mode), ((high << 8) | low[..., :high.shape[2]]) / 65535.0
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode in VIA_RGBA:
        im = im.convert("RGBA")
    elif im.mode not in GREY + COLOUR and not im.mode.startswith("I"):
        im = im.convert("RGB")
    a = numpy.asarray(im)
    if im.mode == "F":
        return "F", _unit_floats(a, path)
    if im.mode.startswith("I"):
        lo, hi = limits
        a = a.view(numpy.uint32) if hi > 2 ** 31 - 1 else a  # NOTE: Pillow reads uint32 as int32
        if a.min() < lo or a.max() > hi:
            raise ValueError(f"{path}: samples span [{a.min()}, {a.max()}], outside the "
                             f"file's declared range [{lo}, {hi}]")
        return "I", (a.astype(numpy.float64) - lo) / (hi - lo)
    return im.mode, a.astype(numpy.float64) / (1.0 if im.mode == "1" else 255.0)


def _first(value):
    return int(numpy.ravel(value)[0])


def _integer_range(im):
    """(lo, hi) of the samples of a mode I / I;16 file (module docstring)."""
    tags = getattr(im, "tag_v2", None)
    if tags is not None and 258 in tags:  # NOTE: BitsPerSample, SampleFormat (2: signed)
        bits = _first(tags[258])
        signed = _first(tags.get(339, 1)) == 2
        return (-2 ** (bits - 1), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    if im.mode.startswith("I;16") or im.format in ("PNG", "PPM"):
        return 0, 65535
    return -2 ** 31, 2 ** 31 - 1


def _rawmode(tile):
    args = tile[3]  # NOTE: (decoder, extents, offset, args): a namedtuple from Pillow 11
    return args if isinstance(args, str) else args[0] if args else None


def _with_rawmode(tile, rawmode):
    args = rawmode if isinstance(tile[3], str) else (rawmode, *tile[3][1:])
    return tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)


def _low_bytes(im, path):
    """The low bytes (H, W, C) of a 16-bit colour or grey+alpha file, or None
    for every other file (module docstring). Pillow unpacks the high byte
    (rawmode ``X;16B`` or ``X;16L`` for the data's byte order); decoding
    again with the other order unpacks the low byte. 16-bit grey+alpha
    (``LA;16B``) is unpacked as four bytes (grey high, low, alpha high,
    low). When Pillow cannot, the file is read at 8 bits, with a note."""
    raw = {_rawmode(t) for t in im.tile}
    if len(raw) != 1 or ";16" not in str(next(iter(raw))) or im.mode.startswith("I"):
        return None
    base, _, order = next(iter(raw)).partition(";16")
    if base not in ("RGB", "RGBA", "RGBX", "CMYK", "LA"):
        _note(path, f"16-bit samples ({base}) read at 8 bits (Pillow's own conversion)")
        return None
    order = {"N": "L" if sys.byteorder == "little" else "B"}.get(order, order)
    other = "RGBA" if base == "LA" else base + ";16" + {"B": "L", "L": "B"}.get(order, "?")
    try:
        with Image.open(path) as again:
            again.tile = [_with_rawmode(t, other) for t in again.tile]
            again = ImageOps.exif_transpose(again)
            low = numpy.asarray(again, numpy.uint32)
    except (ValueError, AttributeError, TypeError, OSError):
        _note(path, "16-bit colour samples read at 8 bits (Pillow cannot unpack the low bytes)")
        return None
    return low[..., [1, 3]] if base == "LA" else low


def _unit_floats(a, path):
    """A float image's samples, as they are: they must be finite, in [0, 1]."""
    a = a.astype(numpy.float64)
    if not numpy.isfinite(a).all():
        raise ValueError(f"{path}: float image holds NaN or infinite values")
    if a.min() < 0 or a.max() > 1:
        raise ValueError(f"{path}: float samples span [{a.min():.6g}, {a.max():.6g}], outside "
                         f"[0, 1]; a float file declares no range: rescale it to [0, 1]")
    return a


def _composite(mode, a, path):
    """Pixels with alpha (the last channel of RGBA and LA) composited on
    white: c a + (1 - a); other modes unchanged."""
    if mode not in ("RGBA", "LA"):
        return a
    alpha, c = a[..., -1:], a[..., :-1]
    if (alpha < 1).any():
        _note(path, "transparent pixels composited on white")
    out = c * alpha + (1 - alpha)
    return out[..., 0] if mode == "LA" else out


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


def save_image(path, image):
    """Save an (H, W) or (H, W, 3) array in [0, 1] as 8 bits per channel, in
    the format its extension names (.png, .jpg, .tif, ...), atomically."""
    path = Path(path)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise ValueError(f"cannot write a picture named {path.name}: no image format "
                         f"for {path.suffix!r} (use one of {', '.join(EXTENSIONS)})")
    im = Image.fromarray(to_uint8(image))
    options = dict(quality=95) if fmt in ("JPEG", "WEBP") else {}
    _atomic_write(path, lambda f: im.save(f, format=fmt, **options))


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
