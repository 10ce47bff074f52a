"""Typed scheduler specs. Plain data: ``raysweep.execution`` turns them into Ray Tune schedulers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from raysweep._errors import ConfigError, int_problem, invalid_parameter, require
from raysweep._spec import Spec

__all__ = ["ASHA", "FIFO", "SchedulerSpec"]


@dataclass(frozen=True)
class SchedulerSpec(Spec):
    """Base class of scheduler specs."""


@dataclass(frozen=True)
class FIFO(SchedulerSpec):
    """Every trial runs until it ends by itself."""

    name: ClassVar[str] = "fifo"


def _positive_int(value: Any, param: str) -> None:
    require(int_problem(value, param, "schedulers.asha"))


@dataclass(frozen=True)
class ASHA(SchedulerSpec):
    """Asynchronous successive halving; see :func:`raysweep.schedulers.asha`."""

    name: ClassVar[str] = "asha"
    max_t: int = 100
    grace_period: int = 1
    reduction_factor: float = 4
    brackets: int = 1
    time_attr: str = "training_iteration"

    def __post_init__(self) -> None:
        _positive_int(self.max_t, "max_t")
        _positive_int(self.grace_period, "grace_period")
        _positive_int(self.brackets, "brackets")
        if self.grace_period > self.max_t:
            raise ConfigError(
                invalid_parameter(
                    "grace_period", "schedulers.asha", f"at most max_t={self.max_t}",
                    self.grace_period, "Lower grace_period or raise max_t.",
                )
            )
        rf = self.reduction_factor
        if isinstance(rf, bool) or not isinstance(rf, int | float) or rf < 2:
            raise ConfigError(
                invalid_parameter("reduction_factor", "schedulers.asha", "a number >= 2", rf,
                                  "3 or 4 are the usual choices.")
            )
        if not isinstance(self.time_attr, str) or not self.time_attr:
            raise ConfigError(
                invalid_parameter("time_attr", "schedulers.asha", "a non-empty metric name",
                                  self.time_attr)
            )

    def rungs(self) -> list[int]:
        """The milestones at which trials are compared (first bracket)."""
        rungs: list[int] = []
        t: float = self.grace_period
        while t < self.max_t:
            rungs.append(int(t))
            t *= self.reduction_factor
        return rungs
