"""Ray Tune's ``Trial.run_metadata`` (a private ``_TrainingRunMetadata``): what raysweep trims from an
ended trial, and its failure count."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["run_metadata_results", "set_run_metadata_results", "trial_failures"]

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
