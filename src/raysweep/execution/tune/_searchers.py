"""Ray searchers raysweep subclasses (never forks): seeded HyperOpt and Optuna over raysweep spaces."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import hyperopt
from ray.tune.result import TRAINING_ITERATION
from ray.tune.search.hyperopt import HyperOptSearch
from ray.tune.search.optuna import OptunaSearch

from raysweep.execution._internals import hyperopt_preset_points, hyperopt_trials, optuna_trials
from raysweep.space import Categorical, Domain, Float, Integer, flatten, unflatten
from raysweep.warm_start import Seeds, category_index

__all__ = ["HyperOptSeeded", "OptunaCodec", "OptunaSeeded"]

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
                "result": {"loss": self.metric_op * value, "status": hyperopt.STATUS_OK},
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
    """Between a raysweep space and Optuna's flat parameters (keys ``a/b``; categories as indices)."""

    def __init__(self, space: Mapping[str, Any], distributions: Mapping[Path, Any]) -> None:
        self.space = dict(space)
        self.domains = {p: d for p, d in flatten(space).items() if isinstance(d, Domain)}
        self.distributions = {_label(p): dist for p, dist in distributions.items()}

    def encode(self, point: Mapping[Path, Any]) -> dict[str, Any]:
        """Optuna parameters of one earlier trial's dimension values."""
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
        """The full nested config (constants included) of Optuna's parameters."""
        flat: dict[Path, Any] = {}
        for path, leaf in flatten(self.space).items():
            if not isinstance(leaf, Domain):
                flat[path] = leaf
                continue
            value = params[_label(path)]
            if isinstance(leaf, Categorical):
                value = leaf.values[value]
                value = list(value) if isinstance(value, tuple) else value
            elif isinstance(leaf, Integer):
                value = int(value)
            elif isinstance(leaf, Float) and leaf.q is not None:
                value = min(max(round(value / leaf.q) * leaf.q, leaf.lower), leaf.upper)
            flat[path] = value
        return unflatten(flat)


class OptunaSeeded(OptunaSearch):
    """Ray's OptunaSearch over raysweep's conversion: flat Optuna parameters become the nested config,
    constants included (Ray would otherwise split keys on '/' and drop constants).

    With ``stopped_as_pruned``, once linked to the Ray trial ids a scheduler stopped early
    (:class:`RecordingASHA`'s ``stopped_early``), such a trial is told to Optuna as PRUNED at its last
    value instead of COMPLETE (Ray's rule): Optuna's TPE then ranks it below every trial that ran to the
    end.
    """

    def __init__(self, codec: OptunaCodec, stopped_as_pruned: bool = False, **kwargs: Any) -> None:
        self._codec = codec
        self.stopped_as_pruned = stopped_as_pruned
        self._early_stopped: set[str] | None = None
        super().__init__(**kwargs)

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
        return self._codec.decode(optuna_trials(self)[trial_id].params)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        value = None if result is None else result.get(self.metric)
        if isinstance(value, float) and math.isnan(value):
            result = None  # Optuna refuses NaN: the trial counts as failed, not as a score
            error = True
        elif not error and self._early_stopped is not None and trial_id in self._early_stopped:
            # Tune never passed the result ASHA stopped the trial on to on_trial_result: it becomes the
            # last intermediate value, and no value makes Ray tell the trial PRUNED (Optuna scores it there)
            step = None if result is None else result.get(TRAINING_ITERATION)
            live = optuna_trials(self)
            if value is not None and step is not None and trial_id in live:
                live[trial_id].report(value, step)
            result = None
        super().on_trial_complete(trial_id, result, error)
