"""Trial schedulers: ASHA early stopping or FIFO, as typed specs that know nothing of Ray.

>>> from raysweep import schedulers
>>> schedulers.asha(max_t=20, grace_period=2, reduction_factor=3)
ASHA(max_t=20, grace_period=2, reduction_factor=3, brackets=1, time_attr='training_iteration')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, reject_unknown
from raysweep.schedulers._specs import ASHA, FIFO, PB2, PBT, SchedulerSpec

__all__ = ["ASHA", "FIFO", "PB2", "PBT", "SchedulerSpec", "asha", "fifo", "from_name", "pb2", "pbt"]

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


def pbt(
    perturbation_interval: float,
    mutations: Mapping[str, Any],
    *,
    quantile_fraction: float = 0.25,
    resample_probability: float = 0.25,
    perturbation_factors: tuple[float, ...] = (1.2, 0.8),
    time_attr: str = "training_iteration",
    seed: int | None = None,
    **unknown: Any,
) -> PBT:
    """Population-based training (Jaderberg et al., 2017) over Ray's ``PopulationBasedTraining``.

    ``num_samples`` trials train at once (the population). Every ``perturbation_interval`` (in
    ``time_attr`` units) a trial in the bottom ``quantile_fraction`` copies the checkpoint and config
    of one in the top (exploit), then changes the ``mutations`` keys (explore): each is resampled from
    its dimension with ``resample_probability``, else a number is multiplied by one of
    ``perturbation_factors`` and a ``choice`` moves to a neighbouring value. ``mutations`` uses the
    space DSL and nests like the space; each key must be a dimension of the sweep's space.

    The trainable must report a checkpoint at every multiple of ``perturbation_interval`` and
    restore from ``tune.get_checkpoint()``. Only random or grid search can start the population.
    ``seed`` (default: the sweep's) seeds PBT's own draws.
    """
    reject_unknown("schedulers.pbt", unknown, PBT.parameter_names())
    return PBT(perturbation_interval=perturbation_interval, mutations=mutations,
               quantile_fraction=quantile_fraction, resample_probability=resample_probability,
               perturbation_factors=perturbation_factors, time_attr=time_attr, seed=seed)


def pb2(
    perturbation_interval: float,
    bounds: Mapping[str, Any],
    *,
    quantile_fraction: float = 0.25,
    time_attr: str = "training_iteration",
    seed: int | None = None,
    **unknown: Any,
) -> PB2:
    """Population-based bandits (Parker-Holder et al., 2020) over Ray's ``PB2``: PBT whose explore step
    picks the new values of the ``bounds`` keys with a time-varying Gaussian-process bandit instead of
    random perturbations. ``bounds`` maps keys of the space to numeric dimensions (their ranges are
    what PB2 searches, on a linear scale). Needs scikit-learn: ``pip install 'raysweep[pb2]'``.
    Everything else is as :func:`pbt`.
    """
    reject_unknown("schedulers.pb2", unknown, PB2.parameter_names())
    return PB2(perturbation_interval=perturbation_interval, bounds=bounds,
               quantile_fraction=quantile_fraction, time_attr=time_attr, seed=seed)
