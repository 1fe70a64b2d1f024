"""invrep: reconstruct images from their codes (Mahendran & Vedaldi, CVPR 2015)."""
from .features import dsift, hog
from .hogrender import hog_render, save_hog_png
from .shallow import dsift_frames, dsift_net, hog_net

__all__ = ["dsift", "dsift_frames", "dsift_net", "hog", "hog_net", "hog_render",
           "save_hog_png"]
