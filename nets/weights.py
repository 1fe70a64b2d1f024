"""Our HDF5 weight files: write, read, check against an architecture.

Layout (one file per network, ``weights/<network>.h5``; ``weights/README.md``)::

    /<layer>/w     float32 (out, in/groups, kh, kw), cross-correlation kernels;
                   the first layer's input channels in RGB order
    /<layer>/b     float32 (out,)
    /_meta/mean_image   optional float32 (H, W, 3) RGB mean image, 0..255
    root attributes: format, format_version, architecture, layers (order),
                   source_package, source_file, source_md5, source_sha256,
                   converter, input_order ("RGB"), input_scale (255.0),
                   mean_rgb (3,), input_size (H, W), licence

A network's input is ``input_scale * image - mean`` for an RGB image in
[0, 1]; any per-channel division (a "std") is folded into the first layer
at conversion, so every network sees mean-subtracted 0..255 pixels.

Every failure raises ``WeightsError`` naming the file (and the layer), and
says what to run when the cure is to fetch or convert again.
"""
import contextlib
import os

import h5py
import numpy

FORMAT, FORMAT_VERSION = "invrep-weights", 1
META_GROUP = "_meta"
FETCH_HINT = "python -m invert.fetch weights"
REQUIRED_META = ("architecture", "layers", "input_order", "input_scale", "mean_rgb")


class WeightsError(ValueError):
    """A weights file is missing, unreadable, or does not fit its architecture."""


def weights_path(path_or_name, weights_dir=None):
    """``"vgg19"`` -> ``<weights_dir>/vgg19.h5`` (default ``default_weights_dir()``);
    a path (with a separator or a suffix) is returned unchanged."""
    p = os.fspath(path_or_name)
    if os.sep in p or "/" in p or os.path.splitext(p)[1]:
        return p
    return os.path.join(weights_dir or default_weights_dir(), p + ".h5")


def save_weights(path, weights, meta):
    """Write ``weights`` (``{"<layer>/w": array, "<layer>/b": array}``) and
    ``meta`` (root attributes; ``mean_image`` goes to ``/_meta``) atomically:
    a ``.part`` file renamed into place, so an interrupted conversion never
    leaves a file that looks complete."""
    meta = dict(meta)
    mean_image = meta.pop("mean_image", None)
    layers = list(dict.fromkeys(k.rsplit("/", 1)[0] for k in weights))
    meta.setdefault("layers", layers)
    with atomic_hdf5(path) as f:
        f.attrs["format"], f.attrs["format_version"] = FORMAT, FORMAT_VERSION
        for key, value in meta.items():
            f.attrs[key] = _attr(value)
        for key, value in weights.items():
            layer, kind = key.rsplit("/", 1)
            if layer == META_GROUP:
                raise WeightsError(f"{path}: '{META_GROUP}' is reserved, not a layer name")
            f.require_group(layer).create_dataset(
                kind, data=numpy.asarray(value, numpy.float32))
        if mean_image is not None:
            f.create_group(META_GROUP).create_dataset(
                "mean_image", data=numpy.asarray(mean_image, numpy.float32))
    return path


@contextlib.contextmanager
def atomic_hdf5(path):
    """An HDF5 file open for writing as ``path + ".part"``, renamed to
    ``path`` when the block ends, deleted if it raises (Ctrl-C included)."""
    part = os.fspath(path) + ".part"
    os.makedirs(os.path.dirname(part) or ".", exist_ok=True)
    try:
        with h5py.File(part, "w") as f:
            yield f
    except BaseException:
        if os.path.exists(part):
            os.remove(part)
        raise
    os.replace(part, path)


