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

from .. import hoggle, metrics, representation
from ..images import list_images, montage, save_json, save_png, save_text, stretch
from ..judge import Judge, as_shown, pick, shown_stretched
from ..settings import OPTIONS, choose, number, resolve
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
    for key, value in (("limit", limit), ("size", size)):
        if value is not None:
            number(key, value, 1, integer=True)
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
        for run, (rep, options, _) in runs.items():
            rep.code_shape(h, w)
            try:
                resolve(rep, (rep.channels, h, w), options)
            except hoggle.DictionaryError as err:
                others = ",".join(r for r in runs if r != run)
                raise ValueError(f"{err}; or leave run {run} out (--runs {others})") from None
    return exp, paths, runs


def result_file(out, run, path):
    """Where the result of ``run`` on the image at ``path`` is kept:
    ``OUT/<run>/<image stem>.npz`` ("=" in a run's name becomes "_")."""
    return Path(out) / run.replace("=", "_") / f"{Path(path).stem}.npz"


def task_grid(exp, paths, runs, size=None):
    """Every task of a planned experiment, image by image, each seeded from
    the experiment's seed (its runs' ``seed``, default 0) and its name."""
    return [make_task(run, path, rep, options, options.get("seed", OPTIONS["seed"]),
                      size, exp.colour)
            for path in paths for run, (rep, options, _) in runs.items()]


def run_experiment(name, images_dir, out, limit=None, only=None, size=None, progress=None,
                   log=print, workers=None, scheduler=None, judge=None, **overrides):
    """Run (or resume) experiment ``name``; returns the summary rows.
    ``judge``: the network that classifies originals and reconstructions
    (``invert.judge``; default: the representation's, "none": no judge);
    ``workers`` N > 1 runs the tasks on a local Dask cluster of N processes,
    ``scheduler`` (an address or a scheduler file) on an existing one
    (``grid``); ``progress(done, total, workers, note)`` follows the tasks."""
    grid.check(workers, scheduler)
    exp, paths, runs = plan(name, images_dir, limit, only, size, **overrides)
    choose_judge(runs, judge)  # NOTE: a judge without weights fails before any work
    size = size or exp.size
    Path(out).mkdir(parents=True, exist_ok=True)
    pending = [(t, result_file(out, t.run, t.image)) for t in task_grid(exp, paths, runs, size)]
    pending = [(t, target) for t, target in pending if not target.exists()]
    reps = {run: rep for run, (rep, _, _) in runs.items()}
    outcome = grid.run(pending, reps, workers, scheduler, progress, log)
    rows = summarise(exp, paths, runs, out, size, judge)
    if outcome.interrupted:
        raise Interrupted(f"interrupted; finished results and tables are in {out} "
                          f"(run the same command again to resume)")
    if outcome.failed:
        raise TasksFailed(outcome.failed, rows, out)
    return rows


def choose_judge(runs, name=None):
    """The judge of these runs (``invert.judge.pick`` for the first run's
    representation), or None."""
    return pick(next(iter(runs.values()))[0].name, name) if runs else None


def agreements(out, judge, runs, found, originals):
    """{(run, path): judge's agreement} for the finished results ``found``,
    cached in ``out/judge-<judge>.json`` by result file, its time stamp and
    how the judge was shown it (``judge.as_shown``)."""
    cache_file = Path(out) / f"judge-{judge}.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}

    def key(r, f):
        return dict(stamp=f.stat().st_mtime_ns, stretched=shown_stretched(runs[r][0].name))

    out_of_date = [(r, p) for (r, p), f in found.items()
                   if {k: cache.get(str(f), {}).get(k) for k in ("stamp", "stretched")}
                   != key(r, f)]
    if out_of_date:
        network = Judge(judge)
        for r, p in out_of_date:
            with numpy.load(found[r, p]) as f:
                (a,) = network.agreement(originals[p], [as_shown(runs[r][0].name, f["recon"])])
            cache[str(found[r, p])] = dict(a, **key(r, found[r, p]))
        save_json(cache_file, cache)
    return {key: cache[str(f)] for key, f in found.items()}


