"""Ray searchers raysweep subclasses (never forks): seeded HyperOpt, Optuna and BOHB over raysweep spaces."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import hyperopt
import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from ray.tune.result import TRAINING_ITERATION
from ray.tune.search.hyperopt import HyperOptSearch
from ray.tune.search.optuna import OptunaSearch

from raysweep.execution._internals import (
    hyperopt_preset_points,
    hyperopt_trials,
    optuna_constraints_key,
    optuna_study,
    optuna_trials,
)
from raysweep.execution.tune._constraints import CONSTRAINTS_ATTR, Constraints
from raysweep.space import Categorical, Conditional, Domain, Float, Integer, flatten, unflatten
from raysweep.warm_start import Seeds, category_index

__all__ = ["HyperOptSeeded", "OptunaCodec", "OptunaSeeded", "PicklableNSGAII", "bohb_searcher"]

Path = tuple[str, ...]


def _label(path: Path) -> str:
    return "/".join(path)


class HyperOptSeeded(HyperOptSearch):
    """Ray's HyperOptSearch that takes already evaluated trials into its ``Trials`` and gives back lists
    where hyperopt turns them into tuples."""

    def add_points(self, points: list[Mapping[Path, Any]], space: Mapping[str, Any]) -> None:
        """Make ``points`` (dimension values by path) the first trials suggested, in order; TPE
        models each once its result is in. Call before :meth:`add_seeds`."""
        domains = {p: d for p, d in flatten(space).items() if isinstance(d, Domain)}
        hyperopt_preset_points(self, [
            {_label(path): category_index(domain, point[path]) if isinstance(domain, Categorical)
             else point[path] for path, domain in domains.items()}
            for point in points])

    def add_seeds(self, seeds: Seeds, space: Mapping[str, Any]) -> None:
        """Insert ``seeds`` as finished hyperopt trials: TPE models them and counts them toward its
        random start-up phase; they are never suggested again."""
        domains = {p: d for p, d in flatten(space).items() if isinstance(d, Domain)}
        trials = hyperopt_trials(self)
        tids = trials.new_trial_ids(seeds.n)
        docs = []
        for tid, point, value in zip(tids, seeds.points, seeds.values, strict=True):
            vals = {}
            for path, domain in domains.items():
                raw = point[path]
                vals[_label(path)] = [category_index(domain, raw) if isinstance(domain, Categorical)
                                      else raw]
            docs.append({
                "state": hyperopt.JOB_STATE_DONE, "tid": tid, "spec": None,
                # one objective: the Sweep refuses TPE with several
                "result": {"loss": self.metric_op * float(value),  # type: ignore[arg-type]
                           "status": hyperopt.STATUS_OK},
                "misc": {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
                         "idxs": {k: [tid] for k in vals}, "vals": vals},
                "exp_key": None, "owner": None, "version": 0, "book_time": None, "refresh_time": None,
            })
        trials.insert_trial_docs(docs)
        trials.refresh()

    def suggest(self, trial_id: str) -> dict | None:
        config = super().suggest(trial_id)
        return None if config is None else _lists(config)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


class OptunaCodec:
    """Between a raysweep space and Optuna's flat parameters (keys ``a/b``; categories as indices).

    A conditional dimension labelled ``L`` is a categorical parameter ``L`` (the branch index); the
    parameters of its branch ``i`` are labelled ``L.i/<path>``, and exist only when branch ``i`` is
    chosen: such a space is searched define-by-run (:meth:`define_by_run`).
    """

    def __init__(self, space: Mapping[str, Any],
                 distribution: Callable[[Domain], BaseDistribution]) -> None:
        self.space = dict(space)
        self.domains = {p: d for p, d in flatten(space).items() if isinstance(d, Domain)}
        self.distribution = distribution
        self.distributions = {_label(p): distribution(d) for p, d in self.domains.items()}
        self.conditional = any(isinstance(d, Conditional) for d in self.domains.values())

    def encode(self, point: Mapping[Path, Any]) -> dict[str, Any]:
        """Optuna parameters of one earlier trial's dimension values (a space without conditionals)."""
        out: dict[str, Any] = {}
        for path, domain in self.domains.items():
            value = point[path]
            if isinstance(domain, Categorical):
                out[_label(path)] = category_index(domain, value)
            elif isinstance(domain, Integer):
                out[_label(path)] = int(value)
            else:
                out[_label(path)] = float(value)
        return out

    def decode(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The full nested config (constants included; a conditional's active branch only) of Optuna's
        parameters."""
        return self.walk(self.space, "", lambda label, _domain: params[label])

    def define_by_run(self) -> OptunaDefineByRun:
        """The define-by-run function for Ray's OptunaSearch (picklable, as Ray saves the searcher)."""
        return OptunaDefineByRun(self)

    def walk(self, space: Mapping[str, Any], prefix: str,
             value_of: Callable[[str, Domain], Any]) -> dict[str, Any]:
        """The nested config of ``space``, each dimension's raw Optuna value given by ``value_of(label,
        domain)`` (a conditional's: its branch index, whose sub-space is walked next)."""
        flat: dict[Path, Any] = {}
        for path, leaf in flatten(space).items():
            if not isinstance(leaf, Domain):
                flat[path] = leaf
                continue
            label = prefix + _label(path)
            value = value_of(label, leaf)
            if isinstance(leaf, Conditional):
                value = self.walk(leaf.branches[value], f"{label}.{value}/", value_of)
            elif isinstance(leaf, Categorical):
                value = leaf.values[value]
                value = list(value) if isinstance(value, tuple) else value
            elif isinstance(leaf, Integer):
                value = int(value)
            elif isinstance(leaf, Float) and leaf.q is not None:
                value = min(max(round(value / leaf.q) * leaf.q, leaf.lower), leaf.upper)
            flat[path] = value
        return unflatten(flat)


class OptunaDefineByRun:
    """Suggests a (conditional) space's parameters on an Optuna trial: a chosen branch's only."""

    def __init__(self, codec: OptunaCodec) -> None:
        self.codec = codec

    def __call__(self, trial: Any) -> None:
        self.codec.walk(self.codec.space, "",
                         lambda label, d: _suggest(trial, label, self.codec.distribution(d)))


def _suggest(trial: Any, label: str, dist: BaseDistribution) -> Any:
    """One parameter through Optuna's public ``suggest_*`` API (Ray captures those calls)."""
    if isinstance(dist, optuna.distributions.FloatDistribution):
        return trial.suggest_float(label, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, optuna.distributions.IntDistribution):
        return trial.suggest_int(label, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        return trial.suggest_categorical(label, list(dist.choices))
    raise TypeError(f"unknown Optuna distribution {dist!r}")


class OptunaSeeded(OptunaSearch):
    """Ray's OptunaSearch over raysweep's conversion: flat Optuna parameters become the nested config,
    constants included (Ray would otherwise split keys on '/' and drop constants).

    With several objectives (``metric`` and ``mode`` lists) Optuna's study has one direction per
    objective and every ended trial is told all its values. With ``constraints``, each trial that
    ended is given its constraint values (<= 0: holds) before it is told, which the sampler's
    ``constraints_func`` (:func:`stored_constraints`) hands to Optuna: infeasible trials rank behind
    feasible ones. Constraints read the trial's last value of every metric it reported and its config.

    With ``stopped_as_pruned``, once linked to the Ray trial ids a scheduler stopped early
    (:class:`RecordingASHA`'s ``stopped_early``), such a trial is told to Optuna as PRUNED at its last
    value instead of COMPLETE (Ray's rule): Optuna's TPE then ranks it below every trial that ran to the
    end.
    """

    def __init__(self, codec: OptunaCodec, stopped_as_pruned: bool = False,
                 constraints: Constraints | None = None, **kwargs: Any) -> None:
        self._codec = codec
        self.stopped_as_pruned = stopped_as_pruned
        self._early_stopped: set[str] | None = None
        self.constraints = constraints or Constraints(())
        self._seen: dict[str, dict[str, Any]] = {}  # Ray trial id -> every metric's last value
        self._configs: dict[str, dict[str, Any]] = {}
        super().__init__(**kwargs)

    @property
    def objectives(self) -> list[str]:
        return list(self.metric) if isinstance(self.metric, list | tuple) else [self.metric]

    def add_seed(self, params: dict[str, Any], values: Sequence[float],
                 constraints: Sequence[float] | None = None) -> None:
        """An earlier trial, told to Optuna as finished with every objective's value (and its
        constraint values): the sampler models it; it is never suggested again."""
        system_attrs = {optuna_constraints_key(): list(constraints)} if constraints else None
        trial = optuna.trial.create_trial(
            state=optuna.trial.TrialState.COMPLETE, values=[float(v) for v in values], params=params,
            distributions=self._codec.distributions, system_attrs=system_attrs,
            user_attrs={CONSTRAINTS_ATTR: list(constraints)} if constraints else None)
        optuna_study(self).add_trial(trial)

    def link_early_stops(self, stopped: set[str]) -> None:
        """Read which trials were stopped early from ``stopped`` (kept up to date by the scheduler)."""
        self._early_stopped = stopped

    def restore(self, checkpoint_path: str) -> None:
        # Ray restores every attribute saved with the searcher: keep the live link to the scheduler's set
        early_stopped = self._early_stopped
        super().restore(checkpoint_path)
        self._early_stopped = early_stopped

    def suggest(self, trial_id: str) -> dict | None:
        if super().suggest(trial_id) is None:
            return None
        config = self._codec.decode(optuna_trials(self)[trial_id].params)
        if self.constraints:
            self._configs[trial_id] = config
        return config

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if self.constraints:
            self._seen.setdefault(trial_id, {}).update(result)
        super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        values = [None if result is None else result.get(m) for m in self.objectives]
        seen = {**self._seen.pop(trial_id, {}), **(result or {})}
        config = self._configs.pop(trial_id, {})
        if any(isinstance(v, float) and math.isnan(v) for v in values):
            result = None  # Optuna refuses NaN: the trial counts as failed, not as a score
            error = True
        if not error and self.constraints and trial_id in optuna_trials(self):
            optuna_trials(self)[trial_id].set_user_attr(CONSTRAINTS_ATTR,
                                                        self.constraints.values(seen, config))
        value = values[0]
        if not error and self._early_stopped is not None and trial_id in self._early_stopped:
            # Tune never passed the result ASHA stopped the trial on to on_trial_result: it becomes the
            # last intermediate value, and no value makes Ray tell the trial PRUNED (Optuna scores it there)
            step = None if result is None else result.get(TRAINING_ITERATION)
            live = optuna_trials(self)
            if value is not None and step is not None and trial_id in live:
                live[trial_id].report(value, step)
            result = None
        super().on_trial_complete(trial_id, result, error)


_LOCK = type(threading.Lock())


class PicklableNSGAII(optuna.samplers.NSGAIISampler):
    """Optuna's NSGA-II sampler that pickles (Tune pickles the searcher with its study): the thread
    locks Optuna's genetic samplers hold are left out and made anew when it is unpickled."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        locks = [key for key, value in state.items() if isinstance(value, _LOCK)]
        for key in locks:
            state[key] = None
        state["_raysweep_locks"] = locks
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        locks = state.pop("_raysweep_locks", [])
        self.__dict__.update(state)
        for key in locks:
            self.__dict__[key] = threading.Lock()


def _bohb_base() -> Any:
    from ray.tune.search.bohb import TuneBOHB

    return TuneBOHB


def bohb_searcher(space: Mapping[str, Any], seed: int, metric: str, mode: str | None,
                  max_concurrent: int) -> Any:
    """Ray's ``TuneBOHB`` over a raysweep space (float, integer and categorical dimensions: the Sweep
    refuses the rest), built when hpbandster and ConfigSpace are installed."""
    base = _bohb_base()

    class BOHBCoded(base):  # type: ignore[valid-type, misc]
        """TuneBOHB over a ConfigSpace built from the raysweep space: one hyperparameter per dimension
        (``p0``, ``p1``, ... : a path may hold any character), categories by index (ConfigSpace's
        choices must be plain scalars), constants filled in when a config is suggested.

        HpBandSter draws from numpy's global generator: each call into it runs on a generator of its
        own, seeded with ``seed``, so a sweep's suggestions repeat for the same results (and the
        driver's global numpy state is left as it was)."""

        def __init__(self, codec: _BOHBCodec, seed: int, **kwargs: Any) -> None:
            self.codec = codec
            self._rng = np.random.RandomState(seed).get_state()
            self._own_rng(lambda: base.__init__(self, space=codec.config_space(), seed=seed, **kwargs))

        def _own_rng(self, call: Callable[[], Any]) -> Any:
            outer = np.random.get_state()
            np.random.set_state(self._rng)
            try:
                with warnings.catch_warnings():  # HpBandSter calls ConfigSpace 1.x's deprecated names
                    warnings.filterwarnings("ignore", category=DeprecationWarning, module="hpbandster")
                    return call()
            finally:
                self._rng = np.random.get_state()
                np.random.set_state(outer)

        def suggest(self, trial_id: str) -> dict | None:
            config = self._own_rng(lambda: base.suggest(self, trial_id))
            return None if config is None else self.codec.decode(config)

        def on_trial_result(self, trial_id: str, result: dict) -> None:
            self._own_rng(lambda: base.on_trial_result(self, trial_id, result))

    BOHBCoded.__qualname__ = BOHBCoded.__name__ = "BOHBCoded"
    return BOHBCoded(_BOHBCodec(space), seed, metric=metric, mode=mode, max_concurrent=max_concurrent)


class _BOHBCodec:
    """A raysweep space as ConfigSpace hyperparameters ``p<i>``, and a ConfigSpace config back."""

    def __init__(self, space: Mapping[str, Any]) -> None:
        leaves = flatten(space)
        self.domains: dict[Path, Domain] = {p: d for p, d in leaves.items() if isinstance(d, Domain)}
        self.constants = {p: v for p, v in leaves.items() if not isinstance(v, Domain)}
        self.names = {path: f"p{i}" for i, path in enumerate(self.domains)}

    def config_space(self) -> Any:
        import ConfigSpace as CS

        cs = CS.ConfigurationSpace()
        for path, d in self.domains.items():
            name = self.names[path]
            if isinstance(d, Categorical):
                cs.add(CS.CategoricalHyperparameter(name, choices=list(range(len(d.values)))))
            elif isinstance(d, Float):
                cs.add(CS.UniformFloatHyperparameter(name, lower=d.lower, upper=d.upper, log=d.log))
            elif isinstance(d, Integer):
                cs.add(CS.UniformIntegerHyperparameter(name, lower=d.low, upper=d.high, log=d.log))
            else:  # refused by the Sweep (conditional)
                raise TypeError(f"BOHB takes no {type(d).__name__} dimension ({'.'.join(path)})")
        return cs

    def decode(self, config: Mapping[str, Any]) -> dict[str, Any]:
        flat: dict[Path, Any] = dict(self.constants)
        for path, d in self.domains.items():
            value = config[self.names[path]]
            if isinstance(d, Categorical):
                flat[path] = d.values[int(value)]
            elif isinstance(d, Integer):
                flat[path] = int(value)
            else:
                flat[path] = float(value)
        return unflatten(flat)
