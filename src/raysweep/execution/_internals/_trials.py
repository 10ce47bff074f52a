"""Ray Tune's ``Trial.run_metadata`` (a private ``_TrainingRunMetadata``): what raysweep trims from an
ended trial, its failure count, and the checkpoints its checkpoint manager keeps."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["kept_checkpoints", "run_metadata_results", "set_run_metadata_results", "trial_failures"]

_METADATA = "ray.tune.trainable.metadata:_TrainingRunMetadata"
_RUN_METADATA = requirement(
    "ray.tune.experiment.trial:Trial", "run_metadata", "attribute",
    why="read an ended trial's results and failures, and trim them")
_LAST = requirement(_METADATA, "last_result", "attribute",
                    why="trim an ended trial's last result to the keys raysweep keeps")
_ANALYSIS = requirement(_METADATA, "metric_analysis", "attribute",
                        why="trim an ended trial's per-metric statistics")
_STEPS = requirement(_METADATA, "metric_n_steps", "attribute",
                     why="trim an ended trial's per-metric running windows")
_INVALIDATE = requirement(
    _METADATA, "invalidate_cache", "method",
    why="know that assigning a field drops the cached JSON, so the next snapshot writes the trim")
_FAILURES = requirement(_METADATA, "num_failures", "attribute",
                        why="count a trial's attempts (failures so far + 1)")
_MANAGER = "ray.train._internal.checkpoint_manager:_CheckpointManager"
_CHECKPOINTS = requirement(_METADATA, "checkpoint_manager", "attribute",
                           why="record the best checkpoint a trial keeps (the store's checkpoint_path)")
_KEPT = requirement(_MANAGER, "best_checkpoint_results", "property",
                    why="the checkpoints the num_to_keep / score policy keeps on storage")
_LATEST = requirement(_MANAGER, "latest_checkpoint_result", "property",
                      why="the latest checkpoint, which Ray keeps whatever the policy")
_RESULT = "ray.train._internal.session:_TrainingResult"
_RESULT_CHECKPOINT = requirement(_RESULT, "checkpoint", "attribute",
                                 why="the checkpoint of a kept (checkpoint, metrics) pair")
_RESULT_METRICS = requirement(_RESULT, "metrics", "attribute",
                              why="the metrics reported with a kept checkpoint (its score)")


def run_metadata_results(trial: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
    """``(last_result, metric_analysis, metric_n_steps)`` of ``trial.run_metadata``, or None (warned
    once: trimming is off) when Ray's run metadata has not that shape."""
    meta = getattr(trial, "run_metadata", None)
    if meta is None:
        degrade(_RUN_METADATA, "trimming ended trials is off for this run")
        return None
    values = []
    for req in (_LAST, _ANALYSIS, _STEPS):
        value = getattr(meta, req.name, None)
        if not isinstance(value, dict):
            degrade(req, "trimming ended trials is off for this run")
            return None
        values.append(value)
    return values[0], values[1], values[2]


def set_run_metadata_results(trial: Any, last_result: dict[str, Any], metric_analysis: dict[str, Any],
                             metric_n_steps: dict[str, Any]) -> None:
    """Replace the three fields; each assignment drops the metadata's cached JSON (its
    ``__setattr__`` calls ``invalidate_cache``), so the next snapshot writes the new values."""
    meta = trial.run_metadata
    meta.last_result = last_result
    meta.metric_analysis = metric_analysis
    meta.metric_n_steps = metric_n_steps


def trial_failures(trial: Any) -> int:
    """How often ``trial`` failed so far (``run_metadata.num_failures``); 0, warned once, without it."""
    value = getattr(getattr(trial, "run_metadata", None), "num_failures", None)
    if value is None:
        degrade(_FAILURES, "every trial's attempt counts as its first")
        return 0
    return int(value)


def kept_checkpoints(trial: Any) -> list[tuple[Any, dict[str, Any]]]:
    """``(checkpoint, metrics)`` of every checkpoint of ``trial`` that Ray's checkpoint manager keeps
    on storage, oldest-registered first within Ray's order: the ones its ``num_to_keep`` / score
    policy keeps (``best_checkpoint_results``) and the latest (never deleted, a retry continues from
    it). Empty when the trial has none; empty, warned once, when Ray's manager has not that shape.

    Ray deletes the others as a newer checkpoint is registered, so only these may be pointed to."""
    manager = getattr(getattr(trial, "run_metadata", None), _CHECKPOINTS.name, None)
    if manager is None:
        if getattr(trial, "run_metadata", None) is None:
            degrade(_CHECKPOINTS, "no checkpoint is recorded in the results store")
        return []
    try:
        results = [*getattr(manager, _KEPT.name), getattr(manager, _LATEST.name)]
    except (AttributeError, TypeError):
        degrade(_KEPT, "no checkpoint is recorded in the results store")
        return []
    kept: list[tuple[Any, dict[str, Any]]] = []
    for result in results:
        checkpoint = getattr(result, _RESULT_CHECKPOINT.name, None)
        if checkpoint is None or any(checkpoint is seen for seen, _ in kept):
            continue
        metrics = getattr(result, _RESULT_METRICS.name, None)
        kept.append((checkpoint, dict(metrics) if isinstance(metrics, dict) else {}))
    return kept
