"""invrep: reconstruct images from their codes (Mahendran & Vedaldi, CVPR 2015).

``invert.invert(image, rep="hog")`` is the one-call entry point (``api``).
This package is the method: ``representation`` (a network of
``nets.registry`` cut at a layer, and its units), ``objective`` (the energy
and its gradient), ``priors``, ``solver`` (momentum descent) and
``adaptive`` (its safeguards for deep networks), ``metrics`` (the
normalised errors), ``presets`` (named settings) and ``settings`` (from
what was asked to the numbers a run uses), ``images`` (reading and writing
pictures); ``hoggle`` and ``sparsecode`` are the baseline of Table 1,
HOGgle's paired-dictionary inversion (``method="hoggle"``). ``experiments``
holds the paper's experiments. The commands: ``python -m invert.run``
(invert, or run an experiment), ``python -m invert.fetch`` (weights and
photos), ``python -m invert.convert`` (weights you hold), ``python -m
invert.train_hoggle`` (HOGgle's dictionary).

What Phi is lives below, in ``nets``; the names it exported from here
before are still here: ``hog``, ``dsift``, ``hog_net``, ``dsift_net``,
``dsift_frames``, ``hog_render``, ``save_hog_png``, ``list_networks``,
``load_network``.
"""
import minigrad  # noqa: F401  NOTE: first, before NumPy loads OpenBLAS (minigrad.backend)
from nets import dsift, dsift_frames, dsift_net, hog, hog_net, hog_render, registry, save_hog_png

from .api import Inversion, invert, invert_with
from .metrics import reconstruction_errors
from .objective import Objective
from .priors import AlphaNorm, TotalVariation


def list_networks():
    """Names of the ImageNet networks ``load_network`` loads (``nets.registry``)."""
    return [n for n, e in registry.NETWORKS.items() if e.needs_weights]


def load_network(name, weights_dir=None, path=None):
    """``(Net, Preprocess)`` of an ImageNet network: ``nets.registry.get(name).load``."""
    return registry.get(name).load(weights_dir, path)


__all__ = ["AlphaNorm", "Inversion", "Objective", "TotalVariation", "dsift",
           "dsift_frames", "dsift_net", "hog", "hog_net", "hog_render", "invert", "invert_with",
           "list_networks", "load_network", "reconstruction_errors", "save_hog_png"]
