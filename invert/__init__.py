"""invrep: reconstruct images from their codes (Mahendran & Vedaldi, CVPR 2015)."""
