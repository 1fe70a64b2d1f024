"""Representations Phi: a network cut at a layer, and the units it reads.

Units (the one thing to get right when comparing with the paper)
-----------------------------------------------------------------
The unknown x of the objective lives at roughly unit norm per image. The
network reads ``sigma * x + shift``, where ``sigma * x`` is the *centred*
input in the representation's own units:

* HOG / HOGb / DSIFT read VLFeat's grayscale in [0, 1] (``hog`` branch
  networks). Centred input z = gray - 0.5, ``shift`` = 0.5 adds the mean back
  (HOG and SIFT see only gradients, so the shift is immaterial to Phi and only
  places the picture for display). One grey level is ``unit`` = 1/255.
* CNNs read 0..255 RGB (or BGR) minus the network's mean colour/image:
  z is that input itself, ``shift`` = 0, ``unit`` = 1.

sigma, the average Euclidean norm of natural images of the working size in
these units, is ``rho * sqrt(C H W)`` with ``rho`` the per-element RMS of
centred natural images (``sigma="auto"``):

* CNNs: rho = 68.9 grey levels, the paper's sigma = 27098.1 for 227x227x3
  divided by sqrt(227*227*3) (ImageNet images minus the mean image).
* HOG / DSIFT: rho = 0.2327 = 59.3/255, the mean over the 20 foolbox ImageNet
  validation photos (512x512) of the RMS of (gray - 0.5), gray = MATLAB's
  rgb2gray weights. At 512x512 this gives sigma = 119.1, where the authors'
  code used its fixed 27098.1 grey levels = 106.3 for every image size
  (``sigma="paper"``): ours grows like sqrt(H W), so the priors' balance
  (module ``objective``) does not drift with the image size.
"""
import dataclasses
import importlib
from pathlib import Path
from dataclasses import dataclass, field

import numpy

from minigrad import backend

GRAY_WEIGHTS = (0.298936021293775, 0.587043074451121, 0.114020904255103)
PAPER_SIGMA = 27098.1  # authors' x0_sigma, grey levels, 227x227x3


@dataclass
class Representation:
    """Phi(z) = net.forward(z + shift, until=layer), with its image units."""
    name: str
    net: object            # a minigrad Net (or anything with forward/backward)
    layer: str = None      # None: the net's last layer
    channels: int = 1      # 1: grayscale input, 3: colour
    unit: float = 1.0      # one grey level (of 0..255) in input units
    shift: float = 0.0     # added to sigma*x before the network
    rho: float = 68.9      # RMS of centred natural images, input units
    mean: object = 0.0     # subtracted after scaling 0..255 (CNNs)
    bgr: bool = False      # network reads BGR
    defaults: dict = field(default_factory=dict)  # lambda_tv, schedule, ...
    preprocess: object = None  # a deep network's Preprocess (forward/inverse)

    # -- images in [0, 1] <-> centred network input -----------------------
    def to_centred(self, image):
        """(H, W[, 3]) in [0, 1] -> centred input z of shape (1, C, H, W):
        z = 255 unit image - mean - shift."""
        a = numpy.asarray(image, dtype=numpy.float64)
        if self.preprocess is not None:
            a = numpy.stack([a] * 3, axis=-1) if a.ndim == 2 else a
            return backend.to_numpy(self.preprocess.forward(a)).astype(numpy.float64)
        if self.channels == 1:
            a = (a @ numpy.array(GRAY_WEIGHTS) if a.ndim == 3 else a)[None, None]
        else:
            a = (numpy.stack([a] * 3, axis=-1) if a.ndim == 2 else a).transpose(2, 0, 1)[None]
            a = a[:, ::-1] if self.bgr else a
        return 255 * self.unit * a - self._mean(self.channels) - self.shift

    def from_centred(self, z):
        """Centred input (N, C, H, W) -> images (N, H, W[, 3]) clipped to [0, 1]."""
        z = backend.to_numpy(z).astype(numpy.float64)
        if self.preprocess is not None:
            return numpy.clip(self.preprocess.inverse(z), 0.0, 1.0).astype(numpy.float64)
        a = (z + self.shift + self._mean(z.shape[1])) / (255 * self.unit)
        a = a[:, ::-1] if a.shape[1] == 3 and self.bgr else a
        a = a.transpose(0, 2, 3, 1)
        return numpy.clip(a[..., 0] if a.shape[-1] == 1 else a, 0.0, 1.0)

    def _mean(self, c):
        m = numpy.asarray(self.mean, dtype=numpy.float64)
        if m.ndim == 1:  # a mean colour
            return m.reshape(1, c, 1, 1)
        return m[None] if m.ndim == 3 else m  # a mean image (C, H, W), or a scalar

    # -- the code and its gradient ----------------------------------------
    def forward(self, z):
        return self.net.forward(z + self.shift if self.shift else z, until=self.layer)

    def backward(self, dzdy):
        return self.net.backward(dzdy)

    def code_shape(self, height, width):
        """Shape (C', H', W') of Phi for an image of that size; ValueError with
        a clear message when the image is too small."""
        try:
            shape = self.net.shapes((1, self.channels, height, width), until=self.layer)[
                self.layer or self.net.output]
        except ValueError as err:
            raise ValueError(f"a {height}x{width} image is too small for "
                             f"{self.name}: {err}") from None
        if min(shape[1:]) < 1:
            raise ValueError(f"a {height}x{width} image is too small for {self.name} "
                             f"(its code would be empty: {shape[1:]})")
        return shape[1:]

    def sigma(self, height, width):
        """sigma = rho sqrt(C H W): the norm of a typical centred image."""
        return self.rho * (self.channels * height * width) ** 0.5

    def at(self, layer):
        """The same network cut at ``layer``, with that layer's defaults: a
        weights-registry network's lambda_tv depends on the depth
        (``deep_presets.default_lambda_tv``); the network is not reloaded."""
        defaults = dict(self.defaults)
        if self.preprocess is not None:  # NOTE: built by _deep
            from .deep_presets import default_lambda_tv
            defaults["lambda_tv"] = default_lambda_tv(self.name, self.net.names, layer)
        return dataclasses.replace(self, layer=layer, defaults=defaults)


