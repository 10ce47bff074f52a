"""Reading the earlier trials that seed a searcher, through :mod:`raysweep.results` (imported lazily so
that defining or planning a sweep never imports pyarrow until a warm start is actually read)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.warm_start._inside import flat_point, inside
from raysweep.warm_start._spec import WarmStart

__all__ = ["Seeds", "collect"]

#: Trial statuses whose last metric value a searcher learns from.
_USABLE = ("completed", "early_stopped")


@dataclass(frozen=True)
class Seeds:
    """Earlier trials that seed a searcher: their dimension values and scores."""

    points: tuple[dict[tuple[str, ...], Any], ...]
    values: tuple[float, ...]
    runs: tuple[str, ...]
    n_candidates: int

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def n_outside(self) -> int:
        """Finished trials of the source runs left out (outside the space or without a value)."""
        return self.n_candidates - self.n


def collect(warm: WarmStart, space: Mapping[str, Any], metric: str, mode: str,
            root: str | None = None) -> Seeds:
    """The earlier trials of ``warm`` that lie inside ``space``, with the same ``metric`` and ``mode``.

    Raises ConfigError when a source names no sweep or run in the store.
    """
    from raysweep.results import list_runs, load_trials, resolve_root

    store = resolve_root(warm.results_root or root)
    runs = list_runs(root=store)
    chosen: list[tuple[str, str]] = []
    for source in warm.sources:
        by_run = runs[runs["run"] == source]
        selected = by_run if not by_run.empty else runs[runs["sweep"] == source]
        if selected.empty:
            raise ConfigError(invalid_parameter(
                "warm_start", "Sweep", "sweep names or run ids recorded in the results store", source,
                f"No sweep or run {source!r} under {store!r}; list them with `raysweep runs`.",
            ))
        for row in selected.itertuples():
            if row.metric == metric and row.mode == mode and (row.sweep, row.run) not in chosen:
                chosen.append((row.sweep, row.run))
    points: list[dict[tuple[str, ...], Any]] = []
    values: list[float] = []
    used: list[str] = []
    candidates = 0
    if chosen:
        trials = load_trials(root=store, sweeps=sorted({s for s, _ in chosen}),
                             runs=[r for _, r in chosen])
        for row in trials.itertuples():
            if row.status not in _USABLE:
                continue
            candidates += 1
            value = row.metric_last
            if value is None or not math.isfinite(value):
                continue
            config = json.loads(row.config_json)
            if not inside(space, config):
                continue
            points.append(flat_point(space, config))
            values.append(float(value))
            if row.run not in used:
                used.append(row.run)
    return Seeds(tuple(points), tuple(values), tuple(used), candidates)
