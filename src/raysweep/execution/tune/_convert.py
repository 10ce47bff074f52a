"""Turning raysweep specs into Ray Tune objects: param spaces, searchers and schedulers.

One registry per kind of spec: ``@_searcher(SpecType)`` / ``@_scheduler(SpecType)`` register the function that
builds the Ray object. Adding a searcher means a spec in ``raysweep.searchers`` plus one function here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import optuna
import ray
from hyperopt import hp
from hyperopt.pyll import scope
from ray import tune
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import ConcurrencyLimiter, SearchAlgorithm, Searcher
from ray.tune.search.basic_variant import BasicVariantGenerator

from raysweep.execution.cluster._resources import cluster_nodes
from raysweep.execution.tune._asha import RecordingASHA, recording_scheduler
from raysweep.execution.tune._searchers import HyperOptSeeded, OptunaCodec, OptunaSeeded
from raysweep.schedulers import ASHA, FIFO, SchedulerSpec
from raysweep.searchers import GridSearch, OptunaSearch, RandomSearch, SearcherSpec, TPESearch
from raysweep.space import Categorical, Domain, Float, Integer, flatten, grid_values, unflatten
from raysweep.sweep import Sweep, pack_trials
from raysweep.warm_start import Seeds, collect

__all__ = [
    "concurrency", "link_early_stops", "load_seeds", "make_scheduler", "make_search", "scheduler_types",
    "searcher_types",
]

Search = tuple[dict[str, Any], SearchAlgorithm | Searcher]
_SEARCHERS: dict[type[SearcherSpec], Callable[[Sweep, Any, Seeds | None], Search]] = {}
_SCHEDULERS: dict[type[SchedulerSpec], Callable[[Any], TrialScheduler]] = {}


_MakeSearch = Callable[[Sweep, Any, Seeds | None], Search]
_MakeScheduler = Callable[[Any], TrialScheduler]


def _searcher(spec_type: type[SearcherSpec]) -> Callable[[_MakeSearch], _MakeSearch]:
    def register(make: _MakeSearch) -> _MakeSearch:
        _SEARCHERS[spec_type] = make
        return make
    return register


def _scheduler(spec_type: type[SchedulerSpec]) -> Callable[[_MakeScheduler], _MakeScheduler]:
    def register(make: _MakeScheduler) -> _MakeScheduler:
        _SCHEDULERS[spec_type] = make
        return make
    return register


def searcher_types() -> tuple[type[SearcherSpec], ...]:
    """The searcher spec types execution can convert."""
    return tuple(_SEARCHERS)


def scheduler_types() -> tuple[type[SchedulerSpec], ...]:
    """The scheduler spec types execution can convert."""
    return tuple(_SCHEDULERS)


def load_seeds(sweep: Sweep, root: str | None) -> Seeds | None:
    """The earlier trials that warm-start ``sweep`` (None without a warm start)."""
    if sweep.warm_start is None:
        return None
    return collect(sweep.warm_start, sweep.space, sweep.metric, str(sweep.mode), root)


def make_search(sweep: Sweep, seeds: Seeds | None = None) -> Search:
    """The Tuner's ``param_space`` and search algorithm for ``sweep``, seeded with ``seeds``."""
    spec = sweep.searcher_spec
    make = _SEARCHERS.get(type(spec))
    if make is None:
        raise TypeError(f"no Ray conversion registered for searcher spec {sweep.searcher!r}")
    return make(sweep, spec, seeds)


def link_early_stops(search_alg: SearchAlgorithm | Searcher, scheduler: TrialScheduler) -> None:
    """Give an Optuna searcher that tells early-stopped trials apart the set ASHA keeps of them."""
    searcher = getattr(search_alg, "searcher", search_alg)  # inside its ConcurrencyLimiter
    asha = recording_scheduler(scheduler)
    if isinstance(searcher, OptunaSeeded) and searcher.stopped_as_pruned and asha is not None:
        searcher.link_early_stops(asha.stopped_early)


def make_scheduler(sweep: Sweep) -> TrialScheduler:
    """Ray's scheduler for ``sweep`` (metric and mode come from the TuneConfig)."""
    spec = sweep.scheduler_spec
    make = _SCHEDULERS.get(type(spec))
    if make is None:
        raise TypeError(f"no Ray conversion registered for scheduler spec {spec!r}")
    return make(spec)


# Searchers.

