"""Inputs for the HOG / DSIFT layer tests, kept away from the
non-differentiable points: hard-gating and bin decisions away from ties,
magnitudes away from 0 (and from DSIFT's fast-sqrt cut at |g| = 1e-4)."""
import math

import numpy


def rng(seed=0):
    return numpy.random.default_rng(seed)


def gradient_map(seed=0, shape=(2, 2, 5, 7)):
    """Random gradients, none tiny, none within 1e-3 rad of a HOG bin edge."""
    g = rng(seed).standard_normal(shape)
    g *= (0.3 + numpy.abs(g).sum(1, keepdims=True)) / numpy.abs(g).sum(1, keepdims=True)
    r, phi = numpy.hypot(g[:, 0], g[:, 1]), numpy.arctan2(g[:, 1], g[:, 0])
    near = numpy.abs(phi % (math.pi / 9) - math.pi / 18) < 1e-2
    phi = numpy.where(near, phi + 0.05, phi)  # HOG bin edges are at 10 + 20k deg
    return numpy.stack([r * numpy.cos(phi), r * numpy.sin(phi)], 1)


def smooth_images(n, c, h, w, seed=0):
    """Smooth random images in [0, 1] (gradients well above DSIFT's cut)."""
    x = rng(seed).random((n, c, h, w))
    for axis in (2, 3):
        x = (x + numpy.roll(x, 1, axis) + numpy.roll(x, -1, axis)) / 3
    return x


def naive_sift_matrix(n, big_b, step, window):
    """VLFeat 0.9.21's DSIFT pooling (vl_dsift: a triangle of half-width B
    times the flat or Gaussian window), written directly: bin b of frame i
    at p = i*step + b*B is sum_u k_b(u) in[clamp(p - u)]."""
    nf = (n - 1 - 3 * big_b) // step + 1
    m = numpy.zeros((4, nf, n))
    sigma = 2.0 * big_b
    for b in range(4):
        gauss = [math.exp(-0.5 * ((u - big_b * (b - 1.5)) / sigma) ** 2)
                 for u in range(-big_b + 1, big_b)]
        for i in range(nf):
            for u in range(-big_b + 1, big_b):
                tri = 1 - abs(u) / big_b
                g = gauss[u + big_b - 1] if window == "gauss" else sum(gauss) / len(gauss)
                m[b, i, min(max(i * step + b * big_b - u, 0), n - 1)] += tri * g
    return m.reshape(4 * nf, n)
