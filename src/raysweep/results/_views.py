"""Ready-to-render views for the CLI: run overview, top trials, best config, error groups.

Every ranking goes through :class:`Objective`. A run row without a valid ``metric``/``mode`` has no
objective: ``runs_overview`` shows no best for it, and ``top_trials``/``best_config`` raise a
``StorageError`` that says so (never a silent ``"max"``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from raysweep._errors import ConfigError, StorageError, invalid_parameter
from raysweep.results._objective import Objective, run_objectives
from raysweep.results._pareto import pareto_mask, pareto_set
from raysweep.results._fs import resolve_root
from raysweep.results._reader import list_runs, load_trials, unknown_target
from raysweep.results._schema import RunStatus, TrialStatus
from raysweep.results._select import rank_by, ranking
from raysweep.results._where import filter_trials

_COUNTS = tuple(s.value for s in TrialStatus)
#: The only trial columns the overview and ``best`` read (a million-row store stays fast).
_OVERVIEW_COLUMNS = ["status", "metric_best", "trial_index"]
_BEST_COLUMNS = ["metric_best", "trial_index", "config_json", "status", "checkpoint_path"]
#: Statuses of a run that has ended (``crashed`` included): nothing more will be reported.
ENDED = frozenset({RunStatus.FINISHED, RunStatus.FAILED, RunStatus.INTERRUPTED, RunStatus.CRASHED})


def run_objective(run: Mapping[str, Any]) -> Objective | None:
    """The objective stored in a run row, or None when its ``metric``/``mode`` are missing/invalid."""
    metric, mode = run.get("metric"), run.get("mode")
    if not isinstance(metric, str) or not isinstance(mode, str):
        return None
    try:
        return Objective(metric, mode)  # type: ignore[arg-type]
    except ConfigError:
        return None


def _require_objective(run: Mapping[str, Any]) -> Objective:
    objective = run_objective(run)
    if objective is None:
        raise StorageError(
            f"Run {run.get('run')!r} of sweep {run.get('sweep')!r} has no valid objective in its "
            f"run row (metric={run.get('metric')!r}, mode={run.get('mode')!r}); its trials cannot "
            "be ranked. The run row was written by a broken or foreign writer."
        )
    return objective


def best_trial(trials: pd.DataFrame, objective: Objective, k: int = 1) -> pd.DataFrame:
    """The ``k`` trials with the best ``metric_best`` under ``objective`` (ties by trial index).

    Trials whose ``metric_best`` is missing, NaN or infinite are never ranked.
    """
    if not isinstance(objective, Objective):
        raise StorageError(
            invalid_parameter("objective", "best_trial", "a raysweep.results.Objective", objective)
        )
    if trials.empty or "metric_best" not in trials:
        return trials.head(0)
    values = pd.to_numeric(trials["metric_best"], errors="coerce").astype(float)
    ranked = trials[values.map(math.isfinite)]
    order = ["metric_best", *[c for c in ("trial_index", "trial_id") if c in ranked]]
    ascending = [objective.ascending, *[True] * (len(order) - 1)]
    return ranked.sort_values(order, ascending=ascending, kind="stable").head(k)


def runs_overview(root: str | None = None, sweeps: str | Iterable[str] | None = None) -> pd.DataFrame:
    """One row per run, newest first: status, start, trial counts by status and best value.

    Counts and best come from the trials dataset, so a running or crashed run shows what reached
    storage so far. A run without a valid objective has a NaN ``best_value``.
    """
    runs = list_runs(root=root, sweeps=sweeps)
    columns = ["sweep", "run", "status", "started_at", "metric", "mode"]
    out = runs.reindex(columns=columns).copy()
    trials = (load_trials(root=root, sweeps=sweeps, columns=_OVERVIEW_COLUMNS)
              if not runs.empty else pd.DataFrame())
    for status in _COUNTS:
        out[f"n_{status}"] = 0
    out["best_value"] = float("nan")
    groups = dict(iter(trials.groupby(["sweep", "run"], sort=False))) if len(trials) else {}
    for i, row in out.iterrows():
        mine = groups.get((row["sweep"], row["run"]))
        if mine is None or mine.empty:
            continue
        counts = mine["status"].value_counts()
        for status in _COUNTS:
            out.at[i, f"n_{status}"] = int(counts.get(status, 0))
        objective = run_objective(row)
        best = best_trial(mine, objective) if objective is not None else mine.head(0)
        if not best.empty:
            out.at[i, "best_value"] = float(best["metric_best"].iloc[0])
    return out


def resolve_run(root: str | None, target: str, owner: str = "show") -> pd.Series:
    """The run row of ``target``: a sweep name (its latest run) or a run id.

    Raises ``SweepNotFoundError`` (bad input) with a did-you-mean suggestion when neither exists.
    """
    runs = list_runs(root=root)
    if runs.empty or target not in set(runs["sweep"]) | set(runs["run"]):
        names = [] if runs.empty else [*runs["sweep"], *runs["run"]]
        raise unknown_target("target", owner, target, names)
    matches = runs[runs["sweep"] == target]
    return matches.iloc[0] if not matches.empty else runs[runs["run"] == target].iloc[0]


def top_trials(root: str | None, target: str, k: int = 10) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ``k`` best trials of a run (or of a sweep's latest run) and that run's row as a dict."""
    run = resolve_run(root, target)
    trials = load_trials(root=root, sweeps=run["sweep"], runs=run["run"])
    return best_trial(trials, _require_objective(run), k=k), run.to_dict()


