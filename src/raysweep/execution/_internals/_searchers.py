"""Ray's HyperOpt and Optuna searchers from the inside: the trial stores raysweep seeds and reads
(warm starts, Optuna's parameters as sampled, and early-stopped trials told as pruned)."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import missing, requirement

__all__ = ["hyperopt_trials", "optuna_trials"]

_HPOPT_TRIALS = requirement(
    "ray.tune.search.hyperopt:HyperOptSearch", "_hpopt_trials", "attribute",
    why="insert warm-start seeds into HyperOpt's Trials (TPE models them)")
_OT_TRIALS = requirement(
    "ray.tune.search.optuna:OptunaSearch", "_ot_trials", "attribute",
    why="read the parameters Optuna sampled for a trial and report its last value when pruned")


def hyperopt_trials(searcher: Any) -> Any:
    """The ``hyperopt.Trials`` of Ray's ``HyperOptSearch`` (``_hpopt_trials``; built at construction
    when a space is given). Raises :class:`~raysweep.ExecutionError` when there is none."""
    trials = getattr(searcher, _HPOPT_TRIALS.name, None)
    if trials is None:
        raise missing(_HPOPT_TRIALS)
    return trials


def optuna_trials(searcher: Any) -> dict[str, Any]:
    """Ray's ``OptunaSearch`` map of Ray trial id -> live ``optuna.trial.Trial`` (``_ot_trials``: a
    suggested trial is in it until its end is told). Raises :class:`~raysweep.ExecutionError` when
    there is none."""
    trials = getattr(searcher, _OT_TRIALS.name, None)
    if not isinstance(trials, dict):
        raise missing(_OT_TRIALS)
    return trials
