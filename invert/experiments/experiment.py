"""What an experiment is: named runs applied to every image of a folder.

    Run(preset, options, paper)
        one set of settings: a preset of ``invert.presets`` plus overrides
        (``rep``, ``layer``, ``lambda_tv``, ``window``, ...), and the
        paper's (mean, std) error for it when the paper reports one.
    Experiment(name, title, runs, network, networks, colour, size, limit, figure)
        ``runs(network)`` gives the runs {name: Run} for one network of
        ``nets.registry``: the deep experiments are one set of runs per
        network (``--rep`` picks it, default ``network``); the shallow ones
        name their representations in their runs and ignore it.

The command line's options override every run's (``invert.settings.choose``:
explicit arguments beat the preset and the run).
"""
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass(frozen=True)
class Run:
    preset: str
    options: dict = field(default_factory=dict)
    paper: Optional[tuple] = None  # the paper's (mean, std) error in percent


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    runs: Callable                # network (or None) -> {run name: Run}
    network: Optional[str] = None  # the network when --rep is not given
    networks: tuple = ()          # those it has runs for (empty: any, --rep overrides)
    colour: bool = False          # colour images (else grayscale)
    size: Optional[int] = None    # resize to size x size (None: native resolution)
    limit: Optional[int] = None   # only the first images (a figure of one or two)
    figure: Optional[str] = None  # an extra picture or table (``figures``)

    def runs_for(self, network=None):
        """{run name: Run} for ``network`` (default: ``self.network``)."""
        network = network or self.network
        if self.networks and network not in self.networks:
            raise ValueError(f"experiment {self.name!r} has no runs for {network!r}; "
                             f"it has runs for: {', '.join(self.networks)}")
        return self.runs(network)