def top_trials_pareto(root: str | None, target: str, k: int = 10
                      ) -> tuple[pd.DataFrame, dict[str, Any], tuple[Objective, ...]]:
    """For ``show``: the ``k`` first trials of a run (or of a sweep's latest run) with a boolean
    ``pareto`` column, the run row and its objectives. A multi-objective run lists its Pareto set
    first (by the first objective), then the other trials by the first objective; a one-objective
    run lists its best trials (:func:`top_trials`), ``pareto`` marking the best one."""
    run = resolve_run(root, target)
    objectives = run_objectives(run)
    trials = load_trials(root=root, sweeps=run["sweep"], runs=run["run"])
    if len(objectives) < 2:
        ranked = best_trial(trials, _require_objective(run), k=k)
        return ranked.assign(pareto=[i == 0 for i in range(len(ranked))]), run.to_dict(), objectives
    trials = trials.assign(pareto=pareto_mask(trials, objectives)) if len(trials) else \
        trials.assign(pareto=pd.Series(dtype=bool))
    first = Objective(objectives[0].metric, objectives[0].mode)
    column = f"last.{first.metric}" if f"last.{first.metric}" in trials else "metric_last"
    ranked = trials.assign(__value=pd.to_numeric(trials.get(column), errors="coerce"))
    ranked = ranked[ranked["__value"].map(lambda v: isinstance(v, float) and math.isfinite(v))]
    order = ["pareto", "__value", *[c for c in ("trial_index", "trial_id") if c in ranked]]
    ascending = [False, first.ascending, *[True] * (len(order) - 2)]
    ranked = ranked.sort_values(order, ascending=ascending, kind="stable").head(k)
    return ranked.drop(columns="__value"), run.to_dict(), objectives


def _sweep_runs(sweep: str, root: str | None, run: str | None) -> pd.DataFrame:
    """The run rows of ``sweep`` (or its one run ``run``), or the did-you-mean error."""
    everything = list_runs(root=root)
    runs = everything[everything["sweep"] == sweep] if not everything.empty else everything
    if runs.empty:
        names = [] if everything.empty else everything["sweep"]
        raise unknown_target("sweep", "best", sweep, names, "a sweep with a recorded run")
    if run is not None:
        if run not in set(runs["run"]):
            raise unknown_target("run", "best", run, runs["run"], f"a run id of sweep {sweep!r}")
        runs = runs[runs["run"] == run]
    return runs


