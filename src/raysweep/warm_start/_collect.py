"""Reading the earlier trials that seed a searcher, through :mod:`raysweep.results` (imported lazily so
that defining or planning a sweep never imports pyarrow until a warm start is actually read)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
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
    """Earlier trials that seed a searcher: their dimension values and scores (a float each, or
    with several objectives a tuple of every objective's value), and with constraints each one's
    constraint values (<= 0: holds; Optuna's form)."""

    points: tuple[dict[tuple[str, ...], Any], ...]
    values: tuple[float | tuple[float, ...], ...]
    runs: tuple[str, ...]
    n_candidates: int
    constraints: tuple[tuple[float, ...], ...] = ()

    def where(self, keep: Sequence[bool]) -> Seeds:
        """The seeds whose entry of ``keep`` is true (same runs and candidates)."""
        pick = [i for i, k in enumerate(keep) if k]
        return Seeds(tuple(self.points[i] for i in pick), tuple(self.values[i] for i in pick), self.runs,
                     self.n_candidates,
                     tuple(self.constraints[i] for i in pick) if self.constraints else ())

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def n_outside(self) -> int:
        """Finished trials of the source runs left out (outside the space or without a value)."""
        return self.n_candidates - self.n


def collect(warm: WarmStart, space: Mapping[str, Any], metric: str, mode: str,
            root: str | None = None, *, objectives: Sequence[Any] = (),
            constraints: Callable[[dict[str, Any], dict[str, Any]], list[float]] | None = None) -> Seeds:
    """The earlier trials of ``warm`` that lie inside ``space``, with the same ``metric`` and ``mode``.

    With several ``objectives`` (``raysweep.results.Objective``), only runs with the same objectives
    seed, each trial with every objective's last value (a trial without one is left out). With
    ``constraints`` (a trial's last metrics and config -> its constraint values), each seed carries
    its values.

    Raises ConfigError when a source names no sweep or run in the store.
    """
    from raysweep.results import list_runs, load_trials, resolve_root, run_objectives

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
        for _, row in selected.iterrows():
            same = (run_objectives(row) == tuple(objectives) if len(objectives) > 1
                    else row["metric"] == metric and row["mode"] == mode)
            if same and (row["sweep"], row["run"]) not in chosen:
                chosen.append((row["sweep"], row["run"]))
    points: list[dict[tuple[str, ...], Any]] = []
    values: list[float | tuple[float, ...]] = []
    limits: list[tuple[float, ...]] = []
    used: list[str] = []
    candidates = 0
    if chosen:
        trials = load_trials(root=store, sweeps=sorted({s for s, _ in chosen}),
                             runs=[r for _, r in chosen])
        for row in trials.to_dict("records"):
            if row["status"] not in _USABLE:
                continue
            candidates += 1
            value = _value(row, objectives)
            if value is None:
                continue
            config = json.loads(row["config_json"])
            if not inside(space, config):
                continue
            points.append(flat_point(space, config))
            values.append(value)
            if constraints is not None:
                last = {str(c)[5:]: v for c, v in row.items() if str(c).startswith("last.")}
                limits.append(tuple(constraints(last, config)))
            if row["run"] not in used:
                used.append(row["run"])
    return Seeds(tuple(points), tuple(values), tuple(used), candidates, tuple(limits))


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _value(row: Mapping[str, Any], objectives: Sequence[Any]) -> float | tuple[float, ...] | None:
    """A trial row's last value of the sweep metric, or with several objectives the tuple of every
    objective's last value (``last.<name>``); None when one is missing or not finite."""
    if len(objectives) < 2:
        return _finite(row.get("metric_last"))
    found = [_finite(row.get(f"last.{o.metric}")) for o in objectives]
    return None if any(v is None for v in found) else tuple(v for v in found if v is not None)
