"""Slow, obviously-correct loop implementations that the layers are checked
against. Written for clarity, not speed: one output element at a time."""
import math

import numpy as np


def conv2d(x, w, b, stride, pad, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (t, bo, l, r) = stride, pad
    xp = np.zeros((n, c, h + t + bo, wd + l + r), x.dtype)
    xp[:, :, t:t + h, l:l + wd] = x
    ho, wo = (h + t + bo - kh) // sh + 1, (wd + l + r - kw) // sw + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for i in range(n):
        for oc in range(o):
            g = oc // og
            for v in range(ho):
                for u in range(wo):
                    patch = xp[i, g * cg:(g + 1) * cg, v * sh:v * sh + kh, u * sw:u * sw + kw]
                    y[i, oc, v, u] = (patch * w[oc]).sum() + (b[oc] if b is not None else 0)
    return y


def pool_size(n, k, s, p0, p1, ceil):
    if ceil:
        m = math.ceil((n + p0 + p1 - k) / s) + 1
        if (m - 1) * s >= n + p0:
            m -= 1
        return m
    return (n + p0 + p1 - k) // s + 1


def max_pool(x, k, s, pad, ceil):
    """Caffe's loop: windows clipped to the image (padding never wins)."""
    n, c, h, w = x.shape
    t, b, l, r = pad
    ho, wo = pool_size(h, k, s, t, b, ceil), pool_size(w, k, s, l, r, ceil)
    y = np.zeros((n, c, ho, wo))
    for v in range(ho):
        for u in range(wo):
            y0, x0 = max(v * s - t, 0), max(u * s - l, 0)
            y1, x1 = min(v * s - t + k, h), min(u * s - l + k, w)
            y[:, :, v, u] = x[:, :, y0:y1, x0:x1].max(axis=(2, 3))
    return y


def avg_pool(x, k, s, pad, ceil, count_pad=True):
    """Caffe's AVE pooling: divide by the window clipped to the padded image
    (or, with count_pad=False, to the image)."""
    n, c, h, w = x.shape
    t, b, l, r = pad
    ho, wo = pool_size(h, k, s, t, b, ceil), pool_size(w, k, s, l, r, ceil)
    y = np.zeros((n, c, ho, wo))
    for v in range(ho):
        for u in range(wo):
            ys, xs = v * s - t, u * s - l
            ye, xe = min(ys + k, h + b), min(xs + k, w + r)
            size = (ye - ys) * (xe - xs)
            y0, x0, y1, x1 = max(ys, 0), max(xs, 0), min(ye, h), min(xe, w)
            if not count_pad:
                size = (y1 - y0) * (x1 - x0)
            y[:, :, v, u] = x[:, :, y0:y1, x0:x1].sum(axis=(2, 3)) / size
    return y


def lrn(x, n, alpha, beta, k):
    """Caffe's cross-channel LRN, one channel at a time."""
    c = x.shape[1]
    y = np.zeros(x.shape)
    pre = (n - 1) // 2
    for ch in range(c):
        lo, hi = max(0, ch - pre), min(c, ch - pre + n)
        s = k + alpha / n * (x[:, lo:hi] ** 2).sum(axis=1)
        y[:, ch] = x[:, ch] * s ** -beta
    return y