def best_pareto(sweep: str, root: str | None = None, run: str | None = None, *,
                where: str | None = None) -> list[dict[str, Any]] | None:
    """The Pareto set of a multi-objective sweep over all its runs (or one run), as
    ``[{"trial_id", "config", "values"}, ...]`` (:func:`pareto_set`; only feasible trials where the
    runs had constraints); None when the sweep has one objective (``best_config`` answers then).

    ``where`` keeps only the trials satisfying a condition first. The runs must agree on the
    objectives.
    """
    runs = _sweep_runs(sweep, root, run)
    found = {run_objectives(row) for _, row in runs.iterrows()}
    if all(len(o) < 2 for o in found):
        return None
    if len(found) > 1:
        shown = "; ".join(sorted(", ".join(f"{o.mode} {o.metric}" for o in objs) for objs in found))
        raise StorageError(f"The runs of sweep {sweep!r} optimise different objectives ({shown}); "
                           "pick one run with --run RUN_ID.")
    objectives = found.pop()
    trials = load_trials(root=root, sweeps=sweep, runs=list(runs["run"]))
    if where is not None:
        trials = filter_trials(trials, where, owner="best")
    members = pareto_set(trials, objectives)
    if not members:
        live = RunStatus.RUNNING in set(runs["status"])
        constrained = "feasible" in trials and bool(trials["feasible"].notna().any())
        raise StorageError(
            f"Sweep {sweep!r} has no {'feasible ' if constrained else ''}trial with a finite value of every objective ({', '.join(o.metric for o in objectives)})"
            + (" yet" if live else "")
            + (f" among the trials where {where}" if where is not None else "") + "; nothing to pick.")
    return members


def best_config(
    sweep: str, root: str | None = None, run: str | None = None, *, where: str | None = None,
    metric: str | None = None, mode: str | None = None,
) -> tuple[dict[str, Any], pd.Series]:
    """The config of ``sweep``'s best trial over all its runs (or one run), and that trial.

    Runs of the sweep must agree on the objective (metric and mode); if they do not, pick one run.
    ``where`` keeps only the trials satisfying a condition over stored columns (see
    :func:`filter_trials`); ``metric``/``mode`` rank by another metric (its final value
    ``last.<metric>``) or stored column instead of the sweep's objective.
    """
    runs = _sweep_runs(sweep, root, run)
    objectives = {_require_objective(row) for _, row in runs.iterrows()}
    if len(objectives) > 1 and metric is None:
        raise StorageError(
            f"The runs of sweep {sweep!r} optimise different objectives "
            f"({', '.join(sorted(f'{o.mode} {o.metric}' for o in objectives))}); "
            "pick one run with --run RUN_ID."
        )
    plain = where is None and metric is None and mode is None  # the sweep's own objective
    trials = load_trials(root=root, sweeps=sweep, runs=list(runs["run"]),
                         columns=_BEST_COLUMNS if plain else None)
    if plain:
        best = best_trial(trials, objectives.pop())
    else:  # selection under constraints, ranking by any stored column (_where.py, _select.py)
        if where is not None:
            trials = filter_trials(trials, where, owner="best")
        sweep_objective = objectives.pop() if len(objectives) == 1 else None
        column, objective = ranking(trials, sweep_objective, metric, mode)
        best = rank_by(trials, column, objective)
    if best.empty:
        live = RunStatus.RUNNING in set(runs["status"])
        raise StorageError(
            f"Sweep {sweep!r} has no trial with a finite value of its metric"
            + (" yet" if live else "")
            + (f" among the trials where {where}" if where is not None else "")
            + "; nothing to pick."
        )
    row = best.iloc[0]
    return json.loads(row["config_json"]), row