@_searcher(GridSearch)
def _grid(sweep: Sweep, spec: GridSearch, seeds: Seeds | None) -> Search:
    space = _map_space(sweep.space, lambda d: tune.grid_search(grid_values(d, spec.grid_points)))
    return space, BasicVariantGenerator(max_concurrent=concurrency(sweep) or 0)


@_searcher(RandomSearch)
def _random(sweep: Sweep, spec: RandomSearch, seeds: Seeds | None) -> Search:
    space = _map_space(sweep.space, _tune_domain)
    points = [_full_config(sweep.space, p) for p in sweep.points_to_evaluate or ()]
    return space, BasicVariantGenerator(max_concurrent=concurrency(sweep) or 0,
                                        random_state=sweep.searcher_seed,
                                        points_to_evaluate=points or None)


@_searcher(TPESearch)
def _tpe(sweep: Sweep, spec: TPESearch, seeds: Seeds | None) -> Search:
    searcher = HyperOptSeeded(
        space=_map_space(sweep.space, _hyperopt_domain, labelled=True),
        metric=sweep.metric, mode=sweep.mode, n_initial_points=spec.startup_trials(sweep.n_trials),
        random_state_seed=sweep.searcher_seed, gamma=spec.gamma,
    )
    if sweep.points_to_evaluate:  # before the seeds: the points are the first trials suggested
        searcher.add_points([_point(sweep.space, p) for p in sweep.points_to_evaluate], sweep.space)
    if seeds is not None and seeds.n:
        searcher.add_seeds(seeds, sweep.space)
    return {}, ConcurrencyLimiter(searcher, max_concurrent=concurrency(sweep) or 1)


@_searcher(OptunaSearch)
def _optuna(sweep: Sweep, spec: OptunaSearch, seeds: Seeds | None) -> Search:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    codec = OptunaCodec(sweep.space, {path: _optuna_distribution(d)
                                      for path, d in flatten(sweep.space).items()
                                      if isinstance(d, Domain)})
    with warnings.catch_warnings():  # multivariate / constant_liar are "experimental" in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=sweep.searcher_seed, n_startup_trials=spec.n_startup_trials,
            multivariate=spec.multivariate, constant_liar=spec.constant_liar,
        )
    # The points are enqueued (Optuna asks them first); the warm-start seeds are told as finished
    # trials (Ray's evaluated_rewards would take the points for seeds: one list or the other).
    points = [codec.encode(_point(sweep.space, p)) for p in sweep.points_to_evaluate or ()]
    searcher = OptunaSeeded(
        codec, stopped_as_pruned=spec.stopped_as_pruned, space=codec.distributions, metric=sweep.metric,
        mode=sweep.mode, sampler=sampler, points_to_evaluate=points or None,
    )
    if seeds is not None and seeds.n:
        for point, value in zip(seeds.points, seeds.values, strict=True):
            searcher.add_evaluated_point(codec.encode(point), value)
    # No cap of its own: as many trials as fit run at once (Tune keeps a searcher without a limiter to one
    # trial at a time, so the limiter is set to what the cluster holds when the sweep starts).
    cap = concurrency(sweep) or _trials_that_fit(sweep)
    return {}, ConcurrencyLimiter(searcher, max_concurrent=cap)


def concurrency(sweep: Sweep) -> int | None:
    """The cap on trials in flight: the sweep's own (``max_concurrent`` or its searcher's), and for
    a Ray Train trainer at most the trials whose workers the cluster holds at once.

    A trainer's trial reserves (almost) nothing itself and its workers wait for a placement group
    of their own: without this cap Tune would start every trial at once, each holding a searcher
    slot and a scheduler rung while its workers wait behind the others'.
    """
    cap = sweep.concurrency_cap
    if sweep.trainer is None:
        return cap
    fit = _trials_that_fit(sweep)
    return fit if cap is None else min(cap, fit)


def _trials_that_fit(sweep: Sweep) -> int:
    """Trials of ``sweep`` the running Ray cluster holds at once, node by node (1 when Ray is not
    started, or when not one fits: the fit check has failed the launch before then)."""
    if not ray.is_initialized():
        return 1
    nodes = [node["resources"] for node in cluster_nodes()]
    return max(1, pack_trials(sweep.trial_bundles, nodes, max(sweep.n_trials, 1)) or sweep.n_trials)


# Schedulers.

