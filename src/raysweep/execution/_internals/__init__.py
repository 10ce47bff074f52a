"""The ONLY place in raysweep that touches private names of Ray, Ray Tune, HyperOpt or Optuna.

Every access is a named function with a docstring saying what it needs from which library and why,
and every name it needs is declared in :data:`REQUIREMENTS` (``_registry.py``). When what it needs
is missing, it raises :class:`~raysweep.ExecutionError` naming the Ray version found and the versions
raysweep supports, or, where a feature can degrade, warns once (:class:`RayInternalsWarning`) and
returns a neutral value.

``tests/test_private_names.py`` fails if a private name of these libraries appears anywhere else, and
``tests/execution/test_internals_contract.py`` checks, without starting Ray, that every requirement
holds with the shape expected.

Modules by subject: ``_controller`` (Tune's controller: snapshots, trial collections), ``_analysis``
(the ResultGrid's ExperimentAnalysis), ``_trials`` (a trial's run metadata), ``_schedulers`` (ASHA's
brackets and rungs), ``_pbt`` (PBT's and PB2's exploit step), ``_searchers`` (HyperOpt's and
Optuna's trial stores), ``_tuner`` (a restored
Tuner, function trainables), ``_workers`` (forwarded worker output), ``_cluster`` (actor locations,
``--address auto``), ``_parameters`` (``tune.with_parameters`` data), ``_wandb`` (W&B's logging
actors), ``_versions`` (the supported Ray range).
"""

from raysweep.execution._internals._analysis import without_result_frames
from raysweep.execution._internals._cluster import actor_address, actor_id, find_cluster_address
from raysweep.execution._internals._controller import (
    cached_decisions,
    checkpoint_experiment,
    controller_scheduler,
    controller_trials,
    find_controller,
    mark_for_snapshot,
    replace_trial_states,
    trial_holders,
    trial_states,
    wait_for_experiment_sync,
)
from raysweep.execution._internals._parameters import keep_with_parameters_data, with_parameters_data
from raysweep.execution._internals._pbt import ObservedPB2, ObservedPBT
from raysweep.execution._internals._registry import (
    REQUIREMENTS,
    RayInternalsWarning,
    Requirement,
    verify,
)
from raysweep.execution._internals._schedulers import (
    AshaSettings,
    asha_bracket_of,
    asha_brackets,
    asha_settings,
    bracket_cutoff,
    bracket_rungs,
    replace_bracket_cutoff,
)
from raysweep.execution._internals._searchers import (
    hyperopt_preset_points,
    hyperopt_trials,
    optuna_constraints_key,
    optuna_study,
    optuna_trials,
)
from raysweep.execution._internals._trials import (
    kept_checkpoints,
    run_metadata_results,
    set_run_metadata_results,
    trial_failures,
)
from raysweep.execution._internals._tuner import (
    PENDING_ENV,
    allow_limiter_pending_trials,
    name_function_trainable,
    replace_restored_callbacks,
)
from raysweep.execution._internals._versions import (
    SUPPORTED_RAY,
    ray_version,
    require_supported_ray,
    supported_range,
    unsupported_ray,
)
from raysweep.execution._internals._wandb import flushing_wandb_callback
from raysweep.execution._internals._workers import WorkerLogPrinter, replace_worker_log_printer

__all__ = [
    "PENDING_ENV",
    "REQUIREMENTS",
    "SUPPORTED_RAY",
    "AshaSettings",
    "ObservedPB2",
    "ObservedPBT",
    "RayInternalsWarning",
    "Requirement",
    "WorkerLogPrinter",
    "actor_address",
    "actor_id",
    "allow_limiter_pending_trials",
    "asha_bracket_of",
    "asha_brackets",
    "asha_settings",
    "bracket_cutoff",
    "bracket_rungs",
    "cached_decisions",
    "checkpoint_experiment",
    "controller_scheduler",
    "controller_trials",
    "find_cluster_address",
    "find_controller",
    "flushing_wandb_callback",
    "hyperopt_preset_points",
    "hyperopt_trials",
    "keep_with_parameters_data",
    "kept_checkpoints",
    "mark_for_snapshot",
    "name_function_trainable",
    "optuna_constraints_key",
    "optuna_study",
    "optuna_trials",
    "ray_version",
    "replace_bracket_cutoff",
    "replace_restored_callbacks",
    "replace_trial_states",
    "replace_worker_log_printer",
    "require_supported_ray",
    "run_metadata_results",
    "set_run_metadata_results",
    "supported_range",
    "trial_failures",
    "trial_holders",
    "trial_states",
    "unsupported_ray",
    "verify",
    "wait_for_experiment_sync",
    "with_parameters_data",
    "without_result_frames",
]
