"""Ray's grid-times-samples rule for model-based searchers: ``num_samples`` trials for every cell of
the ``space.grid`` dimensions.

Ray's HyperOpt and Optuna searchers refuse ``grid_search``; raysweep gives each cell a searcher of its
own over the space with that cell's grid values as constants (its own model, seed, start-up phase and
warm-start points), and hands out trials cell by cell in turn so that at any time every cell has run
about as many trials.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from ray.tune.search import Searcher

from raysweep.space import flatten, unflatten
from raysweep.warm_start import Seeds

__all__ = ["GridCrossed", "cell_seeds", "cell_space"]

Path = tuple[str, ...]


def cell_space(space: Mapping[str, Any], cell: Mapping[Path, Any]) -> dict[str, Any]:
    """``space`` with the grid dimensions of ``cell`` replaced by the cell's values (constants)."""
    return unflatten({path: cell.get(path, leaf) for path, leaf in flatten(space).items()})


def cell_seeds(seeds: Seeds | None, cell: Mapping[Path, Any]) -> Seeds | None:
    """The warm-start points whose grid values are ``cell``'s."""
    if seeds is None:
        return None
    return seeds.where([all(p.get(path) == value for path, value in cell.items())
                        for p in seeds.points])


class GridCrossed(Searcher):
    """``per_cell`` trials for each cell, each suggested by that cell's own searcher."""

    def __init__(self, searchers: Sequence[Searcher], per_cell: int, metric: str | None,
                 mode: str | None) -> None:
        super().__init__(metric=metric, mode=mode)
        self.searchers = list(searchers)
        self.per_cell = per_cell
        self.started = [0] * len(self.searchers)
        self.cell_of: dict[str, int] = {}
        self.next_cell = 0

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict,
                              **spec: Any) -> bool:
        for searcher in self.searchers:
            searcher.set_search_properties(metric, mode, config, **spec)
        return True

    def suggest(self, trial_id: str) -> dict | None:
        n = len(self.searchers)
        open_cells = [c for c in ((self.next_cell + k) % n for k in range(n))
                      if self.started[c] < self.per_cell]
        if not open_cells:
            return Searcher.FINISHED  # type: ignore[return-value]
        cell = open_cells[0]
        config = self.searchers[cell].suggest(trial_id)
        if config is None or config == Searcher.FINISHED:
            return config
        self.started[cell] += 1
        self.cell_of[trial_id] = cell
        self.next_cell = (cell + 1) % n
        return config

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if trial_id in self.cell_of:
            self.searchers[self.cell_of[trial_id]].on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None,
                          error: bool = False) -> None:
        if trial_id in self.cell_of:
            self.searchers[self.cell_of[trial_id]].on_trial_complete(trial_id, result, error)

    def save(self, checkpoint_path: str) -> None:
        inner = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, searcher in enumerate(self.searchers):
                path = os.path.join(tmp, f"{i}.pkl")
                searcher.save(path)
                with open(path, "rb") as f:
                    inner.append(f.read())
        state = {"started": self.started, "cell_of": self.cell_of, "next_cell": self.next_cell,
                 "inner": inner}
        with open(checkpoint_path, "wb") as f:
            pickle.dump(state, f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            state = pickle.load(f)
        self.started, self.cell_of = state["started"], state["cell_of"]
        self.next_cell = state["next_cell"]
        with tempfile.TemporaryDirectory() as tmp:
            for i, (searcher, blob) in enumerate(zip(self.searchers, state["inner"], strict=True)):
                path = os.path.join(tmp, f"{i}.pkl")
                with open(path, "wb") as f:
                    f.write(blob)
                searcher.restore(path)
