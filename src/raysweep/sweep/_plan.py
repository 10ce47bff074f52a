"""What a sweep will do, computed without Ray: the data behind ``raysweep plan``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from raysweep.searchers import GridSearch
from raysweep.space import Domain, flatten, grid_values
from raysweep.sweep._sweep import Sweep

__all__ = ["Dimension", "Plan", "make_plan"]


@dataclass(frozen=True)
class Dimension:
    """One leaf of the space: its dotted path, what it is, and how many values grid search tries."""

    path: str
    spec: str
    grid_values: int | None


@dataclass(frozen=True)
class Plan:
    """What a sweep will run: trial count, searcher, scheduler, resources and how many trials fit at once."""

    sweep: str
    searcher: str
    searcher_params: dict
    scheduler: str
    scheduler_params: dict
    metric: str
    mode: str
    n_trials: int
    grid_cells: int | None
    resources_per_trial: dict
    concurrency_cap: int | None
    trials_at_once: int | None
    dimensions: list[Dimension]


def make_plan(sweep: Sweep, cluster_cpus: float | None = None,
              cluster_gpus: float | None = None) -> Plan:
    """Summarise ``sweep``; with the cluster's CPUs/GPUs, also how many trials fit at once."""
    is_grid = isinstance(sweep.searcher, GridSearch)
    points = sweep.searcher.grid_points if is_grid else None
    dims = []
    for path, value in flatten(sweep.space).items():
        if isinstance(value, Domain):
            n = len(grid_values(value, points)) if is_grid else None
            dims.append(Dimension(".".join(path), value.describe(), n))
        else:
            dims.append(Dimension(".".join(path), f"constant {value!r}", 1 if is_grid else None))
    cells = math.prod(d.grid_values or 1 for d in dims) if is_grid else None
    return Plan(
        sweep=sweep.name,
        searcher=sweep.searcher.name,
        searcher_params=sweep.searcher.params(),
        scheduler=sweep.scheduler.name,
        scheduler_params=sweep.scheduler.params(),
        metric=sweep.metric,
        mode=sweep.mode,
        n_trials=sweep.n_trials,
        grid_cells=cells,
        resources_per_trial=dict(sweep.resources),
        concurrency_cap=sweep.concurrency_cap,
        trials_at_once=_fit(sweep, cluster_cpus, cluster_gpus),
        dimensions=dims,
    )


def _fit(sweep: Sweep, cpus: float | None, gpus: float | None) -> int | None:
    """Trials that fit on the cluster at once (0 when one trial does not fit at all)."""
    if cpus is None:
        return None
    limits = []
    for have, need in ((cpus, sweep.resources.get("cpu", 0)), (gpus or 0, sweep.resources.get("gpu", 0))):
        if need > 0:
            limits.append(math.floor(have / need + 1e-9))
    fit = min(limits) if limits else sweep.n_trials
    for cap in (sweep.concurrency_cap, sweep.n_trials):
        if cap is not None:
            fit = min(fit, cap)
    return fit
