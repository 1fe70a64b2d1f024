"""The paper's experiments, as data, and the runner that carries them out.

    experiment   what an experiment is (``Experiment``, ``Run``)
    shallow      Table 1 and Figs. 3-4 (HOG, HOGb, DSIFT; the paper's §4)
    deep         Table 3 and Figs. 2, 6-10, for every ImageNet network (§5)
    runner       ``run_experiment``: every run on every image, resumable,
                 then tables (``table.md``, ``table.csv``, ``per_image.csv``)
                 and a montage; ``EXPERIMENTS`` names them all
    tasks        one run on one image (``Task``), its seed, running it
    grid         running the tasks: in this process, or on Dask workers
    figures      Table 3's pivot, Fig. 7's restarts, Fig. 9's boxes

``python -m invert.run EXPERIMENT --images DIR`` is the command.
"""
from .experiment import Experiment, Run
from .runner import (EXPERIMENTS, Interrupted, TasksFailed, plan, result_file, run_experiment,
                     summarise, task_grid)
from .tasks import Task, load_resized

__all__ = ["EXPERIMENTS", "Experiment", "Interrupted", "Run", "Task", "TasksFailed",
           "load_resized", "plan", "result_file", "run_experiment", "summarise", "task_grid"]
