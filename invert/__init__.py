"""invrep: reconstruct images from their codes (Mahendran & Vedaldi, CVPR 2015).

``invert.invert(image, rep="hog")`` is the one-call entry point (``api``);
the pieces are ``objective`` (the energy and its gradient), ``priors``,
``solver`` (momentum descent), ``metrics`` (the normalised errors),
``representations`` (what Phi is and its units) and ``presets`` (the paper's
experiments as data). ``python -m invert.run --help`` is the command line.
"""
from .api import Inversion, invert
from .metrics import reconstruction_errors
from .objective import Objective
from .priors import AlphaNorm, TotalVariation

__all__ = ["AlphaNorm", "Inversion", "Objective", "TotalVariation", "invert",
           "reconstruction_errors"]
