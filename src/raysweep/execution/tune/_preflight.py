"""Checks of a sweep's trainable that need Ray's libraries but not a running Ray."""

from __future__ import annotations

from typing import Any

from raysweep._errors import invalid_parameter, raise_all
from raysweep.execution._internals import keep_with_parameters_data, with_parameters_data
from raysweep.sweep import Sweep

__all__ = ["check_trainable_data"]


def check_trainable_data(sweep: Sweep) -> None:
    """Raise :class:`~raysweep.ConfigError`, before Ray starts, naming every ``tune.with_parameters``
    keyword whose data Ray could not put in its object store (Ray would fail as it starts); and
    keep the data for a later run of the same sweep on another Ray session of this process.

    Serialised as Ray serialises it (cloudpickle, protocol 5): a numpy array's or a DataFrame's
    buffers are handed over out of band, so checking a large array copies nothing.
    """
    keep_with_parameters_data(sweep.trainable)  # a second run in this process puts it again
    data = with_parameters_data(sweep.trainable)
    if not data:
        return
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
    raise_all(errors, f"Sweep {sweep.name!r}")


def _drop(buffer: Any) -> None:
    """Out-of-band buffers are not copied: only whether the rest pickles matters."""
