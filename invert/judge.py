"""Cross-network agreement: does a network that was not inverted still
recognise the reconstruction? A judge (an ImageNet classifier of
``nets.registry``) classifies the original and the reconstruction; we count
the original's top-1 class among the reconstruction's top-5 and top-1.
(Dosovitskiy & Brox, CVPR 2016, judge their inversions the same way, with
the network that was inverted; another network is the stricter test: it
cannot be fooled by patterns that only the inverted network responds to.)

Both pictures are resized to the judge's input size (LANCZOS per channel,
without cropping) and read as RGB (a grey picture in all three channels).
``JUDGE`` gives each network its default judge: always a different one.

The judge sees a reconstruction as a reader does (``as_shown``): a CNN's
as it is, a HOG or DSIFT one min-max stretched, as the paper's figures and
our montages show them. HOG's and DSIFT's codes are normalised, so they
hardly depend on the image's contrast; the reconstruction's contrast is
then whatever the priors leave, and the total-variation prior favours
less: at 256 x 256 the L-BFGS reconstructions of HOGb and DSIFT have 6
and 7 % of the original's standard deviation (first 6 ImageNet photos of
``invert.fetch images``), and of the 20 photos EfficientNet-Lite0
recognises 4 and 7 as they are, 16 and 20 stretched.
"""
import numpy
from PIL import Image

from nets import registry

from .images import stretch

JUDGE = {"squeezenet1_1": "efficientnet_lite0", "efficientnet_lite0": "squeezenet1_1",
         "vgg19": "efficientnet_lite0", "caffenet": "efficientnet_lite0"}
DEFAULT = "efficientnet_lite0"  # for HOG, DSIFT and anything else


def default_judge(rep_name):
    return JUDGE.get(rep_name, DEFAULT)


def pick(rep_name, name=None):
    """The judge of an inversion of ``rep_name``, or None: ``name`` ("none":
    none; ValueError without its weights), else ``default_judge`` when its
    weights are present."""
    if name == "none":
        return None
    judge = name or default_judge(rep_name)
    if registry.get(judge).has_weights():
        return judge
    if name:
        raise ValueError(f"no weights for the judge {name!r}: "
                         f"{registry.get(name).how_to_obtain()} (or --judge none)")
    return None


def shown_stretched(rep_name):
    """Is a reconstruction from ``rep_name`` shown min-max stretched? Yes for
    the representations whose codes ignore contrast (HOG, DSIFT:
    ``nets.registry`` kind "shallow")."""
    return registry.get(rep_name).kind == "shallow"


def as_shown(rep_name, image):
    """``image`` reconstructed from ``rep_name`` as a reader sees it."""
    return stretch(image) if shown_stretched(rep_name) else image


def resize(image, size):
    """(H, W[, 3]) in [0, 1] -> (h, w, 3) float64, LANCZOS per channel."""
    a = numpy.atleast_3d(numpy.asarray(image, dtype=numpy.float32))
    planes = [numpy.asarray(Image.fromarray(c, mode="F").resize(
        (size[1], size[0]), Image.Resampling.LANCZOS), numpy.float64)
        for c in a.transpose(2, 0, 1)]
    out = numpy.stack(planes, axis=-1)
    return numpy.clip(numpy.repeat(out, 3, axis=-1) if out.shape[-1] == 1 else out, 0, 1)


class Judge:
    """An ImageNet classifier of the registry, loaded once (``weights_dir``
    default ``$INVREP_WEIGHTS``)."""

    def __init__(self, name, weights_dir=None):
        network = registry.get(name)
        if network.kind != "cnn" or not network.needs_weights:
            raise ValueError(f"the judge must be an ImageNet network with weights, not {name!r}")
        self.name, self.size = name, network.input_size
        self.net, self.prep = network.load(weights_dir)

    def top(self, images, k=5):
        """The k best classes of each picture, best first: (N, k) int."""
        batch = numpy.stack([resize(im, self.size) for im in images])
        logits = numpy.asarray(self.net.forward(self.prep(batch))).reshape(len(batch), -1)
        return numpy.argsort(-logits, axis=1, kind="stable")[:, :k]

    def agreement(self, original, reconstructions):
        """Per reconstruction: dict(judge, original_class (the original's
        top-1), top5 (the reconstruction's), in_top5, top1)."""
        tops = self.top([original] + list(reconstructions))
        cls = int(tops[0, 0])
        return [dict(judge=self.name, original_class=cls, top5=[int(v) for v in t],
                     in_top5=bool(cls in t), top1=bool(t[0] == cls)) for t in tops[1:]]
