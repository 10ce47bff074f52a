"""Grid cells and which of them earlier runs completed: the data behind ``run --only-new`` (no Ray).

A cell is one full config of the grid (constants included). It counts as done when an earlier run
of the same sweep has a trial with exactly that config (canonical JSON, as ``config_json`` stores
it) that ended without error (``completed``, or ``early_stopped`` by the scheduler); errored and
cancelled cells run again. With ``num_samples=k`` passes over the grid a cell needs ``k`` such
trials. The store is read through :mod:`raysweep.results`, imported lazily.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from raysweep._errors import ConfigError
from raysweep.searchers import GridSearch
from raysweep.space import Domain, flatten, grid_values, unflatten
from raysweep.sweep._sweep import Sweep

__all__ = ["NewCells", "grid_cells", "new_cells"]

#: Trial statuses that make a cell done.
DONE = ("completed", "early_stopped")


@dataclass(frozen=True)
class NewCells:
    """The grid cells (repeats included) that still have to run, and what earlier runs did."""

    configs: tuple[dict[str, Any], ...]
    n_cells: int
    n_done: int
    runs: tuple[str, ...]

    @property
    def n_new(self) -> int:
        return len(self.configs)


def grid_cells(sweep: Sweep) -> list[dict[str, Any]]:
    """Every cell of a grid sweep's grid, as the nested config a trial receives."""
    spec = sweep.searcher_spec
    if not isinstance(spec, GridSearch):
        raise ConfigError(f"Sweep {sweep.name!r} uses the {spec.name!r} searcher; only grid sweeps "
                          "have cells. For more trials of a run use `raysweep extend RUN -n N`.")
    flat = flatten(sweep.space)
    axes = [grid_values(v, spec.grid_points) if isinstance(v, Domain) else [v] for v in flat.values()]
    return [unflatten(dict(zip(flat, values, strict=True))) for values in itertools.product(*axes)]


def new_cells(sweep: Sweep, root: str | None) -> NewCells:
    """The cells of ``sweep``'s grid that no earlier run of the sweep under ``root`` completed."""
    from raysweep.results import list_runs, load_trials, to_json

    cells = grid_cells(sweep)
    passes = sweep.num_samples or 1
    runs = list_runs(root=root, sweeps=sweep.name)
    done: Counter[str] = Counter()
    used: list[str] = []
    if not runs.empty:
        trials = load_trials(root=root, sweeps=sweep.name)
        ended = trials[trials["status"].isin(DONE)]
        done.update(str(c) for c in ended["config_json"])
        used = list(dict.fromkeys(ended["run"]))
    todo: list[dict[str, Any]] = []
    for cell in cells:
        todo.extend([cell] * max(0, passes - done.get(to_json(cell), 0)))
    return NewCells(tuple(todo), len(cells) * passes, len(cells) * passes - len(todo), tuple(used))
