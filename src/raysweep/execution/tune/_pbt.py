"""Population-based training: Ray's PBT (and PB2), seeded, every exploit kept, a missing checkpoint
an error.

:class:`RecordingPBT` is Ray's ``PopulationBasedTraining`` unchanged (through the adapter's
:class:`~raysweep.execution._internals.ObservedPBT`), plus:

* its random draws come from streams of its own seeded with ``seed`` (the spec's, else the sweep's);
* each exploit is appended to :attr:`exploits` (Ray trial ids, the iteration, both values, the
  configs before and after, Ray's operation on each mutated key);
* an exploit Ray skips because the trial it drew to copy reported no checkpoint with the result
  it was ranked on (ray-project/ray #27170: Ray logs it and carries on, so PBT silently
  degenerates into random search) stops the run with :class:`PBTCheckpointError`, naming the fix.

:class:`LineageCallback` drains the exploits on Tune's driver loop into the run's ``perturbations``
dataset (``RunWriter.add_perturbation``), keyed by raysweep's stable trial ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from raysweep._errors import ExecutionError
from raysweep.execution._internals import (
    ObservedPB2,
    ObservedPBT,
)
from raysweep.execution.tune._decisions import DecisionCallback, KeyOf
from raysweep.results import RunWriter, to_json

__all__ = ["LineageCallback", "PBTCheckpointError", "RecordingPB2", "RecordingPBT", "perturbation_row",
           "recording_pbt"]


class PBTCheckpointError(ExecutionError):
    """A PBT exploit found no checkpoint to copy."""


def _missing_checkpoint(scheduler: Any, trial: Any, bare: list[Any], time: Any) -> str:
    interval, attr = scheduler.perturbation_every, scheduler.time_unit
    names = ", ".join(str(t) for t in bare) or "the trial it drew"
    return (
        f"PBT could not exploit at {attr}={time}: trial {trial} was to copy {names}, which reported "
        f"no checkpoint with its result at that {attr}. PBT copies a trial's checkpoint, so the "
        f"trainable must report one at least every perturbation_interval={interval:g} {attr} "
        "(at every multiple of it): tune.report(metrics, checkpoint=Checkpoint.from_directory(d)), "
        "and restore from tune.get_checkpoint() when it starts. Without checkpoints Ray's PBT skips "
        "every exploit (ray-project/ray #27170) and is only random search.")


class _Recording:
    """The hooks of :class:`~raysweep.execution._internals._pbt._Observed`, acted on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.perturbation_every = float(kwargs.get("perturbation_interval", 0))
        self.time_unit = str(kwargs.get("time_attr", "training_iteration"))
        self.exploits: list[dict[str, Any]] = []

    def exploit_seen(self, trial: Any, source: Any, exploit: dict[str, Any]) -> None:
        self.exploits.append({"ray_trial_id": trial.trial_id, "source_ray_trial_id": source.trial_id,
                              **exploit})

    def exploit_skipped(self, trial: Any, without_checkpoint: list[Any], time: Any) -> None:
        raise PBTCheckpointError(_missing_checkpoint(self, trial, without_checkpoint, time))

    def drain(self) -> list[dict[str, Any]]:
        """The exploits recorded since the last call."""
        out, self.exploits = self.exploits, []
        return out


class RecordingPBT(_Recording, ObservedPBT):
    """Ray's ``PopulationBasedTraining``, seeded, every exploit recorded."""


class RecordingPB2(_Recording, ObservedPB2):
    """Ray's ``PB2``, seeded, every exploit recorded."""


def recording_pbt(scheduler: Any) -> _Recording | None:
    """The recording PBT/PB2 inside Tune's scheduler (raysweep wraps it), or None."""
    for _ in range(4):
        if isinstance(scheduler, _Recording):
            return scheduler
        scheduler = getattr(scheduler, "__dict__", {}).get("inner")
        if scheduler is None:
            return None
    return None


def _flat_operations(operations: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Ray's nested ``{key: operation}`` as ``{"dotted.key": operation}``."""
    out: dict[str, str] = {}
    for key, op in operations.items():
        if isinstance(op, Mapping):
            out.update(_flat_operations(op, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(op)
    return out


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def perturbation_row(event: dict[str, Any], trial_id: str, source_id: str, time_attr: str,
                     mutated: list[str]) -> dict[str, Any]:
    """The ``perturbations`` row of one recorded exploit (``RecordingPBT.exploits``)."""
    operations = _flat_operations(event.get("operations") or {})
    if not operations:  # PB2: its bandit chose every bounded key (Ray names no operation)
        operations = dict.fromkeys(mutated, "pb2")
    return {
        "trial_id": trial_id,
        "source_trial_id": source_id,
        "time_attr": time_attr,
        "time_value": float(event["time"]),
        "training_iteration": _integer(event.get("iteration")),
        "source_training_iteration": _integer(event.get("source_iteration")),
        "metric": event.get("metric"),
        "value": _number(event.get("value")),
        "source_value": _number(event.get("source_value")),
        "config_before_json": to_json(event["config_before"]),
        "source_config_json": to_json(event["source_config"]),
        "config_json": to_json(event["config_after"]),
        "resampled": json.dumps(sorted(k for k, op in operations.items() if op == "resample")),
        "perturbed": json.dumps(sorted(k for k, op in operations.items() if op != "resample")),
        "operations_json": to_json(operations),
        "timestamp": datetime.now(UTC),
    }


class LineageCallback(DecisionCallback):
    """Write :class:`RecordingPBT`'s exploits to the run's ``perturbations`` dataset.

    Tune calls the scheduler before the callbacks for the same event, so the exploits a result
    caused are drained in this callback's hooks; the scheduler is found on Tune's controller at
    ``setup`` (a restored run's too).

    Args:
        writer: The run's writer.
        trial_key: Maps a Ray ``Trial`` to raysweep's stable trial id.
        time_attr: PBT's time attribute.
        mutated: The dotted keys PBT mutates.
    """

    purpose = "recording PBT's exploits"

    def __init__(self, writer: RunWriter, trial_key: Callable[[Any, list | None], str],
                 time_attr: str, mutated: list[str]) -> None:
        super().__init__(writer, trial_key)
        self.time_attr = time_attr
        self.mutated = mutated

    def recording(self, scheduler: Any) -> _Recording | None:
        return recording_pbt(scheduler)

    def write(self, event: dict[str, Any], key_of: KeyOf) -> None:
        target, source = key_of(event["ray_trial_id"]), key_of(event["source_ray_trial_id"])
        if target is not None and source is not None:
            self.writer.add_perturbation(perturbation_row(event, target, source, self.time_attr,
                                                          self.mutated))

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        self._drain(trials)