#: What makes one trial's copy of an error differ from another's: Ray's trial names
#: (``train_3f2a1_00004``), actor/task/node ids (long hex), process ids and addresses.
_VARYING = (
    (re.compile(r"\b\w+_[0-9a-f]{5}_\d{5}\b"), "<trial>"),
    (re.compile(r"\b(?=[0-9]*[a-f])[0-9a-f]{16,}\b"), "<id>"),  # a number is no id
    (re.compile(r"\bpid=\d+"), "pid=<pid>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
)


def group_message(message: str | None, *trial_ids: Any) -> str | None:
    """``message`` with what names one trial or process replaced by a placeholder: the trial's own
    ids (``trial_ids``), Ray's trial names, actor ids, pids and IP addresses. Trials that failed the
    same way then share one group (``error_groups``)."""
    if message is None:
        return None
    for trial_id in trial_ids:
        if isinstance(trial_id, str) and len(trial_id) >= 6:
            message = message.replace(trial_id, "<trial>")
    for pattern, placeholder in _VARYING:
        message = pattern.sub(placeholder, message)
    return message


def checkpoint_location(root: str | None, stored: Any) -> str | None:
    """The path or URI of a stored ``checkpoint_path``: a relative one (what the execution layer
    writes for a checkpoint under the results root) joined to ``root``; None for a null value."""
    if stored is None or (isinstance(stored, float) and math.isnan(stored)) or stored is pd.NA:
        return None
    text = str(stored)
    if not text or text.startswith("/") or "://" in text:
        return text or None
    return f"{resolve_root(root).rstrip('/')}/{text}"


def best_checkpoint(
    sweep: str, root: str | None = None, run: str | None = None, *, where: str | None = None,
    metric: str | None = None, mode: str | None = None,
) -> tuple[str, pd.Series]:
    """The path (local root) or URI (``s3://...`` root) of the best checkpoint of ``sweep``'s best
    trial, and that trial; the trial is :func:`best_config`'s (same arguments).

    The checkpoint is the trial's best by the sweep's checkpoint score (``checkpoints.keep(score=)``,
    else the sweep metric) among those Ray keeps on storage, recorded by the execution layer in the
    trial's ``checkpoint_path`` column. Raises ``StorageError`` when that trial has none.
    """
    _config, row = best_config(sweep, root=root, run=run, where=where, metric=metric, mode=mode)
    location = checkpoint_location(root, row.get("checkpoint_path"))
    if location is None:
        raise StorageError(
            f"The best trial of sweep {sweep!r} ({row.get('trial_id')}, run {row.get('run')}) has "
            "no checkpoint: its trainable reported none, or the run was recorded before raysweep "
            "stored checkpoints. Report one each epoch from the trainable with tune.report(metrics, "
            "checkpoint=tune.Checkpoint.from_directory(directory)) (a tune.Trainable class: "
            "implement save_checkpoint and pass Sweep(checkpoint=checkpoints.keep(frequency=N))); "
            "Sweep(checkpoint=checkpoints.keep(num_to_keep=..., score=...)) chooses which ones are "
            "kept."
        )
    return location, row


def error_groups(trials: pd.DataFrame, *, cancelled: bool = False) -> pd.DataFrame:
    """Errored trials grouped by distinct ``(error_type, error_message)``, most frequent first.

    With ``cancelled=True`` the trials that never ran to their end (``cancelled``) are grouped too,
    under the error type ``cancelled``: what a failed run's errors are, since such a run's cancelled
    trials were given up by Ray Tune, not by a user or a budget.

    Messages are compared without what names one trial (:func:`group_message`): the grouped
    ``error_message`` shows ``<trial>``, ``<id>``, ``<pid>`` where the trials' copies differed; each
    trial's own message stays in its row.

    Columns: ``error_type``, ``error_message``, ``n_trials``, ``trial_ids`` (a list, in trial
    order). The run summary and ``raysweep show RUN --errors`` both use this.
    """
    columns = ["error_type", "error_message", "n_trials", "trial_ids"]
    if trials.empty or "status" not in trials:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    statuses = [TrialStatus.ERRORED, TrialStatus.CANCELLED] if cancelled else [TrialStatus.ERRORED]
    errored = trials[trials["status"].isin(statuses)].copy()
    if cancelled:
        errored["error_type"] = errored["error_type"].astype(object) if "error_type" in errored \
            else None
        errored.loc[errored["status"] == TrialStatus.CANCELLED, "error_type"] = "cancelled"
    for name in ("error_type", "error_message"):
        if name not in errored:
            errored[name] = None
    errored = errored.astype({"error_type": object, "error_message": object})
    groups: dict[tuple[Any, Any], list[str]] = {}
    for _, row in errored.iterrows():
        etype, message = (None if pd.isna(row[c]) else str(row[c])
                          for c in ("error_type", "error_message"))
        message = group_message(message, row.get("trial_id"), row.get("ray_trial_id"))
        groups.setdefault((etype, message), []).append(str(row["trial_id"]))
    rows = [
        {"error_type": t, "error_message": m, "n_trials": len(ids), "trial_ids": ids}
        for (t, m), ids in groups.items()
    ]
    rows.sort(key=lambda r: (-r["n_trials"], str(r["error_type"]), str(r["error_message"])))
    frame = pd.DataFrame(rows, columns=columns)
    frame["n_trials"] = frame["n_trials"].astype("int64")
    return frame
