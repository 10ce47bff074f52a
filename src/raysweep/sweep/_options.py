"""Checks of Sweep's Ray Tune options: ``callbacks``, ``checkpoint`` and ``points_to_evaluate``.

Each returns error messages (all of them, for :func:`raysweep._errors.raise_all`); the values are
plain data or duck-typed objects: nothing here imports Ray.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from typing import Any

from raysweep._errors import invalid_parameter
from raysweep.callbacks import CallbackSpec
from raysweep.checkpoints import Keep
from raysweep.space import Categorical, Domain, conditional_paths, crossed_cells, flatten
from raysweep.warm_start import in_domain

__all__ = ["callbacks_problems", "checkpoint_problems", "is_tune_callback", "points_problems"]

_OWNER = "Sweep"
Path = tuple[str, ...]


def is_tune_callback(value: Any) -> bool:
    """A ``ray.tune.Callback`` instance, duck-typed (its hooks; a class is not an instance)."""
    return (not inspect.isclass(value) and callable(getattr(value, "on_trial_result", None))
            and callable(getattr(value, "setup", None))
            and callable(getattr(value, "on_experiment_end", None)))


def callbacks_problems(value: Any) -> list[str]:
    """``callbacks`` is a list of raysweep callback specs and ``ray.tune.Callback`` instances."""
    expected = "a list of raysweep.callbacks specs and ray.tune.Callback instances"
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        return [invalid_parameter("callbacks", _OWNER, expected, value,
                                  "For example callbacks=[callbacks.mlflow(tracking_uri=...)].")]
    problems = []
    for i, item in enumerate(value):
        if isinstance(item, CallbackSpec) or is_tune_callback(item):
            continue
        fix = ("Pass an instance: MyCallback(), not the class." if inspect.isclass(item)
               else "Use raysweep.callbacks.mlflow(...), .wandb(...), .tensorboard(), or a "
                    "ray.tune.Callback instance.")
        problems.append(invalid_parameter(f"callbacks[{i}]", _OWNER, "a raysweep.callbacks spec or a "
                                          "ray.tune.Callback instance", item, fix))
    names = [item.name for item in value if isinstance(item, CallbackSpec)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(invalid_parameter("callbacks", _OWNER, f"one callbacks.{name}(...) at most",
                                          [n for n in names if n == name],
                                          "Each would log every trial again."))
    return problems


def checkpoint_problems(spec: Keep, metric: Any, trainable_kind: str) -> list[str]:
    """What a checkpoint spec cannot do for this sweep: an unranked score, or Tune-side saving
    (``frequency``, ``at_end``) for anything but a ``tune.Trainable`` class.

    ``trainable_kind``: ``"class"``, ``"function"`` or ``"trainer"`` (a Ray Train trainer).
    """
    problems = []
    if spec.score is not None and spec.order is None and spec.score != metric:
        problems.append(invalid_parameter(
            "checkpoint", _OWNER, "a spec with order='min' or 'max' when score is not the sweep's "
            f"metric ({metric!r})", spec, f"Say how {spec.score!r} ranks: order='min' or 'max'."))
    if trainable_kind == "trainer":
        problems.append(invalid_parameter(
            "checkpoint", _OWNER, "None for a Ray Train trainer", spec,
            "Set the trainer's own RunConfig(checkpoint_config=CheckpointConfig(...)): raysweep "
            "keeps it, and its workers' checkpoints are the ones that count."))
    elif trainable_kind == "function" and (spec.frequency or spec.at_end):
        problems.append(invalid_parameter(
            "checkpoint", _OWNER, "a spec without frequency or at_end for a function trainable",
            spec, "A function reports its checkpoints itself: tune.report(metrics, "
                  "checkpoint=tune.Checkpoint.from_directory(...)) every N iterations or at its "
                  "end. frequency and at_end are for a tune.Trainable class."))
    return problems


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _flat(point: Mapping[str, Any], leaves: Mapping[Path, Any], prefix: Path = ()) -> dict[Path, Any]:
    """The point's values by path, descending only where the space itself nests."""
    out: dict[Path, Any] = {}
    for key, value in point.items():
        path = (*prefix, str(key))
        nested = any(len(p) > len(path) and p[: len(path)] == path for p in leaves)
        if isinstance(value, Mapping) and nested:
            out.update(_flat(value, leaves, path))
        else:
            out[path] = value
    return out


