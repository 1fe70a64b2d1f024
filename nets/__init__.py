"""nets: what a representation Phi is.

The networks (``cnn``, ``efficientnet``: layer tables and one builder;
``shallow``: VLFeat's HOG and dense SIFT as networks, with ``features``
giving them VLFeat's calling conventions and ``hogrender`` its glyph
pictures), the input transform (``preprocess``), weight files
(``weights``; ``convert`` reads other frameworks' files, ``fetch`` gets the
ones registry packages ship) and the one table of every network we can
build (``registry``). Nothing here knows how a code is inverted: that is
the ``invert`` package, above this one.
"""
import minigrad  # noqa: F401  NOTE: first, before NumPy loads OpenBLAS (minigrad.backend)
from .features import dsift, hog
from .hogrender import hog_render, save_hog_png
from .preprocess import GRAY_WEIGHTS, Preprocess, to_gray
from .registry import NETWORKS, Network, get, names, with_weights
from .shallow import dsift_frames, dsift_net, hog_net
from .weights import WeightsError, default_weights_dir, load_weights, save_weights

__all__ = ["GRAY_WEIGHTS", "NETWORKS", "Network", "Preprocess", "WeightsError",
           "default_weights_dir", "dsift", "dsift_frames", "dsift_net", "get", "hog",
           "hog_net", "hog_render", "load_weights", "names", "save_hog_png",
           "save_weights", "to_gray", "with_weights"]
