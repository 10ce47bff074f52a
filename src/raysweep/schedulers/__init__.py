"""Trial schedulers: ASHA, synchronous HyperBand (and its BOHB variant) or FIFO, as typed specs that
know nothing of Ray.

>>> from raysweep import schedulers
>>> schedulers.asha(max_t=20, grace_period=2, reduction_factor=3)
ASHA(max_t=20, grace_period=2, reduction_factor=3, brackets=1, time_attr='training_iteration')
>>> schedulers.hyperband(max_t=27)
HyperBand(max_t=27, reduction_factor=3, time_attr='training_iteration', stop_last_trials=True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from raysweep._errors import reject_unknown
from raysweep._spec import refuse_spec
from raysweep.schedulers._specs import (
    ASHA,
    FIFO,
    PB2,
    PBT,
    HyperBand,
    HyperBandBracket,
    HyperBandForBOHB,
    SchedulerSpec,
)

__all__ = [
    "ASHA",
    "FIFO",
    "PB2",
    "PBT",
    "HyperBand",
    "HyperBandBracket",
    "HyperBandForBOHB",
    "SchedulerSpec",
    "asha",
    "fifo",
    "from_name",
    "hyperband",
    "hyperband_for_bohb",
    "pb2",
    "pbt",
]

_BY_NAME: dict[str, type[SchedulerSpec]] = {
    "asha": ASHA, "fifo": FIFO, "hyperband": HyperBand, "hyperband_for_bohb": HyperBandForBOHB,
}

_EARLY_STOP = "use scheduler=schedulers.asha(max_t=...) or schedulers.hyperband(max_t=...)"
#: Ray Tune's scheduler names (``ray.tune.schedulers.SCHEDULER_IMPORT``) raysweep does not take, and why.
_UNSUPPORTED: dict[str, str] = {
    "pbt": "population-based training needs its perturbation interval and mutations: use "
           "scheduler=schedulers.pbt(perturbation_interval=..., mutations={...}).",
    "pbt_replay": "replaying a population-based training run is not supported yet: run the best "
                  "member's config with scheduler=schedulers.fifo(), or a new schedulers.pbt(...) run.",
    "pb2": "PB2 needs its perturbation interval and bounds: use "
           "scheduler=schedulers.pb2(perturbation_interval=..., bounds={...}).",
    "median_stopping_rule": f"the median stopping rule is not supported yet; {_EARLY_STOP} instead.",
    "medianstopping": f"the median stopping rule is not supported yet; {_EARLY_STOP} instead.",
    "resource_changing": "changing a trial's resources while it runs is not supported; set "
                         "Sweep(resources=...) and " + _EARLY_STOP + ".",
    "async_hyperband": "raysweep calls Ray's AsyncHyperBandScheduler 'asha': use scheduler='asha' "
                       "or schedulers.asha(max_t=...).",
    "asynchyperband": "raysweep calls Ray's AsyncHyperBandScheduler 'asha': use scheduler='asha' "
                      "or schedulers.asha(max_t=...).",
    "hb_bohb": "raysweep calls Ray's HyperBandForBOHB 'hyperband_for_bohb': use "
               "scheduler=schedulers.hyperband_for_bohb(max_t=...) with searcher=searchers.bohb().",
}


def asha(
    *,
    max_t: int = 100,
    grace_period: int = 1,
    reduction_factor: float = 4,
    brackets: int = 1,
    time_attr: str = "training_iteration",
    metric: str | None = None,
    stop_on_violation: Sequence[str] = (),
    **unknown: Any,
) -> ASHA:
    """Asynchronous successive halving (Li et al., 2020) over Ray's ``ASHAScheduler``.

    Trials are checked at rungs ``grace_period * reduction_factor**k`` (in ``time_attr`` units) and stopped
    when below the ``1 - 1/reduction_factor`` quantile of their rung; none runs past ``max_t``.
    ``metric`` names the objective trials are ranked by (None: the sweep's ``metric``, its first
    objective). A sweep with several objectives and no ``metric`` runs MO-ASHA: each rung ranked
    by non-dominated sorting over every objective.

    ``stop_on_violation`` (MO-ASHA): constraints of the sweep, each ``<metric> <= <number>`` or
    ``>=``, that are monotone, so a trial that violates one can never satisfy it later: a cumulative
    cost (``time_total_s <= 600``) or a size fixed by the config (``model_mb <= 200``), not a
    measured or learned value (a per-epoch latency, a validation metric). A trial is stopped at its
    first result that violates one, before any rung.
    """
    reject_unknown("schedulers.asha", unknown, ASHA.parameter_names())
    return ASHA(max_t=max_t, grace_period=grace_period, reduction_factor=reduction_factor,
                brackets=brackets, time_attr=time_attr, metric=metric,
                stop_on_violation=tuple(stop_on_violation) if isinstance(stop_on_violation, list | tuple)
                else stop_on_violation)  # type: ignore[arg-type]  # validated by the spec


def hyperband(
    *,
    max_t: int = 81,
    reduction_factor: float = 3,
    time_attr: str = "training_iteration",
    stop_last_trials: bool = True,
    **unknown: Any,
) -> HyperBand:
    """Synchronous HyperBand (Li et al., 2018) over Ray's ``HyperBandScheduler``.

    Trials fill brackets of successive halving (:meth:`HyperBand.brackets`): in a bracket every trial
    runs to the bracket's milestone (in ``time_attr`` units), the best ``1/reduction_factor`` go on to
    the next one and the others stop; none runs past ``max_t`` unless ``stop_last_trials=False``.

    Synchronous: a trial that reaches a milestone is PAUSED (its actor stopped, its resources freed)
    until the rest of its bracket gets there, then resumed from its latest checkpoint. A trainable that
    reports checkpoints (``tune.report(..., checkpoint=...)``, restored with ``tune.get_checkpoint()``;
    a ``tune.Trainable`` class is saved by Tune) continues where it stopped; one that reports none
    restarts from iteration 1 at each promotion: the decisions and the stored results are the same
    (the last report of each iteration is kept), the compute is higher (``raysweep plan`` shows both).
    ASHA (:func:`asha`) never pauses: prefer it unless you need HyperBand's synchronous brackets.
    """
    reject_unknown("schedulers.hyperband", unknown, HyperBand.parameter_names())
    return HyperBand(max_t=max_t, reduction_factor=reduction_factor, time_attr=time_attr,
                     stop_last_trials=stop_last_trials)


def hyperband_for_bohb(
    *,
    max_t: int = 81,
    reduction_factor: float = 3,
    time_attr: str = "training_iteration",
    stop_last_trials: bool = True,
    **unknown: Any,
) -> HyperBandForBOHB:
    """Ray's ``HyperBandForBOHB``, the scheduler half of BOHB: use it with ``searcher=searchers.bohb()``
    (and only with it: the Sweep refuses one without the other). As :func:`hyperband`, it pauses trials
    at milestones and resumes them from their latest checkpoint; it fills the largest bracket first."""
    reject_unknown("schedulers.hyperband_for_bohb", unknown, HyperBandForBOHB.parameter_names())
    return HyperBandForBOHB(max_t=max_t, reduction_factor=reduction_factor, time_attr=time_attr,
                            stop_last_trials=stop_last_trials)


def fifo(**unknown: Any) -> FIFO:
    """Run every trial to its end, first in, first out."""
    reject_unknown("schedulers.fifo", unknown, FIFO.parameter_names())
    return FIFO()


def from_name(value: Any, owner: str = "Sweep") -> SchedulerSpec:
    """Accept a spec, or one of the names 'asha', 'fifo', 'hyperband', 'hyperband_for_bohb' (defaults).

    Ray Tune's other scheduler names ('pbt', 'pb2', 'median_stopping_rule', ...) are refused by name,
    with what to use instead; so is a Ray scheduler object."""
    if isinstance(value, SchedulerSpec):
        return value
    if value is None:
        return FIFO()
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]()
    expected = f"one of {', '.join(map(repr, _BY_NAME))} or a spec from raysweep.schedulers"
    refuse_spec(value, "scheduler", owner, expected, _UNSUPPORTED, "Ray scheduler",
                "scheduler=schedulers.asha(max_t=20, grace_period=2)")


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
