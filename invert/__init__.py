"""invrep: reconstruct images from their codes (Mahendran & Vedaldi, CVPR 2015).

``invert.invert(image, rep="hog")`` is the one-call entry point (``api``);
the pieces are ``objective`` (the energy and its gradient), ``priors``,
``solver`` (momentum descent), ``metrics`` (the normalised errors),
``representations`` (what Phi is and its units) and ``presets`` (the paper's
experiments as data). ``python -m invert.run --help`` is the command line.

The representations themselves: ``hog`` and ``dsift`` compute VLFeat's
descriptors with the networks of ``shallow`` (``hog_net``, ``dsift_net``);
``hog_render`` draws a HOG code; ``cnn`` and ``networks`` hold the deep
networks (``load_network``).
"""
from .api import Inversion, invert
from .features import dsift, hog
from .hogrender import hog_render, save_hog_png
from .metrics import reconstruction_errors
from .networks import list_networks, load_network
from .objective import Objective
from .priors import AlphaNorm, TotalVariation
from .shallow import dsift_frames, dsift_net, hog_net

__all__ = ["AlphaNorm", "Inversion", "Objective", "TotalVariation", "dsift",
           "dsift_frames", "dsift_net", "hog", "hog_net", "hog_render", "invert",
           "list_networks", "load_network", "reconstruction_errors", "save_hog_png"]
