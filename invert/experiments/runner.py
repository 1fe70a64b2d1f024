"""Running an experiment (``experiment.Experiment``) over a folder of images.

Every run is applied to every image (grayscale at native resolution unless
the experiment says otherwise): a grid of independent tasks (``tasks``),
each seeded from the experiment's seed and its own name, run in this
process or on Dask workers (``grid``). Results are kept per image and run
in ``OUT/<run>/<image>.npz`` (the reconstruction, both codes and a JSON
summary), so a second call skips what is finished: an interrupted
experiment resumes where it stopped, with any number of workers.

When all is done (or on Ctrl-C, with what is done) it writes

* ``table.md`` / ``table.csv``: mean +- std of the normalised error, both
  definitions (``metrics``), per run, beside the paper's numbers;
* ``per_image.csv``: every image's errors and energies;
* ``montage.png``: original | one reconstruction per run, one row per image
  (Fig. 3 / Fig. 4 style; each reconstruction min-max stretched for display,
  as the authors' figures).
"""
import json
import time
from pathlib import Path

import numpy

from .. import metrics, representation
from ..images import list_images, montage, save_png, save_text, stretch
from ..settings import OPTIONS, choose, resolve
from . import deep, figures, grid, shallow
from .tasks import load_resized, make_task

EXPERIMENTS = {e.name: e for e in shallow.EXPERIMENTS + deep.EXPERIMENTS}


class Interrupted(Exception):
    """Raised after a Ctrl-C, once what was finished has been written."""


class TasksFailed(RuntimeError):
    """Raised when some tasks failed, once the others are written and
    summarised: ``failed`` {task name: reason}, ``rows`` the summary."""

    def __init__(self, failed, rows, out):
        self.failed, self.rows = failed, rows
        names = "; ".join(f"{k}: {v}" for k, v in list(failed.items())[:3])
        more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
        super().__init__(f"{len(failed)} task(s) failed: {names}{more}; the others are in {out}")


