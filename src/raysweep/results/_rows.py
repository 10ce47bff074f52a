"""Row types of the four datasets: THE definition of the fixed columns.

``_schema`` derives the Arrow column dicts (``RUN_COLUMNS``, ``TRIAL_COLUMNS``,
``ITERATION_COLUMNS``) from these ``TypedDict`` annotations, so a column is added in one place.
``sweep`` and ``run`` are hive partition keys: they appear in every row a reader returns but live
only in directory names, never inside the files. Free-form columns (``config.<path>``,
``last.<metric>`` on trials; one float column per reported metric on iterations) come on top and
are not part of these types.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class RunRow(TypedDict, total=False):
    """One launch of one sweep (``runs`` dataset)."""

    sweep: str
    run: str
    status: str
    started_at: datetime
    ended_at: datetime
    searcher: str
    searcher_params: str
    scheduler: str
    scheduler_params: str
    metric: str
    mode: str
    objectives_json: str
    constraints_json: str
    num_samples: int
    seed: int
    space_json: str
    sweep_path: str
    sweep_sha256: str
    git_commit: str
    git_dirty: bool
    raysweep_version: str
    ray_version: str
    python_version: str
    cluster_resources: str
    resources_per_trial: str
    max_concurrent: int
    time_budget_s: float
    max_failures: int
    description: str
    tags: str
    schema_version: int
    n_trials: int
    n_completed: int
    n_early_stopped: int
    n_errored: int
    n_cancelled: int
    best_value: float
    best_trial_id: str
    best_config: str
    updated_at: datetime
    # schema v2: who drives the run (crash detection, resume) and where it came from
    driver_host: str
    driver_pid: int
    resumes: int
    job_id: str
    submitted_from: str
    warm_start_runs: str
    n_warm_start: int
    # issue 13 (nullable, schema v2 unchanged): what trained, the plan's cost estimate, extensions
    trainable: str
    estimate_compute_s: float
    estimate_wall_s: float
    estimate_iterations: float
    estimate_runs: str
    extensions: int
    trial_index_offset: int
    n_skipped_cells: int
    # issue 22 (nullable, schema v2 unchanged): Ray Tune's run options the sweep set, as JSON
    stop: str
    callbacks: str
    checkpoint_policy: str
    points_to_evaluate: str
    # issue 23 (nullable, schema v2 unchanged): a `raysweep replay` run retrains a PBT schedule
    replay_of: str
    replay_schedule: str


class TrialRow(TypedDict, total=False):
    """One trial (``trials`` dataset); the latest version per ``trial_id`` wins."""

    sweep: str
    run: str
    trial_id: str
    ray_trial_id: str
    trial_index: int
    status: str
    config_json: str
    metric: str
    metric_last: float
    metric_best: float
    iterations: int
    attempts: int
    stopped_by_scheduler: bool
    feasible: bool
    error_type: str
    error_message: str
    error_traceback: str
    node_id: str
    node_ip: str
    hostname: str
    started_at: datetime
    ended_at: datetime
    trial_seconds: float
    updated_at: datetime
    # issue 22 (nullable, schema v2 unchanged): the trial's best checkpoint that Ray keeps, relative
    # to the results root when under it (``_ray/<sweep>/<run>/<trial dir>/checkpoint_000003``), else
    # an absolute path or URI; null when the trial has none (and in files written before it).
    checkpoint_path: str


class IterationRow(TypedDict, total=False):
    """One reported result (``iterations`` dataset), keyed by ``(trial_id, training_iteration)``."""

    sweep: str
    run: str
    trial_id: str
    attempt: int
    training_iteration: int
    time_total_s: float
    time_this_iter_s: float
    timestamp: datetime
    node_id: str
    node_ip: str
    hostname: str
    writer_id: str


class RungRow(TypedDict, total=False):
    """One ASHA rung decision (``rungs`` dataset), keyed by ``(trial_id, milestone)``.

    ``value`` and ``cutoff`` are in the metric's own units: under ``mode="max"`` a trial is
    stopped when ``value < cutoff``, under ``mode="min"`` when ``value > cutoff``. ``cutoff`` is
    null when the rung held no earlier result to compare against, and for ``completed`` rows
    (ASHA ends a trial at ``max_t`` without comparing it).
    """

    sweep: str
    run: str
    trial_id: str
    bracket: int
    milestone: float
    time_attr: str
    time_value: float
    metric: str
    value: float
    cutoff: float
    rung_size: int
    decision: str
    timestamp: datetime
    # issue 24 (nullable, schema v2 unchanged): a multi-objective (MO-ASHA) decision. Null on
    # single-objective rows and in files written before. ``objectives_json`` is the ranked
    # ``[[metric, mode], ...]``, ``values_json`` the trial's value of each (``{metric: value}``;
    # ``metric``/``value`` above are the first objective's, ``cutoff`` stays null), ``nd_rank`` its
    # non-dominated front in the rung (0: the first) and ``position`` its place in the rung's
    # order (0: the best); it was promoted when ``position < (rung_size + 1) / reduction_factor``.
    # ``constraint`` names the monotone constraint a ``stopped`` row violated (MO-ASHA only).
    objectives_json: str
    values_json: str
    nd_rank: int
    position: int
    constraint: str


class PerturbationRow(TypedDict, total=False):
    """One PBT exploit (``perturbations`` dataset), keyed by ``(trial_id, time_value)``.

    ``trial_id`` copied the checkpoint of ``source_trial_id`` (raysweep's trial ids) when its
    result at ``time_attr = time_value`` (``training_iteration``: Ray's counter of that result)
    ranked in the bottom quantile; ``source_training_iteration`` is the iteration of the copied
    checkpoint, from which the copier's counter continues. ``value`` and ``source_value`` are the
    metric values PBT ranked them by. ``config_before_json`` is the copier's config before the
    exploit, ``source_config_json`` the source's, ``config_json`` the copier's after; ``resampled``
    and ``perturbed`` are JSON lists of the dotted keys Ray resampled or perturbed, and
    ``operations_json`` Ray's own word for each (``"resample"``, ``"* 1.2"``, ``"shift left"``,
    ``"pb2"``).
    """

    sweep: str
    run: str
    trial_id: str
    source_trial_id: str
    time_attr: str
    time_value: float
    training_iteration: int
    source_training_iteration: int
    metric: str
    value: float
    source_value: float
    config_before_json: str
    source_config_json: str
    config_json: str
    resampled: str
    perturbed: str
    operations_json: str
    timestamp: datetime
