"""Command line: ``python -m invert.run [EXPERIMENT] [options]``.

Without an experiment it inverts one image (default: the bundled astronaut)
with HOG and then with every deep network whose weights are present (or
with ``--rep``, or the ``--preset``'s representation), and writes into
``--out`` (default ``runs/default``): ``original.png``, ``<job>.png`` (best
restart), ``<job>-r<k>.png`` (each restart when several) and
``results.json`` (resolved settings, energies per iteration, errors,
status). An ``--out`` ending in an image extension (``result.png``,
``.jpg``, ``.tif``, ...) names one picture instead: the best restart of the
one representation asked for, with ``result.json`` beside it. Notes on how
the image was read (alpha composited on white, ...) go to stderr, once per
image. With an experiment (``table1``, ``fig4``, ``table3``, ``fig2`` ...,
``invert.experiments``) it runs the paper's experiment over ``--images``;
its options override every run's settings and ``--rep`` picks the network;
its tasks run on Dask workers when Dask is installed (``--workers``,
``--scheduler``; ``invert.experiments.grid``). Settings are resolved by
``invert.settings``: explicit options beat the preset.

Exit status: 0 done; 1 bad input (one-line message, checked before any
work, nothing written) or failed experiment tasks (named; the others are
written); 2 bad usage; 3 diverged (the message names the term
that went non-finite; the last finite result is written); 130 interrupted
(what was finished is written, marked "interrupted").
"""
import argparse
import contextlib
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from minigrad import backend
from nets import registry
from nets.preprocess import to_gray

from . import presets, representation
from .api import invert_with
from .experiments import EXPERIMENTS, Interrupted, grid, run_experiment
from .images import (DEFAULT_IMAGE, EXTENSIONS, ImageNote, load_image, save_image, save_json,
                     save_png)
from .judge import Judge, as_shown, pick
from .settings import METHODS, PARAMS, SOLVERS, choose, resolve

EXIT_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 3, 130


