"""Which checkpoints a trial keeps: Ray's ``CheckpointConfig`` as a Ray-free spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from raysweep._errors import int_problem, invalid_parameter, raise_all
from raysweep._spec import Spec

__all__ = ["ORDERS", "Keep"]

#: How a score ranks checkpoints: the lowest or the highest is the best.
ORDERS = ("min", "max")
_OWNER = "checkpoints.keep"


@dataclass(frozen=True)
class Keep(Spec):
    """Ray Tune's ``CheckpointConfig`` in raysweep's words.

    ``num_to_keep`` checkpoints stay on disk per trial: the most recent ones, or with ``score`` (a
    reported metric) the best ones by it, ``order`` ``'min'`` or ``'max'`` (None: the sweep's mode,
    when ``score`` is the sweep's metric). Ray always keeps a trial's latest checkpoint as well, since
    a retried or resumed trial continues from it: with a score, a trial may hold ``num_to_keep + 1``.

    ``frequency`` (every N iterations) and ``at_end`` apply to a ``tune.Trainable`` class, which Tune
    saves itself (``save_checkpoint``); a function trainable reports its own checkpoints with
    ``tune.report(..., checkpoint=...)``.
    """

    name: ClassVar[str] = "keep"
    num_to_keep: int = 1
    score: str | None = None
    order: str | None = None
    frequency: int = 0
    at_end: bool | None = None

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[str | None]:
        """What is wrong with these parameter values (None where all is well)."""
        score, order, at_end = values.get("score"), values.get("order"), values.get("at_end")
        return [
            int_problem(values.get("num_to_keep", 1), "num_to_keep", _OWNER, 1),
            None if score is None or (isinstance(score, str) and score) else invalid_parameter(
                "score", _OWNER, "the name of a reported metric or None", score,
                "For example score='val_loss'."),
            None if order is None or order in ORDERS else invalid_parameter(
                "order", _OWNER, "one of 'min', 'max' or None", order),
            invalid_parameter("order", _OWNER, "None without a score", order,
                              "Say which metric ranks the checkpoints: score='val_loss'.")
            if order in ORDERS and score is None else None,
            int_problem(values.get("frequency", 0), "frequency", _OWNER, 0),
            None if at_end is None or isinstance(at_end, bool) else invalid_parameter(
                "at_end", _OWNER, "True, False or None", at_end),
        ]

    def __post_init__(self) -> None:
        raise_all(self.problems(self.params()), _OWNER)

    def score_order(self, mode: str | None) -> str | None:
        """The order checkpoints are ranked in: ``order``, else the sweep's ``mode``."""
        return self.order or mode
