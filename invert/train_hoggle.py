"""``python -m invert.train_hoggle``: learn HOGgle's paired dictionary
(module ``hoggle``) and write it to ``$INVREP_WEIGHTS/hoggle.h5``.

    python -m invert.fetch images       # the photos, once
    python -m invert.train_hoggle       # 14 minutes on two cores shared with other jobs

Training pairs: every 5 x 5-cell window of our VLFeat HOG, with the 56 x
56 grey patch under it (``hoggle.training_pairs``), at a stride of one cell,
from the photos in ``data/images/photos`` (scikit-image's and
scikit-learn's, ``python -m invert.fetch images``; never the ImageNet photos
of Table 1) and from their mirror images and half-size copies, to get more
varied windows out of few photos. ``hubble_deep_field`` is left out: black
sky with point stars, unlike the photos HOG is used on, its atoms put
bright specks into reconstructions. Grey is MATLAB's rgb2gray, as in the
experiments.

Learning: 1024 atoms, lambda = 0.1, non-negative codes, online mini-batch
dictionary learning (``sparsecode.learn_dictionary``) over the pairs in a
seeded random order. One process; a progress line per mini-batch. The file
is written only when training ends (atomically); Ctrl-C leaves no file.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy
from PIL import Image

from . import hoggle, representation
from .images import list_images, load_image
from .sparsecode import learn_dictionary

PHOTOS = Path("data") / "images" / "photos"
LEFT_OUT = {"hubble_deep_field": "astronomical: black sky and point stars"}


def parser():
    p = argparse.ArgumentParser(prog="python -m invert.train_hoggle", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    a = p.add_argument
    a("--photos", default=str(PHOTOS), metavar="DIR",
      help="folder of training photos (default: %(default)s, from `python -m invert.fetch "
           "images`)")
    a("-o", "--out", metavar="PATH", help=f"dictionary file (default: {hoggle.default_path()})")
    a("--atoms", type=int, default=1024, help="dictionary size K (default: %(default)s)")
    a("--lambda", dest="lambda_", type=float, default=0.1, metavar="X",
      help="l1 weight of the codes (default: %(default)s)")
    a("--windows", type=int, metavar="N", help="use at most N training pairs (default: all)")
    a("--epochs", type=int, default=2, help="passes over the pairs (default: %(default)s)")
    a("--batch", type=int, default=1024, help="pairs per mini-batch (default: %(default)s)")
    a("--seed", type=int, default=0, help="seed of the order and the first atoms (default 0)")
    a("--quiet", action="store_true", help="no progress line")
    return p


def training_photos(folder):
    """The photos to train on: the folder's images, less ``LEFT_OUT``;
    ValueError for the evaluation photos of Table 1."""
    paths = [p for p in list_images(folder) if p.stem not in LEFT_OUT]
    if any(p.stem.startswith("imagenet_") for p in paths):
        raise ValueError(f"{folder} holds the ImageNet evaluation photos of Table 1; "
                         f"train on other photos (default {PHOTOS})")
    if not paths:
        raise ValueError(f"no training photos in {folder}")
    return paths


def variants(gray):
    """The photo, its mirror image, and both at half size (Pillow LANCZOS)."""
    h, w = gray.shape
    half = numpy.asarray(Image.fromarray(gray.astype(numpy.float32), mode="F").resize(
        (w // 2, h // 2), Image.Resampling.LANCZOS), numpy.float64).clip(0, 1)
    return [gray, gray[:, ::-1], half, half[:, ::-1]]


def collect(paths, rep, log=print):
    """All training pairs (n, P + Q) float32 of the photos' variants."""
    pairs = []
    for path in paths:
        found = 0
        for g in variants(load_image(path, gray=True)):
            g = numpy.ascontiguousarray(g)
            phi = numpy.asarray(rep.forward(rep.to_centred(g).astype(numpy.float32)))[0]
            pairs.append(hoggle.training_pairs(g, phi))
            found += len(pairs[-1])
        log(f"  {path.name}: {found} windows")
    return numpy.concatenate(pairs)


class Progress:
    """One line per mini-batch: a bar, the batch's objective, the time spent
    and an estimate of the time left (redrawn in place on a terminal)."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.first = stream, None

    def __call__(self, t, total, loss):
        now = time.monotonic()
        if self.first is None:
            self.first = now
        left = "" if t == 1 else \
            f", about {(now - self.first) / (t - 1) * (total - t) / 60:.1f} min left"
        bar = "#" * (30 * t // total) + "." * (30 - 30 * t // total)
        line = f"[{bar}] batch {t}/{total} objective {loss:.4f}{left}"
        tty = self.stream.isatty()
        self.stream.write(("\r" + line + "\033[K" + ("\n" if t == total else "")) if tty
                          else line + "\n")
        self.stream.flush()


def train(photos, out, atoms=1024, lambda_=0.1, windows=None, epochs=2, batch=1024, seed=0,
          progress=None, log=print):
    """Learn the dictionary and write it to ``out``; returns the path."""
    rng = numpy.random.default_rng(seed)
    paths = training_photos(photos)
    rep = representation.get("hog")
    start = time.monotonic()
    log(f"training pairs from {len(paths)} photos in {photos} (mirrored, and at half size):")
    X = collect(paths, rep, log)
    if windows and windows < len(X):
        X = X[numpy.sort(rng.choice(len(X), windows, replace=False))]
    log(f"{len(X)} pairs of {X.shape[1]} values; learning {atoms} atoms, lambda {lambda_}, "
        f"{epochs} epoch(s) of mini-batches of {batch}")
    D, losses = learn_dictionary(X, atoms, lambda_, rng, epochs, batch, progress)
    seconds = time.monotonic() - start
    hoggle.save_dictionary(out, D, lambda_, hoggle.CELLS, hoggle.CELL_SIZE, rep.name,
                           seed=seed, epochs=epochs, batch=batch, windows=len(X),
                           seconds=seconds,
                           photos=",".join(p.name for p in paths),
                           variants="original, mirrored, half size, half size mirrored",
                           objective_first=losses[0], objective_last=losses[-1],
                           command="python -m invert.train_hoggle")
    log(f"wrote {out} in {seconds / 60:.1f} min (objective {losses[0]:.4f} -> {losses[-1]:.4f})")
    return out


def main(argv=None):
    args = parser().parse_args(argv)
    out = args.out or hoggle.default_path()
    try:
        train(args.photos, out, args.atoms, args.lambda_, args.windows, args.epochs,
              args.batch, args.seed, None if args.quiet else Progress())
    except KeyboardInterrupt:
        print(f"\ninvert.train_hoggle: interrupted; {out} was not written", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        print(f"invert.train_hoggle: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
