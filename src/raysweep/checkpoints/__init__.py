"""Checkpoints: how many each trial keeps, and which, as a spec that knows nothing of Ray.

>>> from raysweep import checkpoints
>>> checkpoints.keep(num_to_keep=2, score="val_loss", order="min")
Keep(num_to_keep=2, score='val_loss', order='min', frequency=0, at_end=None)

``Sweep(checkpoint=checkpoints.keep(...))``, or the same as a dict:
``Sweep(checkpoint={"num_to_keep": 2, "score": "val_loss"})``. Without it a trial keeps its latest
checkpoint only (``keep(num_to_keep=1)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, raise_all, unknown_parameters
from raysweep.checkpoints._spec import ORDERS, Keep

__all__ = ["ORDERS", "Keep", "from_value", "keep"]


def keep(*, num_to_keep: int = 1, score: str | None = None, order: str | None = None,
         frequency: int = 0, at_end: bool | None = None, **unknown: Any) -> Keep:
    """Keep ``num_to_keep`` checkpoints per trial, the latest or the best by ``score`` (see
    :class:`Keep`)."""
    values: dict[str, Any] = dict(num_to_keep=num_to_keep, score=score, order=order,
                                  frequency=frequency, at_end=at_end)
    raise_all([*unknown_parameters("checkpoints.keep", unknown, Keep.parameter_names(),
                                   _RAY_NAMES),
               *Keep.problems(values)], "checkpoints.keep")
    return Keep(**values)


#: Ray's CheckpointConfig names, pointing to raysweep's.
_RAY_NAMES = {
    "checkpoint_score_attribute": "Use score=... (the reported metric that ranks checkpoints).",
    "checkpoint_score_order": "Use order='min' or 'max'.",
    "checkpoint_frequency": "Use frequency=...",
    "checkpoint_at_end": "Use at_end=...",
}


def from_value(value: Any, owner: str = "Sweep") -> Keep:
    """Accept a :class:`Keep`, or a dict of its parameters (or of Ray's ``CheckpointConfig`` names,
    refused with raysweep's)."""
    if isinstance(value, Keep):
        return value
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return keep(**value)
    raise ConfigError(invalid_parameter(
        "checkpoint", owner, "checkpoints.keep(...), a dict of its parameters or None", value,
        "For example checkpoint=checkpoints.keep(num_to_keep=2, score='val_loss')."))
