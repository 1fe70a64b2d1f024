"""From an image in [0, 1] to a network's input, and back: the one place
where pixels change units.

Every network reads NCHW arrays x = scale * image - mean:

* the ImageNet networks: RGB on a 0..255 scale (``scale`` 255) minus a mean
  colour (3,) or a mean image (H, W, 3), both RGB on the 0..255 scale; a
  mean image larger than the input is centre-cropped (Caffe crops its
  256x256 ImageNet mean to 227x227 the same way). The converters permute a
  BGR first layer to RGB and fold any per-channel "std" division into it
  (weights/README.md), so no network needs more than this.
* HOG and DSIFT: one grey channel (``channels`` 1) in VLFeat's [0, 1]
  (``scale`` 1) minus a scalar mean (0.5: the centred input of the
  inversion, ``nets.registry``).

    forward:  x[n, c, i, j] = scale * image[n, i, j, c] - mean[c or (i, j, c)]
    inverse:  image[n, i, j, c] = (x[n, c, i, j] + mean) / scale

A colour image given to a grey network is converted with MATLAB's
``rgb2gray`` weights (``to_gray``), a grey image given to a colour network
is repeated in the three channels. The arithmetic runs on the host in
``dtype``: float64 by default (HOG, DSIFT, networks built without a weights
file); float32 for networks loaded from a weights file (``from_meta``),
whose inputs are formed from a float32 image as when their outputs were
checked against the reference data (tests/data/pretrained.npz).
``forward`` then rounds to the working dtype on the current device.
"""
import numpy
from PIL import Image

from minigrad import backend

# MATLAB's rgb2gray: the Rec. 601 luma weights, as MATLAB rounds them
GRAY_WEIGHTS = (0.298936021293775, 0.587043074451121, 0.114020904255103)


def to_gray(image):
    """(..., H, W, 3) RGB -> (..., H, W) float64 with MATLAB's rgb2gray weights."""
    return numpy.asarray(image, dtype=numpy.float64) @ numpy.array(GRAY_WEIGHTS)


class Preprocess:
    """``x = scale * image - mean`` and back (module docstring)."""

    def __init__(self, mean, scale=255.0, input_size=None, mean_image=None, channels=3,
                 dtype=numpy.float64):
        if channels not in (1, 3):
            raise ValueError(f"a network reads 1 (grey) or 3 (RGB) channels, not {channels}")
        self.channels, self.scale, self.dtype = int(channels), float(scale), numpy.dtype(dtype)
        self.mean_colour = numpy.broadcast_to(numpy.asarray(mean, dtype=numpy.float64).ravel(),
                                              (channels,)).copy()
        self.input_size = tuple(int(s) for s in input_size) if input_size is not None else None
        self.mean_image = None if mean_image is None else \
            numpy.asarray(mean_image, dtype=numpy.float64)
        if self.mean_image is not None and (self.mean_image.ndim != 3 or
                                            self.mean_image.shape[2] != channels):
            raise ValueError(f"mean image must be (H, W, {channels}), got "
                             f"{self.mean_image.shape}")

    @classmethod
    def from_meta(cls, meta):
        """From a weights file's root attributes (``nets.weights``)."""
        if meta.get("input_order", "RGB") != "RGB":
            raise ValueError(f"{meta.get('path', 'weights')}: input order "
                             f"{meta['input_order']!r}; our networks take RGB")
        return cls(meta["mean_rgb"], meta.get("input_scale", 255.0),
                   meta.get("input_size"), meta.get("mean_image"), dtype=numpy.float32)

    @property
    def unit(self):
        """One grey level (of 0..255) in input units."""
        return self.scale / 255.0

    def mean(self, h, w):
        """The mean to subtract from an (h, w) input: (h, w, C) or (C,)."""
        if self.mean_image is None:
            return self.mean_colour
        mh, mw = self.mean_image.shape[:2]
        if mh < h or mw < w:
            raise ValueError(f"the mean image is {mh}x{mw}, smaller than the "
                             f"input {h}x{w}; resize the input to {self.input_size}")
        t, l = (mh - h) // 2, (mw - w) // 2
        return self.mean_image[t:t + h, l:l + w]

    def _channels_last(self, image):
        """An image (H, W) or (H, W, 3), or a batch (N, H, W, 3), as
        (N, H, W, C) in ``dtype`` with this network's C."""
        a = numpy.asarray(backend.to_numpy(image), dtype=numpy.float64)
        if a.ndim == 2:
            a = a[None, :, :, None]
        elif a.ndim in (3, 4) and a.shape[-1] == 3:
            a = a if a.ndim == 4 else a[None]
        else:
            raise ValueError(f"expected an image (H, W) or (H, W, 3) or a batch "
                             f"(N, H, W, 3), got shape {a.shape}")
        if a.shape[-1] == 3 and self.channels == 1:
            a = to_gray(a)[..., None]
        elif a.shape[-1] == 1 and self.channels == 3:  # a grey image for an RGB network
            a = numpy.repeat(a, 3, axis=-1)
        return a.astype(self.dtype, copy=False)

    def centred(self, image):
        """(H, W[, 3]) or (N, H, W, 3) in [0, 1] -> NumPy (N, C, H, W) in ``dtype``."""
        a = self._channels_last(image)
        mean = self.mean(*a.shape[1:3]).astype(self.dtype)
        return (self.dtype.type(self.scale) * a - mean).transpose(0, 3, 1, 2)

    def forward(self, image):
        """``centred(image)`` on the current device, in the working dtype."""
        return backend.asarray(self.centred(image))

    def __call__(self, image):
        return self.forward(image)

    def inverse(self, x):
        """(N, C, H, W) network input -> images (N, H, W, 3) or (N, H, W) in
        ``dtype``, nominally in [0, 1] (not clipped: a reconstruction may
        leave the range)."""
        x = numpy.asarray(backend.to_numpy(x), dtype=numpy.float64)
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"expected a network input (N, {self.channels}, H, W), "
                             f"got {x.shape}")
        image = (x.transpose(0, 2, 3, 1) + self.mean(*x.shape[2:]).astype(self.dtype)) / self.scale
        image = image.astype(self.dtype, copy=False)
        return image[..., 0] if self.channels == 1 else image

    def load_image(self, path, size=None):
        """An image file as RGB in [0, 1], resized (Pillow LANCZOS) to ``size``
        (default: the network's input size), without cropping: a non-square
        photo is squashed, as in pretrained.npz's reference inputs."""
        size = size or self.input_size
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size is not None and im.size != (size[1], size[0]):
                im = im.resize((size[1], size[0]), Image.LANCZOS)
            return numpy.asarray(im, dtype=numpy.float32) / 255.0

    def __repr__(self):
        mean = "image" if self.mean_image is not None else self.mean_colour.tolist()
        return (f"Preprocess(mean={mean}, scale={self.scale}, channels={self.channels}, "
                f"input_size={self.input_size})")
