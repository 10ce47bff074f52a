"""``Objective``: the sweep metric and its direction, the one place that says which value is better."""

from __future__ import annotations

import math
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["MODES", "Mode", "Objective", "run_objectives"]

Mode = Literal["min", "max"]
MODES: tuple[Mode, ...] = ("min", "max")


def _finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and not math.isinf(value)


@dataclass(frozen=True)
class Objective:
    """A metric and whether it is minimised or maximised.

    NaN, infinities and ``None`` are never better than anything: a diverged trial cannot be the best.

    >>> Objective("val_ndcg", "max").better(0.2, 0.1)
    True
    >>> Objective("loss", "min").best([0.3, float("nan"), 0.1])
    0.1
    """

    metric: str
    mode: Mode

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise ConfigError(invalid_parameter("metric", "Objective", "a non-empty str", self.metric))
        if self.mode not in MODES:
            raise ConfigError(invalid_parameter("mode", "Objective", "one of 'min', 'max'", self.mode))

    @property
    def ascending(self) -> bool:
        """Whether sorting ascending puts the best value first (``mode == "min"``)."""
        return self.mode == "min"

    @property
    def worst(self) -> float:
        """The identity of :meth:`best`: ``+inf`` when minimising, ``-inf`` when maximising."""
        return math.inf if self.mode == "min" else -math.inf

    def better(self, value: float | None, than: float | None) -> bool:
        """Whether ``value`` strictly beats ``than``; a finite value beats ``None``/NaN/inf."""
        if not _finite(value):
            return False
        if not _finite(than):
            return True
        return value > than if self.mode == "max" else value < than  # type: ignore[operator]

    def best(self, values: Iterable[float | None]) -> float | None:
        """The best finite value of ``values``, or ``None`` when there is none."""
        best: float | None = None
        for value in values:
            if self.better(value, best):
                best = value
        return best


def run_objectives(run: Mapping[str, Any]) -> tuple[Objective, ...]:
    """Every objective of a run row: its ``objectives_json`` (``[["val_ndcg", "max"], ...]``), or for
    a run written before that column, its ``metric``/``mode`` pair. Empty when neither is valid."""
    stored = run.get("objectives_json")
    pairs: Any = None
    if isinstance(stored, str) and stored:
        try:
            pairs = json.loads(stored)
        except ValueError:
            pairs = None
    if not pairs:
        pairs = [[run.get("metric"), run.get("mode")]]
    try:
        return tuple(Objective(str(metric) if isinstance(metric, str) else metric, mode)
                     for metric, mode in pairs)
    except (ConfigError, TypeError, ValueError):
        return ()
