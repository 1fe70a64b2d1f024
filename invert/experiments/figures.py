"""The deep experiments' own pictures and tables, beside the generic
``montage.png`` and ``table.md`` of ``runner.summarise`` (Pillow only).

``figure`` of an experiment (``deep``) selects one:

* ``"pivot"`` (Table 3): ``table3.md`` / ``table3.csv`` with one row per
  layer and one column per lambda_tv (read from each run's options),
  mean +- std of the paper-text error in percent, the paper's CNN-A numbers
  beside ours for CaffeNet.
* ``"restarts"`` (Fig. 7): ``restarts-<image>.png``, one row per layer:
  the original (labelled with the layer) then every restart.
* ``"window"`` (Fig. 9): ``window.png``, each reconstruction with the
  theoretical receptive field of the central window drawn as a white box
  (``field_box``).
* ``"recognise"``: ``recognise.png``, one row per image: the original
  labelled with the judge's class for it, then each reconstruction (as the
  judge saw it, not stretched) labelled "top-1", "top-5" or "missed" and
  the judge's class for it (``invert.judge``).
"""
from pathlib import Path

import numpy
from PIL import Image, ImageDraw

from ..images import montage, save_png, save_text, stretch, to_uint8
from ..objective import loss_mask


def field_box(receptive_field, rows, cols, height, width):
    """Pixel box (top, left, bottom, right), inclusive, clipped to the image,
    seen by code neurons ``rows`` x ``cols`` (ranges) of a layer whose
    ``Net.receptive_field`` is (size_y, size_x, stride_y, stride_x,
    offset_y, offset_x): neuron i sees rows offset_y + i stride_y + [0, size_y)."""
    sy, sx, ty, tx, oy, ox = receptive_field
    top, left = oy + rows[0] * ty, ox + cols[0] * tx
    bottom, right = oy + rows[-1] * ty + sy - 1, ox + cols[-1] * tx + sx - 1
    return (int(max(top, 0)), int(max(left, 0)), int(min(bottom, height - 1)),
            int(min(right, width - 1)))


def window_box(rep, window, height, width):
    """``field_box`` of the central ``window`` x ``window`` neurons of rep's
    code, the window placed exactly as the loss mask places it."""
    mask = loss_mask(rep.code_shape(height, width), window)[0].any(axis=0)
    rows, cols = numpy.nonzero(mask.any(axis=1))[0], numpy.nonzero(mask.any(axis=0))[0]
    field = rep.net.receptive_field(rep.layer, (1, rep.channels, height, width))
    return field_box(field, rows, cols, height, width)


def with_box(image, box, colour=(255, 255, 255)):
    im = Image.fromarray(to_uint8(image)).convert("RGB")
    top, left, bottom, right = box
    ImageDraw.Draw(im).rectangle((left, top, right, bottom), outline=colour, width=2)
    return numpy.asarray(im)


def verdict(agreement):
    return "top-1" if agreement["top1"] else "top-5" if agreement["in_top5"] else "missed"


def with_label(image, text):
    im = Image.fromarray(to_uint8(image)).convert("RGB")
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, 6 * len(text) + 4, 12), fill="black")
    draw.text((2, 0), text, fill="white")
    return numpy.asarray(im)


def draw(exp, out, rows, runs, originals, finished, agree=None):
    """Write the experiment's ``figure`` (module docstring). ``runs`` maps
    run names to (Representation, options, Run); ``originals`` maps image
    paths to images; ``finished`` maps (run, path) to the result file of
    every finished image (read here only by the figures that show
    pictures); ``agree`` maps (run, path) to the judge's agreement."""
    out, kind = Path(out), exp.figure

    def result(r, p, key):
        with numpy.load(finished[r, p]) as f:
            return f[key]

    if kind == "pivot":
        md, csv = pivot(exp.title, runs, rows)
        save_text(out / "table3.md", md)
        save_text(out / "table3.csv", csv)
    elif kind == "restarts":
        for p, original in originals.items():
            grid = [[with_label(original, r)] + [stretch(a) for a in result(r, p, "restarts")]
                    for r in runs if (r, p) in finished]
            if grid:
                save_png(out / f"restarts-{Path(p).stem}.png",
                         montage(grid, ["original"] + [f"r{k}" for k in range(len(grid[0]) - 1)],
                                 cell=128))
    elif kind == "window":
        grid = []
        for p, original in originals.items():
            h, w = original.shape[:2]
            row = [original] + [with_box(stretch(result(r, p, "recon")), window_box(
                runs[r][0], runs[r][1]["window"], h, w)) if (r, p) in finished else None
                for r in runs]
            grid.append(row)
        save_png(out / "window.png", montage(grid, ["original", *runs], cell=160))
    elif kind == "recognise":
        grid = []
        for p, original in originals.items():
            judged = [(r, agree[r, p]) for r in runs if (r, p) in (agree or {})]
            if judged:
                first = judged[0][1]
                grid.append([with_label(original, f"class {first['original_class']}")] + [
                    with_label(result(r, p, "recon"), f"{verdict(a)}: {a['top5'][0]}")
                    for r, a in judged])
        if grid:
            save_png(out / "recognise.png", montage(grid, ["original", *runs], cell=160))
    else:
        raise ValueError(f"unknown figure {kind!r}")


def pivot(title, runs, rows):
    """(Markdown, CSV) of the summary ``rows`` as layer x lambda_tv, each
    row's layer and lambda_tv those its run inverted with (``runs``)."""
    cells, layers, lambdas, network = {}, [], [], ""
    for r in rows:
        rep, options, _ = runs[r["run"]]
        layer, lt, network = rep.layer, float(options["lambda_tv"]), rep.name
        layers += [layer] if layer not in layers else []
        lambdas += [lt] if lt not in lambdas else []
        cells[layer, lt] = r
    lambdas.sort()
    n = max((r["images"] for r in rows), default=0)
    fmt = lambda r: "" if r is None else f"{r['error_mean']:.1f} +- {r['error_std']:.1f}" + (
        "" if r["images"] == n else f" [{r['images']} images]") + (
        "" if r.get("reported_mean") is None else
        f" (paper {r['reported_mean']:.1f} +- {r['reported_std']:.1f})")
    header = ["| layer | " + " | ".join(f"lambda_tv={v:g}" for v in lambdas) + " |",
              "| --- |" + " --- |" * len(lambdas)] if rows else ["No run has finished yet."]
    md = [f"# {title} ({network}, {n} images)", "",
          "Paper-text error in percent, mean +- std over the images.", "", *header]
    csv = ["layer,lambda_tv,images,error_mean,error_std,reported_mean,reported_std"]
    for layer in layers:
        md.append(f"| {layer} | " + " | ".join(fmt(cells.get((layer, v))) for v in lambdas)
                  + " |")
        for v in lambdas:
            r = cells.get((layer, v))
            if r is not None:
                csv.append(",".join(str(x if x is not None else "") for x in (
                    layer, f"{v:g}", r["images"], f"{r['error_mean']:.4g}",
                    f"{r['error_std']:.4g}", r["reported_mean"], r["reported_std"])))
    return "\n".join(md) + "\n", "\n".join(csv) + "\n"
