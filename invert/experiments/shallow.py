"""The paper's experiments on HOG and DSIFT (§4) as data: Table 1 and its
montage (Fig. 3), Fig. 4 (the effect of lambda_tv). Grayscale images at
native resolution, one restart, the paper's settings (``invert.presets``).

* ``table1``: HOGgle (the paper's baseline, Vondrick et al. 2013: HOG
  inverted by a paired dictionary, ``invert.hoggle``; needs ``python -m
  invert.train_hoggle`` once), then HOG, HOGb, DSIFT with the paper's
  printed settings;
* ``table1-code``: the same with the authors' released script's
  lambda_tv = 0.5 (its lambdaTV = 1, halved; the paper's text says 5);
* ``table1-authors``: the paper's settings on the authors' own MATLAB
  HOG/DSIFT networks instead of VLFeat's;
* ``fig4``: HOG at lambda_tv 0.5, 5 and 50;
* ``table1-best``: HOG, HOGb and DSIFT with our best settings
  (``hog-best``, ``hogb-best``, ``dsift-best``; docs/best-results.md), the
  paper's numbers beside.
"""
from .experiment import Experiment, Run

TABLE1 = {"HOG": (28.10, 7.9), "HOGb": (10.67, 5.2), "DSIFT": (10.89, 7.5)}  # the paper's
HOGGLE = (66.20, 13.7)  # the paper's Table 1, HOGgle on HOG


def _table1(presets, reps=None, hoggle=False):
    reps = reps or {}
    runs = {"HOGgle": Run("hoggle", paper=HOGGLE)} if hoggle else {}
    runs.update({run: Run(preset, {"rep": reps[run]} if run in reps else {}, TABLE1[run])
                 for run, preset in zip(TABLE1, presets)})
    return lambda network: runs


def _fig4(network):
    return {f"lambda_tv={lt:g}": Run("hog-paper", dict(lambda_tv=lt)) for lt in (0.5, 5.0, 50.0)}


EXPERIMENTS = [
    Experiment("table1", "Table 1: HOGgle, HOG, HOGb and DSIFT inversion errors",
               _table1(("hog-paper", "hogb-paper", "dsift-paper"), hoggle=True)),
    Experiment("table1-code", "Table 1 with the authors' script's lambda_tv = 0.5 "
               "(paper text: 5)", _table1(("hog-code", "hogb-code", "dsift-code"))),
    Experiment("table1-authors", "Table 1 with the authors' MATLAB HOG/DSIFT networks "
               "(paper settings)", _table1(("hog-paper", "hogb-paper", "dsift-paper"), dict(
                   HOG="hog-authors", HOGb="hogb-authors", DSIFT="dsift-authors"))),
    Experiment("fig4", "Fig. 4: effect of the V^beta regulariser on HOG inversion", _fig4),
    Experiment("table1-best", "Table 1 with our best settings (not the paper's)",
               _table1(("hog-best", "hogb-best", "dsift-best"))),
]