def _value_problem(where: str, path: Path, leaf: Any, value: Any) -> str | None:
    name = ".".join(path)
    if isinstance(leaf, Domain):
        if in_domain(leaf, value):
            return None
        expected = (f"one of {list(leaf.values)!r}" if isinstance(leaf, Categorical)
                    else f"a value of {leaf!r}")
        return invalid_parameter(f"{where}[{name!r}]", _OWNER, expected, value,
                                 "Each point must lie in the space.")
    if _key(leaf) == _key(value):
        return None
    return invalid_parameter(f"{where}[{name!r}]", _OWNER, f"the space's constant {leaf!r} or left out",
                             value)


def _points_unsupported(points: Sequence[Any], space: Mapping[str, Any], searcher: str) -> str | None:
    """Why points cannot be given for this space yet: a conditional space, or ``space.grid`` cells that
    TPE and Optuna search one searcher per cell (a point belongs to one cell)."""
    if conditional_paths(space):
        return invalid_parameter(
            "points_to_evaluate", _OWNER, "empty with a conditional space (not supported yet)",
            list(points), "Pin the branch instead: run a sweep over that branch's sub-space with "
            "the points.")
    if searcher in ("tpe", "optuna") and len(crossed_cells(space)) > 1:
        return invalid_parameter(
            "points_to_evaluate", _OWNER, f"empty when space.grid dimensions are crossed with "
            f"{searcher!r} samples (not supported yet)", list(points),
            "Use space.choice for those dimensions, or search with 'random', which takes points "
            "with grid cells.")
    return None


def points_problems(points: Any, space: Mapping[str, Any], searcher: str, n_trials: int) -> list[str]:
    """Every problem of ``points_to_evaluate`` at once: unknown keys, missing dimensions, values
    outside their dimension, constants changed, more points than trials, or a grid searcher."""
    if points is None:
        return []
    if isinstance(points, str | bytes | Mapping) or not isinstance(points, Sequence):
        return [invalid_parameter("points_to_evaluate", _OWNER, "a list of configs (dicts over the "
                                  "space's keys)", points, "For example points_to_evaluate="
                                  "[{'lr': 0.01, 'dim': 32}].")]
    if not points:
        return []
    if searcher == "grid":
        return [invalid_parameter(
            "points_to_evaluate", _OWNER, "empty with the 'grid' searcher", list(points),
            "Grid search already runs every cell; add the values to the grid's dimensions, or "
            "search with 'random', 'tpe' or 'optuna', which run these points first.")]
    unsupported = _points_unsupported(points, space, searcher)
    if unsupported is not None:
        return [unsupported]
    leaves = flatten(space)
    problems: list[str] = []
    if len(points) > n_trials:
        problems.append(invalid_parameter(
            "points_to_evaluate", _OWNER, f"at most num_samples={n_trials} points", len(points),
            "The points are the first trials: raise num_samples or drop points."))
    for i, point in enumerate(points):
        where = f"points_to_evaluate[{i}]"
        if not isinstance(point, Mapping) or not all(isinstance(k, str) for k in point):
            problems.append(invalid_parameter(where, _OWNER, "a dict over the space's keys", point))
            continue
        values = _flat(point, leaves)
        for path in values.keys() - leaves.keys():
            problems.append(invalid_parameter(
                where, _OWNER, f"keyed by the space's keys ({', '.join('.'.join(p) for p in leaves)})",
                ".".join(path), "Drop the key or add it to the space."))
        missing = [p for p, leaf in leaves.items() if isinstance(leaf, Domain) and p not in values]
        if missing:
            problems.append(invalid_parameter(
                where, _OWNER, "a value for every dimension of the space", point,
                f"It lacks {', '.join(repr('.'.join(p)) for p in missing)}."))
        for path, value in values.items():
            if path in leaves:
                problem = _value_problem(where, path, leaves[path], value)
                if problem:
                    problems.append(problem)
    return problems
