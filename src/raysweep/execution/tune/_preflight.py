"""Checks of a sweep that need Ray's libraries but not a running Ray: its trainable's data and
resource request, its callbacks, its checkpoint settings. ``run``, ``validate`` and ``plan`` run
them all (:func:`check_sweep`)."""

from __future__ import annotations

from typing import Any

from raysweep._errors import invalid_parameter, raise_all
from raysweep.execution._internals import keep_with_parameters_data, with_parameters_data
from raysweep.execution.tune._callbacks import callback_problems
from raysweep.execution.tune._resource_request import resource_request_problems
from raysweep.sweep import Sweep

__all__ = ["check_sweep", "check_trainable_data"]


def check_sweep(sweep: Sweep) -> None:
    """Raise :class:`~raysweep.ConfigError` listing every problem these checks find, before Ray
    starts (see the module doc)."""
    raise_all([*_trainable_data_problems(sweep), *resource_request_problems(sweep),
               *callback_problems(sweep), *_checkpoint_problems(sweep)], f"Sweep {sweep.name!r}")


def _checkpoint_problems(sweep: Sweep) -> list[str]:
    """Tune saving a ``tune.Trainable`` class (``frequency``, ``at_end``) needs its
    ``save_checkpoint``: without one every save would end its trial in ``NotImplementedError``."""
    from ray import tune

    keep, trainable = sweep.checkpoint_spec, sweep.trainable
    if not (keep.frequency or keep.at_end) or not isinstance(trainable, type) \
            or not issubclass(trainable, tune.Trainable):
        return []
    if trainable.save_checkpoint is not tune.Trainable.save_checkpoint:
        return []
    return [invalid_parameter(
        "checkpoint", f"Sweep {sweep.name!r}", "a spec without frequency or at_end for a "
        "tune.Trainable class without save_checkpoint", keep,
        f"Implement {trainable.__name__}.save_checkpoint and load_checkpoint, or drop them.")]


def check_trainable_data(sweep: Sweep) -> None:
    """Raise :class:`~raysweep.ConfigError`, before Ray starts, naming every ``tune.with_parameters``
    keyword whose data Ray could not put in its object store (Ray would fail as it starts); and
    keep the data for a later run of the same sweep on another Ray session of this process.

    Serialised as Ray serialises it (cloudpickle, protocol 5): a numpy array's or a DataFrame's
    buffers are handed over out of band, so checking a large array copies nothing.
    """
    raise_all(_trainable_data_problems(sweep), f"Sweep {sweep.name!r}")


def _trainable_data_problems(sweep: Sweep) -> list[str | None]:
    keep_with_parameters_data(sweep.trainable)  # a second run in this process puts it again
    data = with_parameters_data(sweep.trainable)
    if not data:
        return []
    from ray import cloudpickle

    errors: list[str | None] = []
    for key, value in data.items():
        try:
            cloudpickle.dumps(value, protocol=5, buffer_callback=_drop)
        except Exception as exc:  # noqa: BLE001 - any pickling error is the user's to see, named
            errors.append(invalid_parameter(
                f"tune.with_parameters(..., {key}=...)", f"Sweep {sweep.name!r}",
                "data Ray can serialise into its object store", f"a {type(value).__name__} "
                f"({type(exc).__name__}: {exc})",
                "Pass what the data is made of (arrays, DataFrames, a path to open in the trial) "
                "instead of an open file, lock, connection or generator."))
    return errors


def _drop(buffer: Any) -> None:
    """Out-of-band buffers are not copied: only whether the rest pickles matters."""
