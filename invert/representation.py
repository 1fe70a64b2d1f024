"""A representation Phi: a network of ``nets.registry`` cut at a layer, and
the units in which the inversion sees its input.

Units (the one thing to get right when comparing with the paper)
-----------------------------------------------------------------
The unknown x of the objective lives at roughly unit norm per image. The
network reads ``sigma * x + shift``, where ``sigma * x`` is the *centred*
input z in the network's own units (``nets.preprocess``: z = scale * image
- mean):

* HOG / HOGb / DSIFT read VLFeat's grayscale in [0, 1]; z = gray - 0.5 and
  ``shift`` = 0.5 adds the mean back (HOG and SIFT see only gradients, so
  the shift is immaterial to Phi and only places the picture for display).
  One grey level is ``unit`` = 1/255.
* CNNs read 0..255 RGB minus the network's mean colour or image: z is that
  input itself, ``shift`` = 0, ``unit`` = 1.

sigma, the average Euclidean norm of natural images of the working size in
these units, is ``rho * sqrt(C H W)`` with ``rho`` the per-element RMS of
centred natural images (``sigma="auto"``):

* CNNs: rho = 68.9 grey levels, the paper's sigma = 27098.1 for 227x227x3
  (the authors' code, ``x0_sigma``) divided by sqrt(227*227*3): ImageNet
  images minus the mean image.
* HOG / DSIFT: rho = 0.2327 = 59.3/255, the mean over the 20 foolbox
  ImageNet validation photos (512x512) of the RMS of (gray - 0.5), gray =
  MATLAB's rgb2gray. At 512x512 this gives sigma = 119.1, where the
  authors' code used its fixed 27098.1 grey levels = 106.3 for every image
  size (``sigma="paper"``): ours grows like sqrt(H W), so the priors'
  balance (module ``objective``) does not drift with the image size.
"""
import dataclasses
from dataclasses import dataclass, field

import numpy

from nets import registry
from nets.preprocess import Preprocess

PAPER_SIGMA = 27098.1  # the authors' x0_sigma, grey levels, 227x227x3
RHO_GRAY, RHO_CNN = 0.2327, 68.9  # in [0, 1] units / in grey levels (module docstring)
# what each kind of network inverts with unless told otherwise (why the deep
# networks need adaptive and box: module ``adaptive``)
KIND_DEFAULTS = {"shallow": dict(schedule="shallow"),
                 "cnn": dict(schedule="cnn", adaptive=16.0, box=True)}


@dataclass
class Representation:
    """Phi(z) = net.forward(z + shift, until=layer), with its image units."""
    name: str
    net: object                # a minigrad Net (or anything with forward/backward)
    preprocess: Preprocess     # image in [0, 1] <-> centred input z
    layer: str = None          # None: the net's last layer
    shift: float = 0.0         # added to z = sigma*x before the network
    rho: float = 68.9          # RMS of centred natural images, input units
    defaults: dict = field(default_factory=dict)  # lambda_tv, schedule, ...
    network: registry.Network = None  # the registry entry, when built from one

    @property
    def channels(self):
        return self.preprocess.channels

    @property
    def unit(self):
        """One grey level (of 0..255) in input units."""
        return self.preprocess.unit

    # -- images in [0, 1] <-> centred network input -----------------------
    def to_centred(self, image):
        """(H, W[, 3]) in [0, 1] -> centred input z (1, C, H, W), float64."""
        return self.preprocess.centred(image).astype(numpy.float64)

    def from_centred(self, z):
        """Centred input (N, C, H, W) -> images (N, H, W[, 3]) clipped to [0, 1]."""
        return numpy.clip(self.preprocess.inverse(z), 0.0, 1.0).astype(numpy.float64)

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
        """The same network cut at ``layer``, with that layer's lambda_tv from
        the registry's rule; the network is not rebuilt or reloaded."""
        if layer not in self.net:
            raise ValueError(f"representation {self.name!r} has no layer {layer!r}; its "
                             f"layers are: {', '.join(self.net.names)}")
        defaults = dict(self.defaults)
        if self.network is not None:
            defaults["lambda_tv"] = self.network.default_lambda_tv(layer)
        return dataclasses.replace(self, layer=layer, defaults=defaults)


def get(name, layer=None, weights_dir=None):
    """The representation ``name`` (``nets.registry``) cut at ``layer``
    (default: the entry's default layer, or for HOG and DSIFT the last).
    ValueError with one line when the name, the layer or the weights file
    is wrong."""
    network = registry.get(name)
    try:
        net, prep = network.load(weights_dir)
    except ValueError as err:  # NOTE: WeightsError too: missing or corrupt file
        raise ValueError(f"cannot load network {name!r}: {err}".replace("\n", " ")) from None
    # NOTE: HOG/DSIFT read the image itself: their centred input plus its mean
    shift = float(prep.mean_colour[0]) if network.kind == "shallow" else 0.0
    defaults = dict(KIND_DEFAULTS[network.kind],
                    lambda_tv=network.default_lambda_tv(network.last_layer))
    rho = RHO_GRAY if network.kind == "shallow" else RHO_CNN * prep.unit
    rep = Representation(name, net, prep, shift=shift, rho=rho,
                         defaults=defaults, network=network)
    layer = layer or network.default_layer
    return rep if layer is None else rep.at(layer)
