"""The Parquet results store: five hive-partitioned datasets under one root.

``runs/``, ``trials/``, ``iterations/``, ``rungs/`` (ASHA decisions) and ``perturbations/`` (PBT
exploits), each partitioned as
``sweep=<name>/run=<run_id>/``.
Written while a sweep runs by :class:`RunWriter` (fed by the execution layer's Tune callback);
read with :func:`list_runs`, :func:`load_trials`, :func:`load_iterations` and
:func:`load_rungs` and :func:`load_perturbations` without Ray. See
``docs/results.md`` for the schema.
"""

from raysweep.results._fs import ResultsWarning, local_path, resolve_root
from raysweep.results._liveness import HEARTBEAT_TIMEOUT_S, driver_alive
from raysweep.results._objective import MODES, Objective, run_objectives
from raysweep.results._pareto import non_dominated, objective_values, pareto_mask, pareto_set
from raysweep.results._reader import latest_run, list_runs, load_iterations, load_trials
from raysweep.results._records import config_columns, stable_trial_id, strip_ansi
from raysweep.results._perturbations import load_perturbations
from raysweep.results._rows import IterationRow, PerturbationRow, RungRow, RunRow, TrialRow
from raysweep.results._rungs import load_rungs
from raysweep.results._schedule import (
    POPULATION_SCHEDULERS,
    best_schedule,
    effective_curve,
    is_population,
    lineage,
    schedule,
    schedule_of,
    trial_schedule,
)
from raysweep.results._schema import (
    RESERVED_COLUMNS,
    RUN_STATUSES,
    RUNG_DECISIONS,
    SCHEMA_VERSION,
    TRIAL_STATUSES,
    RungDecision,
    RunStatus,
    TrialStatus,
    to_json,
)
from raysweep.results._views import (
    best_checkpoint,
    best_config,
    best_pareto,
    best_trial,
    error_groups,
    group_message,
    resolve_run,
    runs_overview,
    top_trials,
    top_trials_pareto,
)
from raysweep.results._where import Condition, filter_trials, frame_of, parse_condition, where_columns
from raysweep.results._writer import RunWriter

__all__ = [
    "HEARTBEAT_TIMEOUT_S",
    "MODES",
    "POPULATION_SCHEDULERS",
    "RESERVED_COLUMNS",
    "RUNG_DECISIONS",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "TRIAL_STATUSES",
    "Condition",
    "IterationRow",
    "Objective",
    "PerturbationRow",
    "ResultsWarning",
    "RunRow",
    "RunStatus",
    "RunWriter",
    "RungDecision",
    "RungRow",
    "TrialRow",
    "TrialStatus",
    "best_checkpoint",
    "best_config",
    "best_pareto",
    "best_schedule",
    "best_trial",
    "config_columns",
    "driver_alive",
    "effective_curve",
    "error_groups",
    "filter_trials",
    "frame_of",
    "group_message",
    "is_population",
    "latest_run",
    "lineage",
    "list_runs",
    "load_iterations",
    "load_perturbations",
    "load_rungs",
    "load_trials",
    "local_path",
    "non_dominated",
    "objective_values",
    "pareto_mask",
    "pareto_set",
    "parse_condition",
    "resolve_root",
    "resolve_run",
    "run_objectives",
    "runs_overview",
    "schedule",
    "schedule_of",
    "stable_trial_id",
    "strip_ansi",
    "to_json",
    "top_trials",
    "top_trials_pareto",
    "trial_schedule",
    "where_columns",
]