def parser():
    p = argparse.ArgumentParser(
        prog="python -m invert.run", description="Reconstruct images from their HOG, "
        "dense-SIFT or CNN codes (Mahendran & Vedaldi, CVPR 2015).")
    a = p.add_argument
    a("experiment", nargs="?", choices=sorted(EXPERIMENTS),
      help="run a paper experiment over --images instead of inverting one image")
    known = "; ".join(f"{n}: {e.about}" for n, e in registry.NETWORKS.items())
    a("--rep", metavar="NAME", help="representation (default: hog, then every network "
      f"with weights; experiments: the network to run on). Known: {known}")
    a("--layer", metavar="NAME", help="layer of the network to invert (default: its last layer)")
    a("--image", metavar="PATH", help=f"image to invert (default: the bundled {DEFAULT_IMAGE.name})")
    a("--images", metavar="DIR", default="data/images/imagenet",
      help="folder of images for an experiment (default: %(default)s, written by "
      "`python -m invert.fetch images`)")
    a("--limit", metavar="N", type=int, help="experiments: only the first N images")
    a("--runs", metavar="A,B", help="experiments: only these runs (e.g. HOG,HOGb)")
    a("--size", type=int, metavar="N", help="experiments: resize images to N x N "
      "(default: native resolution, as the paper)")
    a("--workers", metavar="N", type=int, help="experiments: run the tasks on a local Dask "
      "cluster of N one-thread worker processes (default: one per core when Dask is "
      f"installed, {grid.INSTALL}; 1: in this process)")
    a("--scheduler", metavar="ADDRESS", help="experiments: send the tasks to an existing Dask "
      "cluster (tcp://host:8786, or the JSON file of `dask scheduler --scheduler-file`)")
    a("--out", metavar="DIR|FILE", help="output directory (default: runs/default or "
      "runs/<experiment>), or one picture (result.png, .jpg, .tif, ...) with its .json beside "
      "it when one representation is inverted")
    a("--preset", metavar="NAME", help="named settings (one image only; explicit options "
      f"win): {', '.join(sorted(presets.PRESETS))}")
    a("--sigma", metavar="X", help='scale of x: "auto" (from the image size), "paper" or a number')
    a("--lambda-alpha", metavar="X", help='weight of the alpha-norm prior: "auto", "paper" or a number')
    a("--lambda-tv", metavar="X", help='weight of the V^beta prior: "auto" or a number (HOG/DSIFT: 5)')
    a("--beta", metavar="B", type=float, help="exponent of the V^beta prior (default 2; 1 = TV)")
    a("--iters", metavar="N", type=int, help="total iterations (rescales the schedule)")
    a("--schedule", metavar="NAME", help=f"learning-rate schedule: {', '.join(presets.SCHEDULES)}")
    a("--solver", choices=SOLVERS, help="momentum (the paper's, default), adam or lbfgs")
    a("--jitter", metavar="J", type=int, help="shift the network's input by up to J pixels, "
      "a new random shift each iteration (default 0)")
    a("--zoom", metavar="R", type=float, help="scale the network's input by a random "
      "factor in [1/(1+R), 1+R], a new one each iteration (default 0)")
    a("--shrink", metavar="F", type=float, help="lower the --zoom factor's range to "
      "[(1-F)/(1+R), 1+R]: the network mostly sees the image smaller (default 0)")
    a("--copies", metavar="K", type=int, help="with --jitter/--zoom/--shrink: K copies of "
      "the image, each moved its own way, per iteration; their mean loss (default 1)")
    a("--polish", metavar="F", type=float, help="with --jitter/--zoom/--shrink: the last "
      "fraction F of the iterations without them, fitting the image itself (default 0)")
    a("--coarse", metavar="F", type=float, help="the first fraction F of the iterations "
      "move a smaller image, enlarged: coarse to fine (default 0)")
    a("--octaves", metavar="K", type=int, help="with --coarse: K smaller sizes, from "
      "1/2^K to 1/2 of the image, in equal shares (default 2)")
    a("--param", choices=PARAMS, help="what the solver moves: pixels (default), colour "
      "(decorrelated colours) or fourier (colour, and a 1/f-scaled spectrum; --preset "
      "cnn-fourier gives it the small start and larger steps it needs)")
    a("--bound", metavar="B", type=float, help="bound each pixel's colour norm by B grey "
      "levels (default: none)")
    a("--centre-code", action="store_true", default=None, help="compare the codes with "
      "each one's mean over the channels removed (for class scores: what the softmax sees)")
    a("--surrogate", action="store_true", default=None, help="HOG: pass the bilinear "
      "gate's orientation gradient back through the hard bins (straight-through)")
    a("--restarts", metavar="N", type=int, help="random restarts, run as one batch (default 1)")
    a("--seed", metavar="N", type=int, help="seed of the initial noise (default 0)")
    a("--window", metavar="N", type=int, help="restrict the loss to the central N x N neurons")
    a("--group", choices=("first", "second"), help="restrict the loss to half the channels")
    a("--gray", action="store_true", help="invert the grayscale image (always for HOG/DSIFT)")
    a("--judge", metavar="NAME", help="the ImageNet network that classifies originals and "
      "reconstructions (cross-network agreement; default: a network other than the one "
      "inverted, when its weights are present; none: no judge)")
    a("--method", choices=METHODS, help="descent (the paper's, default) or hoggle (HOG only: "
      "HOGgle's paired dictionary, trained by `python -m invert.train_hoggle`)")
    a("--dictionary", metavar="PATH", help="HOGgle's dictionary file (default: "
      "$INVREP_WEIGHTS/hoggle.h5)")
    a("--device", choices=backend.DEVICES, help="cpu (NumPy) or gpu (CuPy); default: "
      "$MINIGRAD_DEVICE, else cpu")
    a("--quiet", action="store_true", help="no progress bar")
    return p


def _number_or_word(v):
    try:
        return float(v)
    except ValueError:
        return v


def options_from(args):
    """The explicit options of the command line (no preset applied)."""
    names = ("sigma", "lambda_alpha", "lambda_tv", "beta", "iters", "schedule",
             "restarts", "seed", "window", "group", "solver", "jitter", "param", "bound",
             "method", "dictionary", "surrogate", "zoom", "shrink", "copies", "polish", "coarse",
             "octaves", "centre_code")
    opts = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    for k in ("sigma", "lambda_alpha", "lambda_tv"):
        if k in opts:
            opts[k] = _number_or_word(opts[k])
    if args.gray:
        opts["gray"] = True
    return opts