def plan(name, images_dir, limit=None, only=None, size=None, **overrides):
    """Validate everything before any work: (experiment, image paths, runs),
    runs as {name: (Representation, options, Run)}. ``name`` is one of
    ``EXPERIMENTS``; ``only`` keeps some of the runs; ``size``
    resizes every image to size x size (default: the experiment's, else
    native resolution); ``overrides`` beat every run's settings, and
    ``rep`` picks a deep experiment's network."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    exp = EXPERIMENTS[name]
    exp_runs = exp.runs_for(overrides.get("rep"))
    paths = list_images(images_dir)[:limit or exp.limit]
    size = size or exp.size
    unknown = set(only or ()) - set(exp_runs)
    if unknown:
        raise ValueError(f"experiment {name!r} has no run(s) {', '.join(sorted(unknown))}; "
                         f"its runs are: {', '.join(exp_runs)}")
    runs, loaded = {}, {}
    for run, spec in exp_runs.items():
        if only and run not in only:
            continue
        rep_name, layer, options = choose(preset=spec.preset, **{
            "rep": exp.network, **spec.options, **overrides})
        if rep_name not in loaded:  # NOTE: VGG-19 is 80 MB: load each network once
            loaded[rep_name] = representation.get(rep_name)
        runs[run] = (loaded[rep_name].at(layer) if layer else loaded[rep_name], options, spec)
    for p in paths:
        h, w = load_resized(p, size, exp.colour).shape[:2]
        for rep, options, _ in runs.values():
            rep.code_shape(h, w)
            resolve(rep, (rep.channels, h, w), options)
    return exp, paths, runs


def _file(out, run, path):
    return Path(out) / run.replace("=", "_") / f"{Path(path).stem}.npz"


def task_grid(exp, paths, runs, size=None):
    """Every task of a planned experiment, image by image, each seeded from
    the experiment's seed (its runs' ``seed``, default 0) and its name."""
    return [make_task(run, path, rep, options, options.get("seed", OPTIONS["seed"]),
                      size, exp.colour)
            for path in paths for run, (rep, options, _) in runs.items()]


def run_experiment(name, images_dir, out, limit=None, only=None, size=None, progress=None,
                   log=print, workers=None, scheduler=None, **overrides):
    """Run (or resume) experiment ``name``; returns the summary rows.
    ``workers`` N > 1 runs the tasks on a local Dask cluster of N processes,
    ``scheduler`` (an address or a scheduler file) on an existing one
    (``grid``); ``progress(done, total, workers, note)`` follows the tasks."""
    grid.check(workers, scheduler)
    exp, paths, runs = plan(name, images_dir, limit, only, size, **overrides)
    size = size or exp.size
    Path(out).mkdir(parents=True, exist_ok=True)
    pending = [(t, _file(out, t.run, t.image)) for t in task_grid(exp, paths, runs, size)]
    pending = [(t, target) for t, target in pending if not target.exists()]
    reps = {run: rep for run, (rep, _, _) in runs.items()}
    outcome = grid.run(pending, reps, workers, scheduler, progress, log)
    rows = summarise(exp, paths, runs, out, size)
    if outcome.interrupted:
        raise Interrupted(f"interrupted; finished results and tables are in {out} "
                          f"(run the same command again to resume)")
    if outcome.failed:
        raise TasksFailed(outcome.failed, rows, out)
    return rows


def summarise(exp, paths, runs, out, size=None):
    """Tables and montage from the finished per-image results."""
    out = Path(out)
    finished = {(run, p): _file(out, run, p) for run in runs for p in paths
                if _file(out, run, p).exists()}
    rows, per_image, recon, settings = [], [], {}, []
    for run in runs:
        found = [(p, numpy.load(finished[run, p])) for p in paths if (run, p) in finished]
        recon.update({(run, p): f["recon"] for p, f in found})
        if found:
            settings.append(_settings(run, found[0][1]))
        if len(found) < 2:
            continue
        phi = [f["phi"] for _, f in found]
        phi0 = [f["phi0"] for _, f in found]
        errs = {d: metrics.reconstruction_errors(phi, phi0, d) for d in metrics.DEFINITIONS}
        (m, sd), (cm, csd) = (metrics.summary(errs[d]) for d in ("paper", "code"))
        reported = runs[run][2].paper or (None, None)
        rows.append(dict(run=run, images=len(found), error_mean=m, error_std=sd,
                         code_error_mean=cm, code_error_std=csd,
                         reported_mean=reported[0], reported_std=reported[1]))
        for k, (p, f) in enumerate(found):
            info = json.loads(str(f["info"]))
            per_image.append(dict(run=run, image=Path(p).name, paper_error=errs["paper"][k],
                                  code_error=errs["code"][k], seconds=info["seconds"],
                                  loss=info["final"]["loss"][0], status=info["status"]))
    save_text(out / "table.md", _markdown(exp, rows, settings))
    save_text(out / "table.csv", _csv(rows))
    save_text(out / "per_image.csv", _csv(per_image))
    originals = {p: load_resized(p, size, exp.colour) for p in paths}
    grid = [[originals[p]] + [stretch(recon.get((r, p))) for r in runs]
            for p in paths if any((r, p) in recon for r in runs)]
    if grid:
        save_png(out / "montage.png", montage(grid, ["original", *runs], cell=128))
    if exp.figure:
        figures.draw(exp, out, rows, runs, originals, finished)
    return rows


def _csv(rows):
    if not rows:
        return ""
    keys = list(rows[0])
    fmt = lambda v: "" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)
    return "\n".join([",".join(keys)] + [",".join(fmt(r[k]) for k in keys) for r in rows]) + "\n"


def _settings(run, result):
    """One line: the resolved settings of ``result`` (a finished image of ``run``)."""
    s = json.loads(str(result["info"]))["settings"]
    kind = "grayscale" if s["input_channels"] == 1 or s["gray"] else "colour"
    return (f"* {run}: {s['rep']} on {s['height']}x{s['width']} {kind}, "
            f"sigma {s['sigma']:.4g}, lambda_alpha {s['lambda_alpha']:.4g}, "
            f"lambda_tv {s['lambda_tv']:g}, beta {s['beta']:g}, "
            f"{s['iters']} iterations, {s['restarts']} restart(s)")


def _markdown(exp, rows, settings=()):
    header = ["| run | images | error (paper text) | error (authors' code) | paper |",
              "| --- | --- | --- | --- | --- |"] if rows else [
        "No error is reported: the paper's normalised error needs at least two finished "
        "images per run (N_Phi is the mean distance between the originals' codes)."]
    lines = [f"# {exp.title}", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M')} by `python -m invert.run`. "
             "Errors in percent, mean +- std over the images (sample std).", "", *header]
    for r in rows:
        paper = "-" if r["reported_mean"] is None else \
            f"{r['reported_mean']:.2f} +- {r['reported_std']:.1f}"
        lines.append(f"| {r['run']} | {r['images']} | {r['error_mean']:.2f} +- "
                     f"{r['error_std']:.1f} | {r['code_error_mean']:.2f} +- "
                     f"{r['code_error_std']:.1f} | {paper} |")
    return "\n".join(lines + [""] + list(settings)) + "\n"
