"""The Parquet results store: three hive-partitioned datasets under one root.

``runs/``, ``trials/`` and ``iterations/``, each partitioned as ``sweep=<name>/run=<run_id>/``.
Written while a sweep runs by :class:`RunWriter` (fed by the execution layer's Tune callback);
read with :func:`list_runs`, :func:`load_trials` and :func:`load_iterations` without Ray. See
``docs/results.md`` for the schema.
"""

from raysweep.results._fs import ResultsWarning, resolve_root
from raysweep.results._liveness import HEARTBEAT_TIMEOUT_S, driver_alive
from raysweep.results._objective import MODES, Objective
from raysweep.results._reader import latest_run, list_runs, load_iterations, load_trials
from raysweep.results._records import config_columns, stable_trial_id, strip_ansi
from raysweep.results._rows import IterationRow, RunRow, TrialRow
from raysweep.results._schema import (
    RESERVED_COLUMNS,
    RUN_STATUSES,
    SCHEMA_VERSION,
    TRIAL_STATUSES,
    RunStatus,
    TrialStatus,
    to_json,
)
from raysweep.results._views import (
    best_config,
    best_trial,
    error_groups,
    resolve_run,
    runs_overview,
    top_trials,
)
from raysweep.results._writer import RunWriter

__all__ = [
    "HEARTBEAT_TIMEOUT_S",
    "MODES",
    "RESERVED_COLUMNS",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "TRIAL_STATUSES",
    "IterationRow",
    "Objective",
    "ResultsWarning",
    "RunRow",
    "RunStatus",
    "RunWriter",
    "TrialRow",
    "TrialStatus",
    "best_config",
    "best_trial",
    "config_columns",
    "driver_alive",
    "error_groups",
    "latest_run",
    "list_runs",
    "load_iterations",
    "load_trials",
    "resolve_root",
    "resolve_run",
    "runs_overview",
    "stable_trial_id",
    "strip_ansi",
    "to_json",
    "top_trials",
]
