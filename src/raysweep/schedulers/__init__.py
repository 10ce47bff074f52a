"""Trial schedulers: ASHA early stopping or FIFO, as typed specs that know nothing of Ray.

>>> from raysweep import schedulers
>>> schedulers.asha(max_t=20, grace_period=2, reduction_factor=3)
ASHA(max_t=20, grace_period=2, reduction_factor=3, brackets=1, time_attr='training_iteration')
"""

from __future__ import annotations

from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, reject_unknown
from raysweep.schedulers._specs import ASHA, FIFO, SchedulerSpec

__all__ = ["ASHA", "FIFO", "SchedulerSpec", "asha", "fifo", "from_name"]

_BY_NAME: dict[str, type[SchedulerSpec]] = {"asha": ASHA, "fifo": FIFO}


def asha(
    *,
    max_t: int = 100,
    grace_period: int = 1,
    reduction_factor: float = 4,
    brackets: int = 1,
    time_attr: str = "training_iteration",
    **unknown: Any,
) -> ASHA:
    """Asynchronous successive halving (Li et al., 2020) over Ray's ``ASHAScheduler``.

    Trials are checked at rungs ``grace_period * reduction_factor**k`` (in ``time_attr`` units) and stopped
    when below the ``1 - 1/reduction_factor`` quantile of their rung; none runs past ``max_t``.
    """
    reject_unknown("schedulers.asha", unknown, ASHA.parameter_names())
    return ASHA(max_t=max_t, grace_period=grace_period, reduction_factor=reduction_factor,
                brackets=brackets, time_attr=time_attr)


def fifo(**unknown: Any) -> FIFO:
    """Run every trial to its end, first in, first out."""
    reject_unknown("schedulers.fifo", unknown, FIFO.parameter_names())
    return FIFO()


def from_name(value: Any, owner: str = "Sweep") -> SchedulerSpec:
    """Accept a spec, or one of the names 'asha', 'fifo' (defaults)."""
    if isinstance(value, SchedulerSpec):
        return value
    if value is None:
        return FIFO()
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]()
    raise ConfigError(
        invalid_parameter("scheduler", owner, "one of 'asha', 'fifo' or a spec from "
                          "raysweep.schedulers", value,
                          "For example scheduler=schedulers.asha(max_t=20, grace_period=2).")
    )