@_scheduler(ASHA)
def _asha(spec: ASHA) -> TrialScheduler:
    # Ray's ASHA, recording each rung decision for the store's ``rungs`` dataset (_asha.py).
    return RecordingASHA(
        time_attr=spec.time_attr, max_t=spec.max_t, grace_period=spec.grace_period,
        reduction_factor=spec.reduction_factor, brackets=spec.brackets,
    )


@_scheduler(FIFO)
def _fifo(spec: FIFO) -> TrialScheduler:
    return FIFOScheduler()


# Spaces.

def _point(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    """A ``points_to_evaluate`` config's dimension values by path (validated by the Sweep: every
    dimension has a value inside its domain)."""
    return {path: _at(config, path) for path, leaf in flatten(space).items() if isinstance(leaf, Domain)}


def _at(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = config
    for key in path:
        value = value[key]
    return value


def _full_config(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config of a point with the space's constants filled in (a point may leave them out)."""
    flat = {path: leaf for path, leaf in flatten(space).items() if not isinstance(leaf, Domain)}
    flat.update(_point(space, config))
    return unflatten(flat)


def _map_space(space: Mapping[str, Any], convert: Callable[..., Any],
               labelled: bool = False) -> dict[str, Any]:
    flat = {}
    for path, value in flatten(space).items():
        if isinstance(value, Domain):
            flat[path] = convert(value, "/".join(path)) if labelled else convert(value)
        else:
            flat[path] = value
    return unflatten(flat)


def _tune_domain(d: Domain) -> Any:
    if isinstance(d, Categorical):
        return tune.choice(list(d.values))
    if isinstance(d, Float):
        if d.q is None:
            return tune.loguniform(d.lower, d.upper) if d.log else tune.uniform(d.lower, d.upper)
        if d.log:
            return tune.qloguniform(d.lower, d.upper, d.q)
        return tune.quniform(d.lower, d.upper, d.q)
    if isinstance(d, Integer):
        if d.log:
            return tune.lograndint(d.low, d.high + 1)
        if d.q is not None:
            return tune.qrandint(d.low, d.high, d.q)
        return tune.randint(d.low, d.high + 1)
    raise TypeError(f"unknown dimension {d!r}")


def _hyperopt_domain(d: Domain, label: str) -> Any:
    """hyperopt expressions; built here because Ray's converter has no qrandint or lograndint."""
    if isinstance(d, Categorical):
        return hp.choice(label, list(d.values))
    if isinstance(d, Float):
        if d.log:
            lo, hi = math.log(d.lower), math.log(d.upper)
            return hp.loguniform(label, lo, hi) if d.q is None else hp.qloguniform(label, lo, hi, d.q)
        return hp.uniform(label, d.lower, d.upper) if d.q is None else hp.quniform(
            label, d.lower, d.upper, d.q)
    if isinstance(d, Integer):
        if d.log:
            return scope.int(hp.qloguniform(label, math.log(d.low), math.log(d.high + 0.499), 1))
        if d.q is not None:
            return scope.int(hp.quniform(label, d.low, d.high, d.q))
        return scope.int(hp.quniform(label, d.low - 0.499, d.high + 0.499, 1))
    raise TypeError(f"unknown dimension {d!r}")


def _optuna_distribution(d: Domain) -> optuna.distributions.BaseDistribution:
    """Optuna distributions; built here because Ray's converter has no log-quantised floats. Categories
    are indices (Optuna's choices must be plain scalars); quantised log floats are sampled log-uniform and
    rounded by :class:`OptunaCodec` (Optuna forbids a step on a log scale)."""
    dist = optuna.distributions
    if isinstance(d, Categorical):
        return dist.CategoricalDistribution(list(range(len(d.values))))
    if isinstance(d, Float):
        step = None if d.log else d.q
        return dist.FloatDistribution(d.lower, d.upper, log=d.log, step=step)
    if isinstance(d, Integer):
        if d.log:
            return dist.IntDistribution(d.low, d.high, log=True)
        if d.q is not None:
            if d.low % d.q == 0 and (d.high - d.low) % d.q == 0:
                return dist.IntDistribution(d.low, d.high, step=d.q)
            return dist.CategoricalDistribution(
                [v for v in range(d.low, d.high + 1) if v % d.q == 0])
        return dist.IntDistribution(d.low, d.high)
    raise TypeError(f"unknown dimension {d!r}")