def summarise(exp, paths, runs, out, size=None, judge=None):
    """Tables and montage from the finished per-image results; the judge's
    agreement (``choose_judge``) beside the errors."""
    out = Path(out)
    finished = {(run, p): result_file(out, run, p) for run in runs for p in paths
                if result_file(out, run, p).exists()}
    originals = {p: load_resized(p, size, exp.colour) for p in paths}
    judge = choose_judge(runs, judge)
    agree = agreements(out, judge, runs, finished, originals) if judge else {}
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
        infos = [json.loads(str(f["info"])) for _, f in found]
        image_errors = [i.get("image_error") for i in infos]  # NOTE: absent in older files
        im, isd = metrics.summary(image_errors) if None not in image_errors else (None, None)
        judged = [agree[run, p] for p, _ in found if (run, p) in agree]
        rows.append(dict(run=run, images=len(found), error_mean=m, error_std=sd,
                         code_error_mean=cm, code_error_std=csd,
                         reported_mean=reported[0], reported_std=reported[1],
                         image_error_mean=im, image_error_std=isd, judge=judge,
                         judge_top5=sum(a["in_top5"] for a in judged) if judge else None,
                         judge_top1=sum(a["top1"] for a in judged) if judge else None))
        for k, ((p, f), info) in enumerate(zip(found, infos)):
            a = agree.get((run, p), {})
            per_image.append(dict(run=run, image=Path(p).name, paper_error=errs["paper"][k],
                                  code_error=errs["code"][k],
                                  image_error=info.get("image_error"),
                                  judge_class=a.get("original_class"),
                                  judge_top5=" ".join(map(str, a.get("top5", []))) or None,
                                  seconds=info["seconds"], loss=info["final"]["loss"][0],
                                  status=info["status"]))
    save_text(out / "table.md", _markdown(exp, rows, settings))
    save_text(out / "table.csv", _csv(rows))
    save_text(out / "per_image.csv", _csv(per_image))
    grid = [[originals[p]] + [stretch(recon.get((r, p))) for r in runs]
            for p in paths if any((r, p) in recon for r in runs)]
    if grid:
        save_png(out / "montage.png", montage(grid, ["original", *runs], cell=128))
    if exp.figure:
        figures.draw(exp, out, rows, runs, originals, finished, agree)
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
    if s.get("method") == "hoggle":
        return (f"* {run}: HOGgle on {s['rep']} of {s['height']}x{s['width']} {kind}, "
                f"dictionary {s['dictionary']} ({s['atoms']} atoms, windows of "
                f"{s['cells']}x{s['cells']} cells, lambda {s['lambda_l1']:g})")
    extras = [f"solver {s.get('solver', 'momentum')}"]
    extras += [f"{key} {s[key]:g}" for key in ("jitter", "zoom", "shrink", "bound") if s.get(key)]
    extras += [f"{s['copies']} copies"] if s.get("copies", 1) > 1 else []
    extras += [f"the last {s['polish']:.0%} still"] if s.get("polish") else []
    extras += [f"the first {s['coarse']:.0%} coarse to fine over {s['octaves']} octaves"] \
        if s.get("coarse") else []
    if s.get("param", "pixels") != "pixels":
        extras.append(f"param {s['param']}")
    if s.get("surrogate"):
        extras.append("surrogate gradient")
    if s.get("centre_code"):
        extras.append("codes compared centred")
    return (f"* {run}: {s['rep']} on {s['height']}x{s['width']} {kind}, "
            f"sigma {s['sigma']:.4g}, lambda_alpha {s['lambda_alpha']:.4g}, "
            f"lambda_tv {s['lambda_tv']:g}, beta {s['beta']:g}, {', '.join(extras)}, "
            f"{s['iters']} iterations, {s['restarts']} restart(s)")


def _count(k, n):
    """"k/n (lo-hi %)": a count with the 95 % interval of its rate."""
    lo, hi = metrics.wilson_interval(k, n)
    return f"{k}/{n} ({100 * lo:.0f}-{100 * hi:.0f} %)"


def _markdown(exp, rows, settings=()):
    judge = next((r["judge"] for r in rows if r["judge"]), None)
    header = ["| run | images | error (paper text) | error (authors' code) | paper | "
              "image error | " + (f"{judge}: top-5 / top-1 |" if judge else "judge |"),
              "| --- | --- | --- | --- | --- | --- | --- |"] if rows else [
        "No error is reported: the paper's normalised error needs at least two finished "
        "images per run (N_Phi is the mean distance between the originals' codes)."]
    lines = [f"# {exp.title}", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M')} by `python -m invert.run`. "
             "Errors in percent, mean +- std over the images (sample std).", "", *header]
    for r in rows:
        paper = "-" if r["reported_mean"] is None else \
            f"{r['reported_mean']:.2f} +- {r['reported_std']:.1f}"
        image = "-" if r["image_error_mean"] is None else \
            f"{r['image_error_mean']:.1f} +- {r['image_error_std']:.1f}"
        judged = "-" if r["judge"] is None else \
            f"{_count(r['judge_top5'], r['images'])} / {_count(r['judge_top1'], r['images'])}"
        lines.append(f"| {r['run']} | {r['images']} | {r['error_mean']:.2f} +- "
                     f"{r['error_std']:.1f} | {r['code_error_mean']:.2f} +- "
                     f"{r['code_error_std']:.1f} | {paper} | {image} | {judged} |")
    notes = ["", "Image error: ||sigma x* - z0|| / ||z0|| in the network's input units "
             "(after its preprocessing), percent."] if rows else []
    if judge:
        notes.append(f"Judge: {judge} classifies the original and the reconstruction; "
                     f"top-5 / top-1 count the images whose original top-1 class is "
                     f"among the reconstruction's top 5 / is its top 1; in brackets the "
                     f"95 % interval of the rate (Wilson's score interval), which says how "
                     f"far two counts on these few images must differ to mean anything.")
    return "\n".join(lines + notes + [""] + list(settings)) + "\n"
