"""From an RGB image in [0, 1] to a network's input, and back.

Every network we load takes RGB pixels on a 0..255 scale minus a mean,
NCHW (the converters permute a BGR first layer to RGB and fold any
per-channel "std" division into it, ``weights/README.md``):

    forward:  x[n, c, i, j] = scale * image[n, i, j, c] - mean[c or (i, j, c)]
    inverse:  image[n, i, j, c] = (x[n, c, i, j] + mean) / scale

``mean`` is a colour (3,) or a mean image (H, W, 3), both RGB on the
0..255 scale; a mean image larger than the input is centre-cropped (Caffe
crops its 256x256 ImageNet mean to 227x227 the same way).
"""
import numpy

from minigrad import backend


class Preprocess:
    def __init__(self, mean_rgb, scale=255.0, input_size=None, mean_image=None):
        self.mean_rgb = numpy.asarray(mean_rgb, dtype=numpy.float32).reshape(3)
        self.scale = float(scale)
        self.input_size = tuple(int(s) for s in input_size) if input_size is not None else None
        self.mean_image = None if mean_image is None else \
            numpy.asarray(mean_image, dtype=numpy.float32)
        if self.mean_image is not None and (self.mean_image.ndim != 3 or
                                            self.mean_image.shape[2] != 3):
            raise ValueError(f"mean image must be (H, W, 3) RGB, got {self.mean_image.shape}")

    @classmethod
    def from_meta(cls, meta):
        """From a weights file's root attributes (``invert.weights``)."""
        if meta.get("input_order", "RGB") != "RGB":
            raise ValueError(f"{meta.get('path', 'weights')}: input order "
                             f"{meta['input_order']!r}; our networks take RGB")
        return cls(meta["mean_rgb"], meta.get("input_scale", 255.0),
                   meta.get("input_size"), meta.get("mean_image"))

    def mean(self, h, w):
        """The mean to subtract from an (h, w) input, (h, w, 3) or (3,)."""
        if self.mean_image is None:
            return self.mean_rgb
        mh, mw = self.mean_image.shape[:2]
        if mh < h or mw < w:
            raise ValueError(f"the mean image is {mh}x{mw}, smaller than the "
                             f"input {h}x{w}; resize the input to {self.input_size}")
        t, l = (mh - h) // 2, (mw - w) // 2
        return self.mean_image[t:t + h, l:l + w]

    def __call__(self, image):
        return self.forward(image)

    def forward(self, image):
        """(H, W, 3) or (N, H, W, 3) RGB in [0, 1] -> (N, 3, H, W) network input
        on the current device, in the working dtype."""
        image = numpy.asarray(backend.to_numpy(image), dtype=numpy.float32)
        if image.ndim == 3:
            image = image[None]
        if image.ndim != 4 or image.shape[3] != 3:
            raise ValueError(f"expected an RGB image (H, W, 3) or a batch (N, H, W, 3), "
                             f"got shape {image.shape}")
        x = self.scale * image - self.mean(*image.shape[1:3])
        return backend.asarray(x.transpose(0, 3, 1, 2))

    def inverse(self, x):
        """(N, 3, H, W) network input -> (N, H, W, 3) RGB image, nominally in
        [0, 1] (not clipped: a reconstruction may leave the range)."""
        x = numpy.asarray(backend.to_numpy(x), dtype=numpy.float64)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected a network input (N, 3, H, W), got {x.shape}")
        image = x.transpose(0, 2, 3, 1) + self.mean(*x.shape[2:])
        return (image / self.scale).astype(numpy.float32)

    def load_image(self, path, size=None):
        """An image file as RGB in [0, 1], resized (Pillow LANCZOS) to ``size``
        (default: the network's input size), without cropping: a non-square
        photo is squashed, as in pretrained.npz's reference inputs."""
        from PIL import Image
        size = size or self.input_size
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size is not None and im.size != (size[1], size[0]):
                im = im.resize((size[1], size[0]), Image.LANCZOS)
            return numpy.asarray(im, dtype=numpy.float32) / 255.0

    def __repr__(self):
        mean = "image" if self.mean_image is not None else self.mean_rgb.tolist()
        return f"Preprocess(mean={mean}, scale={self.scale}, input_size={self.input_size})"
