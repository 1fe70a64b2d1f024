"""Normalised reconstruction error over a set of images (paper §4).

Given the codes Phi(x_i) of n originals and Phi(x*_i) of their
reconstructions, two definitions:

``"paper"`` (the paper's text, our default)
    e_i = ||Phi(x*_i) - Phi(x_i)||_2 / N_Phi,
    N_Phi = mean over the n(n-1)/2 pairs i < j of ||Phi(x_i) - Phi(x_j)||_2.

``"code"`` (the authors' evaluation script)
    e_i = ||Phi(x*_i) - Phi(x_i)||^2 / D,
    D = mean over all n^2 pairs (i, j), the diagonal's zeros included, of
    ||Phi(x_i) - Phi(x_j)||^2.

Codes of different lengths (images of different sizes) are flattened and
zero-padded at the end to a common length, as the authors' script does; we
do the same for both definitions. Results are reported as the mean and the
standard deviation of e_i in percent; the standard deviation is the sample
one (n - 1 in the denominator, MATLAB's ``std``), of the errors and not of
their mean (the paper's Table 1 caption).

Counts of successes (how many reconstructions a judge network recognises)
come with Wilson's score interval (``wilson_interval``): on 20 images a
count of 4 is compatible with a rate anywhere from 8 to 42 %, which is what
a reader comparing two settings needs to know.
"""
import numpy

DEFINITIONS = ("paper", "code")


def _stack(codes):
    flat = [numpy.asarray(c, dtype=numpy.float64).ravel() for c in codes]
    out = numpy.zeros((len(flat), max(f.size for f in flat)))
    for i, f in enumerate(flat):
        out[i, :f.size] = f
    return out


def pairwise_sq_distances(a):
    """||a_i - a_j||^2 for the rows of a (n, d), computed exactly by rows."""
    return numpy.array([((a - row) ** 2).sum(axis=1) for row in a])


def normaliser(originals, definition="paper"):
    """N_Phi ("paper") or D ("code") of a set of original codes."""
    y0 = _stack(originals)
    n = len(y0)
    if n < 2:
        raise ValueError("the normalised error needs at least two images")
    d2 = pairwise_sq_distances(y0)
    if definition == "paper":
        return float(numpy.sqrt(d2[numpy.triu_indices(n, 1)]).mean())
    if definition == "code":
        return float(d2.mean())
    raise ValueError(f"unknown error definition {definition!r}; use one of {DEFINITIONS}")


def reconstruction_errors(reconstructed, originals, definition="paper", norm=None):
    """Per-image errors e_i (fractions, not percent) for codes of the
    reconstructions and of the originals (sequences of arrays, same order).
    ``norm`` overrides the normaliser (e.g. computed on a larger set)."""
    if len(reconstructed) != len(originals):
        raise ValueError(f"{len(reconstructed)} reconstructions for {len(originals)} originals")
    both = _stack(list(reconstructed) + list(originals))
    y, y0 = both[:len(originals)], both[len(originals):]
    norm = normaliser(originals, definition) if norm is None else float(norm)
    d2 = ((y - y0) ** 2).sum(axis=1)
    return numpy.sqrt(d2) / norm if definition == "paper" else d2 / norm


def summary(errors):
    """(mean, std) in percent, std with n - 1 (MATLAB's std)."""
    e = 100 * numpy.asarray(errors, dtype=numpy.float64)
    return float(e.mean()), float(e.std(ddof=1)) if e.size > 1 else 0.0


def wilson_interval(successes, trials, z=1.96):
    """(low, high): Wilson's score interval for a proportion (E. B. Wilson,
    "Probable inference, the law of succession, and statistical inference",
    JASA 1927), at z standard deviations (1.96: 95 %). With p = k/n,

        centre = (p + z^2 / 2n) / (1 + z^2 / n)
        half   = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n)

    It stays inside [0, 1] and, unlike p +- z sqrt(p (1 - p) / n), does not
    shrink to a point at 0 or n successes."""
    k, n = int(successes), int(trials)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {k} of {n}")
    p, z2 = k / n, z * z
    scale = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / scale
    half = z * numpy.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / scale
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))
