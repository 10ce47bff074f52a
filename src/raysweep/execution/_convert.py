"""Turning raysweep specs into Ray Tune objects: param spaces, searchers and schedulers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hyperopt import hp
from hyperopt.pyll import scope
from ray import tune
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler
from ray.tune.search import ConcurrencyLimiter, SearchAlgorithm, Searcher
from ray.tune.search.basic_variant import BasicVariantGenerator
from ray.tune.search.hyperopt import HyperOptSearch

from raysweep.schedulers import ASHA
from raysweep.searchers import GridSearch, RandomSearch, TPESearch
from raysweep.space import Categorical, Domain, Float, Integer, flatten, grid_values, unflatten
from raysweep.sweep import Sweep

__all__ = ["make_scheduler", "make_search"]


def make_search(sweep: Sweep) -> tuple[dict[str, Any], SearchAlgorithm | Searcher]:
    """The Tuner's ``param_space`` and search algorithm for ``sweep``."""
    spec, cap = sweep.searcher, sweep.concurrency_cap
    if isinstance(spec, GridSearch):
        space = _map_space(sweep.space, lambda d: tune.grid_search(grid_values(d, spec.grid_points)))
        return space, BasicVariantGenerator(max_concurrent=cap or 0)
    if isinstance(spec, RandomSearch):
        space = _map_space(sweep.space, _tune_domain)
        return space, BasicVariantGenerator(max_concurrent=cap or 0, random_state=sweep.searcher_seed)
    if isinstance(spec, TPESearch):
        searcher = _HyperOptSearch(
            space=_map_space(sweep.space, _hyperopt_domain, labelled=True),
            metric=sweep.metric, mode=sweep.mode, n_initial_points=spec.n_initial_points,
            random_state_seed=sweep.searcher_seed, gamma=spec.gamma,
        )
        return {}, ConcurrencyLimiter(searcher, max_concurrent=cap)
    raise TypeError(f"unsupported searcher spec {spec!r}")


def make_scheduler(sweep: Sweep) -> TrialScheduler:
    """Ray's ASHA or FIFO scheduler for ``sweep`` (metric and mode come from the TuneConfig)."""
    spec = sweep.scheduler
    if isinstance(spec, ASHA):
        return ASHAScheduler(
            time_attr=spec.time_attr, max_t=spec.max_t, grace_period=spec.grace_period,
            reduction_factor=spec.reduction_factor, brackets=spec.brackets,
        )
    return FIFOScheduler()


def _map_space(space: Mapping[str, Any], convert, labelled: bool = False) -> dict[str, Any]:
    flat = {}
    for path, value in flatten(space).items():
        if isinstance(value, Domain):
            flat[path] = convert(value, "/".join(path)) if labelled else convert(value)
        else:
            flat[path] = value
    return unflatten(flat)


def _tune_domain(d: Domain):
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


def _hyperopt_domain(d: Domain, label: str):
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


class _HyperOptSearch(HyperOptSearch):
    """Ray's HyperOptSearch, giving back lists where hyperopt turns them into tuples."""

    def suggest(self, trial_id: str) -> dict | None:
        config = super().suggest(trial_id)
        return None if config is None else _lists(config)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value