def _attr(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return numpy.array(value, dtype=object).astype("S")
    return numpy.asarray(value)


def _from_attr(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value]
    return value


def default_weights_dir():
    """``$INVREP_WEIGHTS`` if set, else ``weights`` (relative to the working
    directory). Loading, listing, fetching and converting all use it."""
    return os.environ.get("INVREP_WEIGHTS", "weights")


def load_weights(path_or_name, weights_dir=None, shapes=None, architecture=None):
    """Read a weights file: ``(weights, meta)``.

    path_or_name  a path, or a network name looked up as ``weights_dir/<name>.h5``
                  (``weights_dir`` default: ``default_weights_dir()``)
    shapes        optional ``{layer: (out, in/groups, kh, kw)}`` of the
                  architecture; every layer must be present with that shape
    architecture  optional name the file's ``architecture`` attribute must match
    """
    path = weights_path(path_or_name, weights_dir)
    if not os.path.exists(path):
        raise WeightsError(f"weights file {path} does not exist; run `{FETCH_HINT}` "
                           f"(or `python -m invert.convert ...` for networks you "
                           f"convert yourself, see weights/README.md)")
    try:
        with h5py.File(path, "r") as f:
            meta = {k: _from_attr(v) for k, v in f.attrs.items()}
            if meta.get("format") != FORMAT:
                raise WeightsError(f"{path} is not an invrep weights file (format "
                                   f"attribute {meta.get('format')!r}, expected {FORMAT!r})")
            missing = [k for k in REQUIRED_META if k not in meta]
            if missing:
                raise WeightsError(f"{path}: root attributes {missing} are missing")
            weights = {}
            for layer in meta["layers"]:
                if layer not in f or "w" not in f[layer]:
                    raise WeightsError(f"{path}: layer '{layer}' is listed but has no "
                                       f"dataset '{layer}/w'")
                for kind in ("w", "b"):
                    if kind in f[layer]:
                        weights[f"{layer}/{kind}"] = _read(f[layer][kind], path, layer)
            if META_GROUP in f and "mean_image" in f[META_GROUP]:
                meta["mean_image"] = _read(f[META_GROUP]["mean_image"], path, META_GROUP)
    except WeightsError:
        raise
    except (OSError, KeyError, ValueError) as err:
        raise WeightsError(f"weights file {path} is corrupted or truncated ({err}); "
                           f"delete it and run `{FETCH_HINT}` again") from err
    meta["path"] = path
    if architecture is not None and meta["architecture"] != architecture:
        raise WeightsError(f"{path} holds weights of '{meta['architecture']}', "
                           f"not of '{architecture}'")
    if shapes is not None:
        check_shapes(weights, shapes, path, meta["architecture"])
    return weights, meta


def _read(dataset, path, layer):
    try:
        a = numpy.asarray(dataset[()], dtype=numpy.float32)
    except (OSError, ValueError) as err:
        raise WeightsError(f"weights file {path}: layer '{layer}' cannot be read ({err}); "
                           f"the file is corrupted: delete it and run `{FETCH_HINT}` "
                           f"again") from err
    if not numpy.isfinite(a).all():
        raise WeightsError(f"{path}: layer '{layer}' dataset '{dataset.name}' holds "
                           f"non-finite values; delete the file and fetch/convert again")
    return a


def check_shapes(weights, shapes, path="<weights>", architecture="?"):
    """Every layer of ``shapes`` present with that kernel shape and a
    matching bias; no layer the architecture does not know."""
    layers = {k.rsplit("/", 1)[0] for k in weights}
    extra = sorted(layers - set(shapes))
    if extra:
        raise WeightsError(f"{path}: layers {extra} are not layers of '{architecture}' "
                           f"(its weighted layers: {list(shapes)})")
    for layer, shape in shapes.items():
        w = weights.get(f"{layer}/w")
        if w is None:
            raise WeightsError(f"{path}: layer '{layer}' of '{architecture}' is missing")
        if tuple(w.shape) != tuple(shape):
            raise WeightsError(f"{path}: layer '{layer}': kernel shape {tuple(w.shape)} "
                               f"does not match the architecture '{architecture}', "
                               f"which expects {tuple(shape)} (out, in/groups, kh, kw)")
        b = weights.get(f"{layer}/b")
        if b is not None and tuple(b.shape) != (shape[0],):
            raise WeightsError(f"{path}: layer '{layer}': bias shape {tuple(b.shape)} "
                               f"does not match {shape[0]} output channels")
