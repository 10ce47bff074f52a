"""A PBT member's result is a schedule: the configs its weights were trained under, by iteration.

When trial A copies the checkpoint of trial B at B's iteration ``s`` (a ``perturbations`` row:
``source_training_iteration = s``), A's weights up to ``s`` are B's. So A's *effective* history
is B's history up to ``s`` as it was when A copied it (recursively, through B's own earlier
exploits), followed by A's new config from iteration ``s + 1`` on. Iterations are Ray's
``training_iteration`` (the store's key): after an exploit it continues from the copied
checkpoint's. ``from_iteration`` is the first iteration trained under a config.

Computed here from the ``trials`` (initial configs) and ``perturbations`` datasets alone;
``raysweep best`` prints it and ``raysweep replay`` retrains it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from raysweep._errors import StorageError
from raysweep.results._perturbations import load_perturbations
from raysweep.results._reader import load_iterations, load_trials, unknown_target
from raysweep.results._views import _require_objective, best_config, best_trial, resolve_run

__all__ = ["POPULATION_SCHEDULERS", "best_schedule", "effective_curve", "is_population",
           "lineage", "schedule", "schedule_of", "trial_schedule"]

#: The run row's ``scheduler`` of runs whose trials change config while they train.
POPULATION_SCHEDULERS = frozenset({"pbt", "pb2"})


def is_population(run: Mapping[str, Any]) -> bool:
    """Whether the run was scheduled by PBT or PB2 (its members' configs are schedules)."""
    return str(run.get("scheduler")) in POPULATION_SCHEDULERS


def trial_schedule(trials: pd.DataFrame, perturbations: pd.DataFrame,
                   trial_id: str) -> list[dict[str, Any]]:
    """The effective schedule of ``trial_id`` within one run (module docstring).

    ``trials`` and ``perturbations`` are that run's rows. Each entry: ``from_iteration`` (the first
    iteration trained under ``config``), ``config``, ``trial_id`` (the member that trained those
    iterations). An exploit whose new config never trained (the trial ended at the copied
    iteration) adds no entry.
    """
    initial = dict(zip(trials["trial_id"].astype(str), trials["config_json"], strict=True))
    if trial_id not in initial:
        raise StorageError(f"Trial {trial_id!r} is not a trial of this run.")
    last = trials.loc[trials["trial_id"].astype(str) == trial_id, "iterations"].iloc[0] \
        if "iterations" in trials else None
    upto = None if last is None or pd.isna(last) else int(last)
    by_trial = {str(t): rows.sort_values("timestamp", kind="stable")
                for t, rows in perturbations.groupby("trial_id", sort=False)} \
        if len(perturbations) else {}
    return _history(trial_id, upto, None, initial, by_trial)


def _history(trial: str, upto: int | None, before: Any, initial: dict[str, Any],
             by_trial: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """``trial``'s segments as of time ``before`` (None: the end), up to iteration ``upto``."""
    if trial not in initial:
        raise StorageError(f"A perturbations row names trial {trial!r}, which has no trial row.")
    rows = by_trial.get(trial)
    if rows is not None and before is not None:
        rows = rows[rows["timestamp"] < before]
    if rows is None or rows.empty:
        return [{"from_iteration": 1, "config": json.loads(initial[trial]), "trial_id": trial}]
    exploit = rows.iloc[-1]  # the latest exploit before ``before``: what the weights descend from
    copied = int(exploit["source_training_iteration"])
    head = _history(str(exploit["source_trial_id"]), copied, exploit["timestamp"], initial, by_trial)
    head = [s for s in head if s["from_iteration"] <= copied]
    if upto is None or copied + 1 <= upto:
        head.append({"from_iteration": copied + 1, "config": json.loads(exploit["config_json"]),
                     "trial_id": trial})
    return head


def schedule(root: str | None, run: str, trial: str | None = None) -> dict[str, Any]:
    """The schedule of ``trial`` (default: the run's best member) of ``run`` (a run id, or a sweep
    name for its latest run): ``{"schedule", "value", "trial_id", "run", "sweep", "metric",
    "mode", "iterations"}``. ``value`` is the trial's best value of the sweep metric
    (``metric_best``), ``iterations`` its last ``training_iteration``.

    A run that is not PBT/PB2 gives a one-entry schedule (its trials kept their config).
    """
    row = resolve_run(root, run, owner="schedule")
    sweep, run_id = str(row["sweep"]), str(row["run"])
    trials = load_trials(root=root, sweeps=sweep, runs=run_id)
    if trial is None:
        best = best_trial(trials, _require_objective(row))
        if best.empty:
            raise StorageError(f"Run {run_id} of sweep {sweep!r} has no trial with a finite value "
                               "of its metric; nothing to pick.")
        trial = str(best["trial_id"].iloc[0])
    elif trials.empty or trial not in set(trials["trial_id"].astype(str)):
        names = [] if trials.empty else list(trials["trial_id"].astype(str))
        raise unknown_target("trial", "schedule", trial, names, f"a trial id of run {run_id}")
    return _record(root, row, trials, trial)


def _record(root: str | None, run: pd.Series, trials: pd.DataFrame, trial: str) -> dict[str, Any]:
    sweep, run_id = str(run["sweep"]), str(run["run"])
    perturbations = load_perturbations(root, sweeps=sweep, runs=run_id) if is_population(run) \
        else pd.DataFrame()
    mine = trials[trials["trial_id"].astype(str) == trial].iloc[0]
    value, last = mine.get("metric_best"), mine.get("iterations")
    return {"schedule": trial_schedule(trials, perturbations, trial),
            "value": None if pd.isna(value) or not math.isfinite(float(value)) else float(value),
            "trial_id": trial, "run": run_id, "sweep": sweep,
            "metric": run.get("metric"), "mode": run.get("mode"),
            "iterations": None if last is None or pd.isna(last) else int(last)}


def best_schedule(
    sweep: str, root: str | None = None, run: str | None = None, *, where: str | None = None,
    metric: str | None = None, mode: str | None = None,
) -> dict[str, Any] | None:
    """The schedule (:func:`schedule`) of :func:`best_config`'s trial (same arguments) when that
    trial's run is PBT/PB2; None when it is not (its config is its whole result)."""
    _config, best = best_config(sweep, root=root, run=run, where=where, metric=metric, mode=mode)
    return schedule_of(root, best)


def schedule_of(root: str | None, trial: pd.Series) -> dict[str, Any] | None:
    """The schedule of a trial row (with ``run`` and ``trial_id``, e.g. :func:`best_config`'s)
    when its run is PBT/PB2, or the schedule a ``raysweep replay`` run retrained (with
    ``replay_of``), else None."""
    row = resolve_run(root, str(trial["run"]), owner="best")
    if _replayed(row) is not None:  # a `raysweep replay` run trained the schedule it replays
        return _replay_record(row, trial)
    if not is_population(row):
        return None
    trials = load_trials(root=root, sweeps=str(row["sweep"]), runs=str(row["run"]))
    return _record(root, row, trials, str(trial["trial_id"]))


def _replayed(run: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    text = run.get("replay_schedule")
    return json.loads(text) if isinstance(text, str) and text else None


def _replay_record(run: pd.Series, trial: pd.Series) -> dict[str, Any]:
    value, last = trial.get("metric_best"), trial.get("iterations")
    return {"schedule": _replayed(run), "replay_of": run.get("replay_of"),
            "value": None if value is None or pd.isna(value) or not math.isfinite(float(value))
            else float(value),
            "trial_id": str(trial["trial_id"]), "run": str(run["run"]), "sweep": str(run["sweep"]),
            "metric": run.get("metric"), "mode": run.get("mode"),
            "iterations": None if last is None or pd.isna(last) else int(last)}


def effective_curve(root: str | None, run: str, trial: str | None = None,
                    metric: str | None = None) -> pd.DataFrame:
    """The stored values of ``metric`` (default: the sweep's) along ``trial``'s schedule: for each
    iteration, the row of the member that trained it (``trial_id``), from the iteration after
    the segment's start up to the next segment's. Columns: ``training_iteration``, ``value``,
    ``trial_id``. What ``raysweep replay`` of that trial should reproduce.

    A source member's rows are its latest values: if it re-ran an iteration after it was copied
    (its own later exploit of a member behind it), that iteration's stored value is the re-run.
    """
    record = schedule(root, run, trial)
    metric = metric or str(record["metric"])
    its = load_iterations(root, sweeps=record["sweep"], runs=record["run"])
    segments = record["schedule"]
    last = its.loc[its["trial_id"] == record["trial_id"], "training_iteration"].max()
    parts = []
    for i, seg in enumerate(segments):
        end = segments[i + 1]["from_iteration"] - 1 if i + 1 < len(segments) else last
        mine = its[(its["trial_id"] == seg["trial_id"])
                   & its["training_iteration"].between(seg["from_iteration"], end)]
        parts.append(mine[["training_iteration", metric, "trial_id"]].rename(
            columns={metric: "value"}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["training_iteration", "value", "trial_id"])
    frame["training_iteration"] = frame["training_iteration"].astype("int64")
    return frame.sort_values("training_iteration", kind="stable").reset_index(drop=True)


def lineage(root: str | None, target: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The perturbations of a run (or a sweep's latest run), in time order, ready to render, and
    the run row. Columns: ``time_value``, ``trial_id``, ``source_trial_id``,
    ``source_training_iteration``, ``value``, ``source_value``, ``changes`` (``key: before ->
    after (operation)`` for every key Ray resampled or perturbed, joined by ``; ``)."""
    row = resolve_run(root, target, owner="show --lineage")
    frame = load_perturbations(root, sweeps=str(row["sweep"]), runs=str(row["run"]))
    columns = ["time_value", "trial_id", "source_trial_id", "source_training_iteration",
               "value", "source_value"]
    out = frame.reindex(columns=columns).copy()
    out["changes"] = [_changes(r) for r in frame.itertuples()] if len(frame) else []
    return out.reset_index(drop=True), row.to_dict()


def _changes(row: Any) -> str:
    """``lr: 0.01 -> 0.012 (* 1.2)`` for each changed key of one exploit (dotted keys)."""
    before, after = json.loads(row.source_config_json), json.loads(row.config_json)
    operations = json.loads(row.operations_json) if isinstance(row.operations_json, str) else {}
    keys = json.loads(row.resampled) + json.loads(row.perturbed)
    parts = [f"{key}: {_short(_at(before, key))} -> {_short(_at(after, key))} "
             f"({operations.get(key, '?')})" for key in sorted(keys)]
    return "; ".join(parts)


def _at(config: Mapping[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value)