# -- the registry ------------------------------------------------------------
# name -> (builder "module:function", builder kwargs, Representation fields).
# A builder returns a minigrad Net; shallow ones read [0, 1] grayscale.
# hog/hogb/dsift are VLFeat's (numerically equal to it); *-authors are the
# authors' MATLAB networks (27-d HOG without texture, DSIFT-like), for
# comparing with the paper's own numbers (SPEC §4).
CNN_DEFAULTS = dict(schedule="cnn", adaptive=16.0, box=True)  # why: module ``adaptive``
SHALLOW = dict(channels=1, unit=1 / 255, shift=0.5, rho=0.2327,
               defaults=dict(lambda_tv=5.0, schedule="shallow"))
REGISTRY = {
    "hog": ("invert.shallow:hog_net", dict(cell_size=8, variant="uoctti"), SHALLOW),
    "hogb": ("invert.shallow:hog_net", dict(cell_size=8, variant="uoctti",
                                            orientation="bilinear"), SHALLOW),
    "dsift": ("invert.shallow:dsift_net", dict(bin_size=4, step=2, fast=True), SHALLOW),
    "hog-authors": ("invert.shallow:hog_net", dict(cell_size=8, variant="paper"), SHALLOW),
    "hogb-authors": ("invert.shallow:hog_net", dict(cell_size=8, variant="paper",
                                                    orientation="bilinear"), SHALLOW),
    "dsift-authors": ("invert.shallow:dsift_net", dict(bin_size=4, step=None,
                                                       variant="paper"), SHALLOW),
    "caffenet-random": ("invert.representations:_random_caffenet", {},
                        dict(channels=3, defaults=dict(lambda_tv=5.0, **CNN_DEFAULTS))),
}


def _random_caffenet(seed=0):
    """CaffeNet with He-random weights: a stand-in for timing and tests."""
    from .cnn import caffenet, random_caffenet_weights
    return caffenet(random_caffenet_weights(numpy.random.default_rng(seed)))


def _deep(name, layer):
    """A deep network of the weights registry (``invert.networks``) as a
    representation: RGB 0..255 minus its mean, rho as CNN-A, lambda_tv by
    depth (``deep_presets.default_lambda_tv``)."""
    from . import networks
    if name not in networks.list_networks():
        known = names() + networks.list_networks()
        raise ValueError(f"unknown representation {name!r}; known: {', '.join(known)}")
    try:
        net, prep = networks.load_network(name)
    except Exception as err:  # NOTE: missing or corrupt weights file, one line
        raise ValueError(f"cannot load network {name!r}: {err}".replace("\n", " ")) from None
    layer = layer or networks.network_info(name).default_layer
    if layer not in net:
        raise ValueError(f"network {name!r} has no layer {layer!r}; its layers are: "
                         f"{', '.join(net.names)}")
    unit = prep.scale / 255
    return Representation(name=name, net=net, channels=3, unit=unit, rho=68.9 * unit,
                          preprocess=prep, defaults=dict(CNN_DEFAULTS)).at(layer)


def deep_networks(weights_dir="weights"):
    """(names whose weights file exists, names without one) in the weights
    registry."""
    from . import networks
    have, missing = [], []
    for name in networks.list_networks():
        (have if (Path(weights_dir) / f"{name}.h5").is_file() else missing).append(name)
    return have, missing


def names():
    return sorted(REGISTRY)


def get(name, layer=None, **builder_options):
    """The representation ``name`` cut at ``layer`` (None: its last layer)."""
    if name not in REGISTRY:
        return _deep(name, layer)
    target, kwargs, fields = REGISTRY[name]
    module, func = target.split(":")
    try:
        builder = getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        raise ValueError(f"representation {name!r} is not available in this "
                         f"installation ({target} is missing)") from None
    net = builder(**{**kwargs, **builder_options})
    if layer is not None and layer not in net:
        raise ValueError(f"representation {name!r} has no layer {layer!r}; its "
                         f"layers are: {', '.join(net.names)}")
    fields = {k: (dict(v) if isinstance(v, dict) else v) for k, v in fields.items()}
    return Representation(name=name, net=net, layer=layer, **fields)
