"""Experiment outputs side by side, run by run: the figures of docs/.

    python -m tools.side_by_side runs/table1-256 runs/table1-best-256 \\
        --labels paper,best --runs HOG,HOGb,DSIFT --images 0,3,5 --cell 112 \\
        -o docs/table1-paper-vs-best.png

Each row is one image: the original, then for every run its reconstruction
in the first folder and in the second (columns "HOG paper", "HOG best",
...), each min-max stretched for display as the experiments' montages.
With one folder, the columns are its runs. The folders are outputs of ``python -m invert.run <experiment>`` over the
same photos (``OUT/<run>/<image>.npz``); ``--images`` picks rows by their
position in the sorted list of images the first folder holds.
"""
import argparse
import json
import sys

import numpy

from invert.experiments import load_resized, result_file
from invert.images import montage, save_png, stretch


def results(folder, run):
    """{image stem: .npz path} of one run of an experiment's output."""
    return {p.stem: p for p in sorted(result_file(folder, run, "any").parent.glob("*.npz"))}


def original(npz, colour):
    """The original the result was computed from, as the experiment saw it."""
    with numpy.load(npz) as f:
        info = json.loads(str(f["info"]))
    s = info["settings"]
    size = s["height"] if s.get("height") == s.get("width") else None
    return load_resized(info["image"], size, colour)


def side_by_side(folders, labels, runs, picks=None, cell=112):
    """The montage (uint8) and its column labels."""
    found = [[results(folder, run) for run in runs] for folder in folders]
    stems = sorted(set.intersection(*(set(r) for side in found for r in side)))
    if not stems:
        raise ValueError(f"no image has a result for every run {runs} in {', '.join(map(str, folders))}")
    stems = [stems[k] for k in picks] if picks else stems
    rows = []
    for stem in stems:
        first = found[0][0][stem]
        with numpy.load(first) as f:
            colour = f["recon"].ndim == 3
        row = [original(first, colour)]
        for j in range(len(runs)):
            for side in found:
                with numpy.load(side[j][stem]) as f:
                    row.append(stretch(numpy.asarray(f["recon"], numpy.float64)))
        rows.append(row)
    heads = ["original"] + [f"{run} {label}".strip() for run in runs for label in labels]
    return montage(rows, heads, cell=cell), heads


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", metavar="OUT")
    p.add_argument("--labels", help="what each folder is, comma-separated (default: A,B,...; "
                   "none for one folder)")
    p.add_argument("--runs", required=True, help="comma-separated runs, e.g. HOG,HOGb")
    p.add_argument("--images", help="comma-separated row indices (default: every image)")
    p.add_argument("--cell", type=int, default=112, help="cell size in pixels")
    p.add_argument("-o", "--out", required=True, help="the PNG to write")
    args = p.parse_args(argv)
    try:
        picks = [int(k) for k in args.images.split(",")] if args.images else None
        labels = args.labels.split(",") if args.labels else \
            [""] if len(args.folders) == 1 else [chr(65 + k) for k in range(len(args.folders))]
        if len(labels) != len(args.folders):
            raise ValueError(f"{len(labels)} labels for {len(args.folders)} folders")
        picture, _ = side_by_side(args.folders, labels, args.runs.split(","), picks, args.cell)
    except (ValueError, OSError, IndexError) as err:
        print(f"side_by_side: error: {err}", file=sys.stderr)
        return 1
    if (picture == picture[..., :1]).all():  # NOTE: grey pictures: a third of the bytes
        picture = picture[..., 0]
    save_png(args.out, picture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
