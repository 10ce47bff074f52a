"""Ray's HyperOpt and Optuna searchers from the inside: the trial stores raysweep seeds and reads
(warm starts, Optuna's parameters as sampled, and early-stopped trials told as pruned)."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import missing, requirement

__all__ = ["hyperopt_preset_points", "hyperopt_trials", "optuna_constraints_key", "optuna_study",
           "optuna_trials"]

_HPOPT_TRIALS = requirement(
    "ray.tune.search.hyperopt:HyperOptSearch", "_hpopt_trials", "attribute",
    why="insert warm-start seeds into HyperOpt's Trials (TPE models them)")
_HPOPT_POINTS = requirement(
    "ray.tune.search.hyperopt:HyperOptSearch", "_points_to_evaluate", "attribute",
    why="queue points_to_evaluate in hyperopt's own encoding (Ray converts only top-level categories)")
_OT_TRIALS = requirement(
    "ray.tune.search.optuna:OptunaSearch", "_ot_trials", "attribute",
    why="read the parameters Optuna sampled for a trial and report its last value when pruned")

_OT_STUDY = requirement(
    "ray.tune.search.optuna:OptunaSearch", "_ot_study", "attribute",
    why="add warm-start trials with every objective's value and their constraints to Optuna's study")
_OT_CONSTRAINTS = requirement(
    "optuna.study._constrained_optimization", "_CONSTRAINTS_KEY", "attribute",
    why="give warm-start trials their constraint values (the system attribute Optuna's samplers read)")


def hyperopt_trials(searcher: Any) -> Any:
    """The ``hyperopt.Trials`` of Ray's ``HyperOptSearch`` (``_hpopt_trials``; built at construction
    when a space is given). Raises :class:`~raysweep.ExecutionError` when there is none."""
    trials = getattr(searcher, _HPOPT_TRIALS.name, None)
    if trials is None:
        raise missing(_HPOPT_TRIALS)
    return trials


def hyperopt_preset_points(searcher: Any, points: list[dict[str, Any]]) -> None:
    """Make ``points`` (hyperopt labels to values, categories as indices) the first trials Ray's
    ``HyperOptSearch`` suggests, in order, as its own ``points_to_evaluate`` would.

    Needs from Ray (2.50 to 2.60): ``_setup_hyperopt`` keeps the points as new trials of its
    ``_hpopt_trials`` (from ``hyperopt.fmin.generate_trials_to_calculate``, last point first) and
    their count in ``_points_to_evaluate``, which ``suggest`` serves from the end down. Ray's own
    conversion of the points finds the category of a top-level key only; raysweep encodes them
    itself. Call before any other trial is inserted (warm-start seeds come after).
    """
    from hyperopt.fmin import generate_trials_to_calculate

    if not isinstance(getattr(searcher, _HPOPT_POINTS.name, None), int):
        raise missing(_HPOPT_POINTS)
    hyperopt_trials(searcher)  # raises when the Trials it replaces are missing
    trials = generate_trials_to_calculate(list(reversed(points)))
    trials.refresh()
    setattr(searcher, _HPOPT_TRIALS.name, trials)
    setattr(searcher, _HPOPT_POINTS.name, len(points))


def optuna_trials(searcher: Any) -> dict[str, Any]:
    """Ray's ``OptunaSearch`` map of Ray trial id -> live ``optuna.trial.Trial`` (``_ot_trials``: a
    suggested trial is in it until its end is told). Raises :class:`~raysweep.ExecutionError` when
    there is none."""
    trials = getattr(searcher, _OT_TRIALS.name, None)
    if not isinstance(trials, dict):
        raise missing(_OT_TRIALS)
    return trials


def optuna_study(searcher: Any) -> Any:
    """The ``optuna.Study`` of Ray's ``OptunaSearch`` (``_ot_study``; made at construction when a
    space is given). Raises :class:`~raysweep.ExecutionError` when there is none."""
    study = getattr(searcher, _OT_STUDY.name, None)
    if study is None:
        raise missing(_OT_STUDY)
    return study


def optuna_constraints_key() -> str:
    """The system attribute under which Optuna keeps a finished trial's constraint values (a list;
    ``"constraints"`` in Optuna 4 and 5, which both read it): what ``constraints_func`` sets after a
    live trial, set here for a trial created finished (``optuna.trial.create_trial`` runs no
    sampler hook)."""
    from optuna.study import _constrained_optimization

    key = getattr(_constrained_optimization, _OT_CONSTRAINTS.name, None)
    if not isinstance(key, str):
        raise missing(_OT_CONSTRAINTS)
    return key
