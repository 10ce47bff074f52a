"""Non-finite metrics: a trial reporting NaN or +-inf for the sweep metric ends as ``errored``.

Two halves, because Ray Tune gives neither side the whole job:

* In the worker, :func:`guard_trainable` wraps the trainable in a ``Trainable`` subclass. When a result
  carries a non-finite sweep metric it is still delivered (so the store records what the trainable
  reported), and the next ``train()`` call raises :class:`NonFiniteMetricError`
  ("loss was nan at iteration 3"): the trial ends through Tune's ordinary error path, so the searcher
  gets ``on_trial_complete(error=True)`` (never the NaN as a loss) and the scheduler ``on_trial_error``.
* In the driver, :class:`NonFiniteGuard` wraps the scheduler. It sees the non-finite result first: it keeps
  it from the inner scheduler (ASHA never ranks a NaN, never keeps such a trial running), lets the trial
  continue to the raising ``train()`` call, and sets the trial's ``max_failures`` to 0 so that Tune does not
  retry a deterministic NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ray.tune import Trainable
from ray.tune.result import RESULT_DUPLICATE, TRAINING_ITERATION
from ray.tune.schedulers import TrialScheduler
from ray.tune.trainable.function_trainable import wrap_function

from raysweep._errors import ExecutionError
from raysweep.execution._internals import name_function_trainable

__all__ = ["NonFiniteGuard", "NonFiniteMetricError", "guard_trainable", "non_finite"]


class NonFiniteMetricError(ExecutionError, ValueError):
    """A trial reported NaN or infinity for the sweep metric."""


def non_finite(value: Any) -> bool:
    """True for a NaN or infinite number (a missing or non-numeric value is not our business)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isfinite(value)


def _unreported(metric: str, result: dict, role: str, fix: str) -> str:
    from raysweep.execution.recording._rows import RAY_RESULT_KEYS

    reported = [k for k in result if k not in RAY_RESULT_KEYS and k != "config"
                and not str(k).startswith("config/")]
    shown = ", ".join(repr(k) for k in reported) or "no metric at all"
    return (f"the trainable never reported {metric!r} ({role}); it reported {shown}. {fix}.")


def _message(metric: str, value: float, iteration: Any) -> str:
    return f"{metric} was {value} at iteration {iteration}"


def _metrics(metric: str | Sequence[str]) -> tuple[str, ...]:
    return (metric,) if isinstance(metric, str) else tuple(metric)


def _first_non_finite(result: dict, metrics: tuple[str, ...]) -> tuple[str, Any] | None:
    for name in metrics:
        if non_finite(result.get(name)):
            return name, result.get(name)
    return None


def guard_trainable(trainable: Any, metric: str | Sequence[str]) -> type[Trainable]:
    """A ``Trainable`` class running ``trainable`` (a function or a class) that errors the trial
    once it reports a non-finite ``metric`` (any of them, with several objectives). Keeps the
    trainable's name for Ray's logs."""
    base = trainable if isinstance(trainable, type) else wrap_function(trainable)
    name = getattr(trainable, "__name__", base.__name__)

    class Guarded(base):  # type: ignore[valid-type, misc]
        _raysweep_metrics = _metrics(metric)
        _raysweep_pending: str | None = None

        def train(self) -> dict:
            if self._raysweep_pending is not None:
                message, self._raysweep_pending = self._raysweep_pending, None
                raise NonFiniteMetricError(message)
            result = super().train()
            bad = _first_non_finite(result, self._raysweep_metrics)
            if RESULT_DUPLICATE not in result and bad is not None:
                # Delivered first, so the driver's guard sees it before the error (see module doc).
                self._raysweep_pending = _message(bad[0], bad[1], result.get(TRAINING_ITERATION))
                result["done"] = False
            return result

        def reset_config(self, new_config: dict) -> bool:
            self._raysweep_pending = None
            return super().reset_config(new_config)

    Guarded.__name__ = Guarded.__qualname__ = name
    if not isinstance(trainable, type):
        name_function_trainable(Guarded, name)  # what Tune's ImplicitFunc shows as the actor's name
    return Guarded


class NonFiniteGuard(TrialScheduler):
    """Wraps a Tune scheduler: a non-finite metric never reaches it, and its trial is not retried.

    With several objectives it also checks that every result reporting the first one reports the
    others (Ray checks only the metric it is given): otherwise the sweep stops, naming the metric."""

    def __init__(self, inner: TrialScheduler, metric: str | Sequence[str]) -> None:
        super().__init__()
        self.inner = inner
        self.guard_metrics = _metrics(metric)
        self.guard_metric = self.guard_metrics[0]

    def __getattr__(self, name: str) -> Any:  # anything Tune asks beyond the interface below
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def metric(self) -> str | None:
        return self.inner.metric

    @property
    def supports_buffered_results(self) -> bool:
        return self.inner.supports_buffered_results

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: Any) -> bool:
        if self.inner.metric is not None:  # schedulers.asha(metric=...): it ranks by its own
            return True
        return self.inner.set_search_properties(metric, mode, **spec)

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        self.inner.on_trial_add(tune_controller, trial)

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        self.inner.on_trial_error(tune_controller, trial)

    def _check_reported(self, trial: Any, result: dict) -> None:
        if len(self.guard_metrics) > 1 and self.guard_metric in result:
            missing = [m for m in self.guard_metrics if m not in result]
            if missing:
                raise ExecutionError(_unreported(
                    missing[0], result, f"one of the sweep's objectives {list(self.guard_metrics)}",
                    "Report every objective in each tune.report(...) that reports "
                    f"{self.guard_metric!r}"))

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        self._check_reported(trial, result)
        if _first_non_finite(result, self.guard_metrics) is not None:
            trial.max_failures = 0  # the worker raises on its next step: that error is final
            return TrialScheduler.CONTINUE
        return self.inner.on_trial_result(tune_controller, trial, result)

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        # stopped (Ctrl-C, budget) before it errored
        if _first_non_finite(result or {}, self.guard_metrics) is not None:
            self.inner.on_trial_remove(tune_controller, trial)
            return
        self.inner.on_trial_complete(tune_controller, trial, result)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self.inner.on_trial_remove(tune_controller, trial)

    def choose_trial_to_run(self, tune_controller: Any) -> Any:
        return self.inner.choose_trial_to_run(tune_controller)

    def debug_string(self) -> str:
        return self.inner.debug_string()

    def save(self, checkpoint_path: str) -> None:
        self.inner.save(checkpoint_path)

    def restore(self, checkpoint_path: str) -> None:
        self.inner.restore(checkpoint_path)