class Progress:
    """A text progress bar on stderr with the current energies (the lowest over
    restarts): redrawn in place at most 10 times a second on a terminal, one
    line per tenth of the run otherwise (a log file)."""

    def __init__(self, label="", stream=sys.stderr, width=30):
        self.label, self.stream, self.width, self.last = label, stream, width, 0.0

    def __call__(self, t, total, terms):
        tty, now = self.stream.isatty(), time.monotonic()
        due = now - self.last >= 0.1 if tty else t % max(total // 10, 1) == 0
        if not due and t < total:
            return
        self.last = now
        energies = " ".join(f"{k} {terms[k].min():.3g}" for k in ("loss", "alpha", "tv", "total"))
        _draw(self.stream, tty, f"{self.label} {_bar(self.width, t, total)} {t}/{total} "
              f"{energies}", t >= total)


def _bar(width, done, total):
    filled = int(width * done / total)
    return f"[{'#' * filled}{'.' * (width - filled)}]"


def _draw(stream, tty, line, final):
    """Redraw ``line`` in place on a terminal (ending it when ``final``), or
    write it as one line of a log file."""
    stream.write("\r" + line + "\033[K" + ("\n" if final else "") if tty else line + "\n")
    stream.flush()


def is_picture(path):
    """Does ``--out`` name one picture (an image extension) rather than a folder?"""
    return path is not None and Path(path).suffix.lower() in EXTENSIONS


def check_out(path, jobs):
    """A picture ``--out`` holds one result, and must not be a folder."""
    if not is_picture(path):
        return
    if len(jobs) > 1:
        raise ValueError(f"--out {path} names one picture, but this run inverts "
                         f"{len(jobs)} representations ({', '.join(j[0] for j in jobs)}); "
                         f"pick one with --rep, or give a folder")
    if Path(path).is_dir():
        raise ValueError(f"--out {path} names a picture, but it is a folder")
class TaskProgress:
    """One bar over an experiment's tasks on stderr: finished/total, workers,
    and what was last finished (in-process: the running task's iteration).
    Redrawn in place at most 10 times a second on a terminal; in a log file,
    one line per tenth of the tasks."""

    def __init__(self, label="", stream=sys.stderr, width=30):
        self.label, self.stream, self.width = label, stream, width
        self.last, self.start, self.shown = 0.0, None, None

    def __call__(self, done, total, workers, note=""):
        tty, now = self.stream.isatty(), time.monotonic()
        self.start = self.start or now
        due = now - self.last >= 0.1 or done >= total if tty else \
            done != self.shown and done % max(total // 10, 1) == 0
        if not due:
            return
        self.last, self.shown = now, done
        _draw(self.stream, tty, f"{self.label} {_bar(self.width, done, total)} {done}/{total} "
              f"tasks, {workers} worker{'s' * (workers != 1)}, {now - self.start:.0f} s  {note}",
              done >= total)


def prepare_out(path):
    """Create the output folder and check that it takes files."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"cannot write to output directory {path}: {err.strerror or err}") from None
    return path


@contextlib.contextmanager
def output_folder(path, scratch=()):
    """``prepare_out(path)`` for the body; if the body fails while the folder
    holds nothing but the ``scratch`` files, those and the folders made
    here are removed: bad input found late (an all-zero code, an experiment's
    image) leaves nothing behind."""
    path = Path(path)
    created = [d for d in (path, *path.parents) if not d.exists()]  # innermost first
    prepare_out(path)
    try:
        yield path
    except BaseException:
        if all(p.name in scratch for p in path.iterdir()):
            for name in scratch:
                (path / name).unlink(missing_ok=True)
            for d in created:
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
        raise


def main_jobs(args):
    """[(representation name, layer, options)]: ``--rep`` or the preset's
    representation, else HOG and every network whose weights are present,
    each with the named preset or, without one, its own best
    (``invert.settings.choose``)."""
    explicit = options_from(args)
    rep, layer, opts = choose(args.rep, args.layer, args.preset, **explicit)
    if args.rep or args.method == "hoggle" or (args.preset and
                                              "rep" in presets.PRESETS[args.preset]):
        return [(rep, layer, opts)]
    have, missing = registry.with_weights()
    for name in missing:
        print(f"note: no weights for {name}, skipped ({registry.get(name).how_to_obtain()})",
              file=sys.stderr)
    return [(rep, layer, opts)] + [choose(name, None, args.preset, **explicit) for name in have]


def main_job(args):
    path = Path(args.image) if args.image else DEFAULT_IMAGE
    asked = main_jobs(args)  # NOTE: validate everything first: options, --out,
    check_out(args.out, asked)  # the image, networks, layers, image size
    image = load_image(path)
    jobs = []
    for name, layer, opts in asked:
        rep = representation.get(name, layer)
        rep.code_shape(*image.shape[:2])
        resolve(rep, (rep.channels, *image.shape[:2]), opts)
        tag = f"{name}-{layer}" if layer else name
        jobs.append((rep, opts, tag + ("-hoggle" if opts.get("method") == "hoggle" else "")))
    judges = {rep.name: pick(rep.name, args.judge) for rep, _, _ in jobs}
    picture = Path(args.out) if is_picture(args.out) else None
    with output_folder(picture.parent if picture else args.out or "runs/default",
                       scratch=() if picture else ("original.png",)) as out:
        if picture is None:
            save_png(out / "original.png", image)
        return run_jobs(jobs, judges, image, out, picture, dict(image=str(path), jobs=[]),
                        args.quiet)


def run_jobs(jobs, judges, image, out, picture, results, quiet=False):
    """Invert ``image`` for each job, writing as each finishes (module
    docstring); ``results`` collects the JSON report. Returns the exit status."""
    report = picture.with_suffix(".json") if picture else out / "results.json"
    where, status, loaded = picture or out, 0, {}
    for rep, opts, tag in jobs:
        res = invert_with(image, rep, options=opts, progress=None if quiet else Progress(tag))
        files = [picture.name] if picture else [f"{tag}.png"]
        save_image(out / files[0], res.image)
        if len(res.images) > 1 and picture is None:
            for k, im in enumerate(res.images):
                files.append(f"{tag}-r{k}.png")
                save_png(out / files[-1], im)
        judge = judges[rep.name]
        if judge and judge not in loaded:
            loaded[judge] = Judge(judge)
        seen = image if rep.channels == 3 else to_gray(image)  # NOTE: what rep inverted
        results["jobs"].append(dict(
            name=tag, status=res.status, iterations=res.iterations, seconds=res.seconds,
            best=res.best, error=res.error.tolist(), image_error=res.image_error.tolist(),
            agreement=loaded[judge].agreement(
                seen, [as_shown(rep.name, im) for im in res.images]) if judge else None,
            files=files, settings=res.settings,
            final={k: v.tolist() for k, v in res.final.items()},
            history={k: v.tolist() for k, v in res.history.items()},
            **({"nonfinite": list(res.nonfinite)} if res.nonfinite else {})))
        save_json(report, results)
        if res.status == "diverged":
            when, what = ("at the first iteration", "the starting noise") if res.iterations == 0 \
                else (f"after {res.iterations} iteration{'s' if res.iterations > 1 else ''}",
                      "the last finite result")
            print(f"invert.run: {tag} diverged {when}: {went_nonfinite(res.nonfinite)}; "
                  f"wrote {what} to {where}", file=sys.stderr)
            status = EXIT_DIVERGED
        elif res.status == "interrupted":
            print(f"\ninvert.run: interrupted; wrote what was finished to {where}",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        else:
            print(f"{tag}: error {res.error.min():.4f} in {res.seconds:.1f} s -> {where}")
    return status


def went_nonfinite(names):
    """"the alpha term went non-finite", "the gradient went non-finite", ..."""
    terms = [n for n in names if n != "gradient"]
    parts = [f"the {' and '.join(terms)} term{'s' if len(terms) > 1 else ''}"] if terms else []
    parts += ["the gradient"] if "gradient" in names else []
    return f"{' and '.join(parts) or 'the energy'} went non-finite (inf or NaN)"


def _stop(signum, frame):
    raise KeyboardInterrupt  # NOTE: SIGTERM stops as cleanly as Ctrl-C


def experiment(args):
    if args.preset:
        raise ValueError(f"experiment {args.experiment!r} names its own presets; give "
                         f"options (--lambda-tv, --iters, ...) instead of --preset")
    if is_picture(args.out):
        raise ValueError(f"experiment {args.experiment!r} writes a folder of results; "
                         f"--out {args.out} names a picture")
    overrides = {**options_from(args), **({"rep": args.rep} if args.rep else {}),
                 **({"layer": args.layer} if args.layer else {})}
    workers = args.workers if args.workers is not None or args.scheduler \
        else grid.default_workers()
    with output_folder(args.out or f"runs/{args.experiment}"
                       + (f"-{args.rep}" if args.rep else "")) as out:
        rows = run_experiment(args.experiment, args.images, out, args.limit,
                              args.runs.split(",") if args.runs else None, args.size,
                              progress=None if args.quiet else TaskProgress(args.experiment),
                              workers=workers, scheduler=args.scheduler, judge=args.judge,
                              **overrides)
    for r in rows:
        print(f"{r['run']}: {r['error_mean']:.2f} +- {r['error_std']:.1f} % "
              f"({r['images']} images)")
    print(f"tables and montage in {out}")
    return 0


def _show_note(message, category, filename, lineno, file=None, line=None, show=None):
    if issubclass(category, ImageNote):
        print(f"note: {message}", file=sys.stderr)
    else:
        show(message, category, filename, lineno, file, line)


def main(argv=None):
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    with warnings.catch_warnings():
        warnings.simplefilter("default", ImageNote)  # NOTE: once per message, i.e. per image
        show = warnings.showwarning
        warnings.showwarning = lambda *a, **k: _show_note(*a, **k, show=show)
        return _main(args)


def _main(args):
    try:
        if args.device:
            backend.use(args.device)
        return experiment(args) if args.experiment else main_job(args)
    except Interrupted as err:
        print(f"\ninvert.run: {err}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\ninvert.run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, RuntimeError, OSError) as err:
        print(f"invert.run: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("invert.run: error: out of memory (fewer --restarts, or a smaller image)",
              file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
