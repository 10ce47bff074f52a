"""raysweep spaces as Ray Tune param spaces, hyperopt expressions and Optuna distributions.

Conditional dimensions become ``tune.choice`` over converted sub-spaces (Ray's variant generator
samples a chosen branch's domains), ``hp.choice`` over sub-spaces, and Optuna's define-by-run
(:class:`raysweep.execution.tune._searchers.OptunaCodec`). ``space.grid`` dimensions become
``tune.grid_search`` for random search: Ray crosses them with ``num_samples``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import optuna
from hyperopt import hp
from hyperopt.pyll import scope
from ray import tune

from raysweep.space import Categorical, Conditional, Domain, Float, Integer, flatten, unflatten

__all__ = ["hyperopt_domain", "map_space", "optuna_distribution", "tune_domain"]


def map_space(space: Mapping[str, Any], convert: Callable[..., Any], labelled: bool = False,
              prefix: str = "") -> dict[str, Any]:
    """``space`` with every dimension converted (``convert(d)``, or ``convert(d, label)`` where the
    label is ``prefix`` + the path joined with '/'); constants kept."""
    flat = {}
    for path, value in flatten(space).items():
        if isinstance(value, Domain):
            flat[path] = convert(value, prefix + "/".join(path)) if labelled else convert(value)
        else:
            flat[path] = value
    return unflatten(flat)


def tune_domain(d: Domain) -> Any:
    """Ray Tune's domain for ``d`` (random search)."""
    if isinstance(d, Conditional):
        return tune.choice([map_space(branch, tune_domain) for branch in d.branches])
    if isinstance(d, Categorical):
        return tune.grid_search(list(d.values)) if d.grid else tune.choice(list(d.values))
    if isinstance(d, Float):
        if d.q is None:
            return tune.loguniform(d.lower, d.upper) if d.log else tune.uniform(d.lower, d.upper)
        if d.log:
            return tune.qloguniform(d.lower, d.upper, d.q)
        return tune.quniform(d.lower, d.upper, d.q)
    if isinstance(d, Integer):
        if d.log:
            return tune.lograndint(d.low, d.high + 1)
        if d.q is not None and d.q > 1:
            return tune.qrandint(d.low, d.high, d.q)
        return tune.randint(d.low, d.high + 1)  # Ray's qrandint(lo, hi, 1) would exclude hi
    raise TypeError(f"unknown dimension {d!r}")


def hyperopt_domain(d: Domain, label: str) -> Any:
    """hyperopt expressions; built here because Ray's converter has no qrandint or lograndint. A
    conditional's branch ``i`` labels its dimensions ``<label>.<i>/<path>`` ('.' is never in a key)."""
    if isinstance(d, Conditional):
        return hp.choice(label, [map_space(b, hyperopt_domain, labelled=True, prefix=f"{label}.{i}/")
                                 for i, b in enumerate(d.branches)])
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
        if d.q is not None:  # the multiples of q inside [low, high]: bounds snapped inwards
            low, high = math.ceil(d.low / d.q) * d.q, math.floor(d.high / d.q) * d.q
            return scope.int(hp.quniform(label, low, high, d.q))
        return scope.int(hp.quniform(label, d.low - 0.499, d.high + 0.499, 1))
    raise TypeError(f"unknown dimension {d!r}")


def optuna_distribution(d: Domain) -> optuna.distributions.BaseDistribution:
    """Optuna distributions; built here because Ray's converter has no log-quantised floats. Categories
    are indices (Optuna's choices must be plain scalars), a conditional's too (its branch); quantised log
    floats are sampled log-uniform and rounded by ``OptunaCodec`` (Optuna forbids a step on a log
    scale)."""
    dist = optuna.distributions
    if isinstance(d, Conditional):
        return dist.CategoricalDistribution(list(range(len(d.branches))))
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
