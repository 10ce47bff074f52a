"""The checks of a sweep's objectives and constraints (``Sweep(metric=[...], mode=[...],
constraints=[...])``): which searchers and schedulers take several objectives, and the constraints'
language (``best --where``'s)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from raysweep._errors import RaysweepError, invalid_parameter
from raysweep.sweep._checks import metric_and_mode

_OWNER = "Sweep"


def objectives(metric: Any, mode: Any) -> tuple[list[str], tuple[Any, ...]]:
    """The problems of ``metric``/``mode`` (one name and mode, or equal-length lists of them) and,
    when there are none, the sweep's objectives as :class:`raysweep.results.Objective`."""
    from raysweep.results import Objective

    if not isinstance(metric, list | tuple):
        if isinstance(mode, list | tuple):
            return [invalid_parameter(
                "mode", _OWNER, "one of 'min', 'max' for the one metric", mode,
                f"Give metric a list too for several objectives, e.g. metric=[{metric!r}, ...].")], ()
        errors = metric_and_mode(metric, mode)
        return errors, () if errors else (Objective(metric, mode),)
    names, modes = list(metric), mode
    errors = []
    if not names:
        errors.append(invalid_parameter("metric", _OWNER, "a metric name or a list of at least one",
                                        metric, "For example metric=['val_ndcg', 'model_mb']."))
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name:
            errors.append(invalid_parameter(f"metric[{i}]", _OWNER, "the name of a reported metric",
                                            name))
    repeated = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
    if repeated:
        errors.append(invalid_parameter("metric", _OWNER, "distinct metric names", metric,
                                        f"{', '.join(map(repr, repeated))} named more than once."))
    if not isinstance(modes, list | tuple) or len(modes) != len(names):
        example = ", ".join("'max'" for _ in names) or "'max'"
        errors.append(invalid_parameter(
            "mode", _OWNER, f"a list of {len(names)} modes, one per metric", modes,
            f"Say for each metric whether it is minimised or maximised, e.g. mode=[{example}]."))
    else:
        for i, (name, one) in enumerate(zip(names, modes, strict=True)):
            if one not in ("min", "max"):
                errors.append(invalid_parameter(f"mode[{i}]", _OWNER, "one of 'min', 'max'", one,
                                                f"Say whether metric {name!r} is minimised or maximised."))
    if errors:
        return errors, ()
    return [], tuple(Objective(n, m) for n, m in zip(names, modes, strict=True))


#: Why a searcher cannot take several objectives, and what to use instead.
_SINGLE_OBJECTIVE_SEARCHERS = {
    "tpe": "HyperOpt's TPE minimises one loss",
    "bohb": "BOHB's kernel density model ranks one metric",
}
_MULTI_SEARCHERS = "searchers.optuna(...) (Optuna's multi-objective TPE) or searchers.nsga2(...)"


def multi_objective_searcher(searcher: Any, objectives: tuple[Any, ...]) -> str | None:
    """A searcher that cannot search several objectives (grid and random ignore objectives)."""
    name = getattr(searcher, "name", None)
    if len(objectives) > 1 and getattr(searcher, "stopped_as_pruned", False):
        return invalid_parameter(
            "stopped_as_pruned", f"searchers.{name}", f"False with {len(objectives)} objectives", True,
            "Optuna cannot prune a multi-objective study (optuna/optuna #3450): a trial ASHA stops "
            "is told complete at its last values.")
    if len(objectives) < 2 or name not in _SINGLE_OBJECTIVE_SEARCHERS:
        return None
    return invalid_parameter(
        "searcher", _OWNER, f"a searcher that handles {len(objectives)} objectives", name,
        f"{_SINGLE_OBJECTIVE_SEARCHERS[name]}. Use {_MULTI_SEARCHERS}, or searchers.random / grid.")


def early_stopping_objectives(scheduler: Any, objectives: tuple[Any, ...]) -> str | None:
    """The one place that says which schedulers stop trials on several objectives: ASHA, as
    MO-ASHA (its rungs ranked by non-dominated sorting, execution/tune/_moasha.py), or as plain
    ASHA on one objective it names (``schedulers.asha(metric=...)``, one of the sweep's
    objectives). Every other early-stopping or population scheduler takes one objective only."""
    name = getattr(scheduler, "name", None)
    chosen = getattr(scheduler, "metric", None)
    names = [o.metric for o in objectives]
    if chosen is not None and objectives and chosen not in names:
        return invalid_parameter(
            "metric", f"schedulers.{name}", f"one of the sweep's objectives {names}", chosen,
            "The scheduler stops trials on one of the metrics the sweep optimises.")
    if len(objectives) < 2 or name in (None, "fifo", "asha") or chosen is not None:
        return None
    return invalid_parameter(
        "scheduler", _OWNER, f"'fifo' or an ASHA with {len(objectives)} objectives", name,
        f"Early stopping on several objectives is not supported by schedulers.{name} yet. Use "
        f"scheduler=schedulers.asha(...) (MO-ASHA: each rung ranked on every objective), "
        f"schedulers.asha(metric={names[0]!r}) to stop on one objective, or scheduler='fifo'.")


def violation_stops(scheduler: Any, objectives: tuple[Any, ...], given: Any) -> list[str]:
    """The problems of ``schedulers.asha(stop_on_violation=[...])``: MO-ASHA only (several
    objectives, no single ``metric``), each entry one of the sweep's ``constraints``, each of the
    form ``<metric> <= <number>`` or ``>=``."""
    stops = tuple(getattr(scheduler, "stop_on_violation", ()) or ())
    if not stops:
        return []
    owner = "schedulers.asha"
    if len(objectives) < 2 or getattr(scheduler, "metric", None) is not None:
        return [invalid_parameter(
            "stop_on_violation", owner, "empty unless the sweep has several objectives and ASHA "
            "ranks on all of them (MO-ASHA)", list(stops),
            "Stopping on a constraint is not supported by one-objective ASHA yet; for a cumulative "
            "cost use Sweep(stop={'time_total_s': ...}) or time_budget_s.")]
    declared = [str(c).strip() for c in (given or ()) if isinstance(c, str)]
    errors = []
    for text in stops:
        if text.strip() not in declared:
            errors.append(invalid_parameter(
                "stop_on_violation", owner, f"one of the sweep's constraints {declared}", text,
                "Add it to Sweep(constraints=[...]) too: a trial it stops is infeasible."))
        elif scheduler.bound_of(text) is None:
            errors.append(invalid_parameter(
                "stop_on_violation", owner, "constraints of the form '<metric> <= <number>' or "
                "'<metric> >= <number>'", text, "A scheduler stops on one reported metric against "
                "a bound; keep other conditions in Sweep(constraints=...) only."))
    return errors


def constraints(value: Any, space: Any) -> tuple[list[str], tuple[Any, ...]]:
    """The problems of ``constraints`` (conditions in ``best --where``'s language over the metrics
    a trial reports and ``config.<path>``) and, when there are none, their parsed conditions. A
    ``config.`` name must be a key of the space; any other name is a metric (checked once trials
    report)."""
    from raysweep.results import parse_condition
    from raysweep.space import flatten

    expected = "a list of conditions such as ['latency_ms <= 5', 'model_mb <= 200']"
    if value is None or (isinstance(value, list | tuple) and not value):
        return [], ()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [invalid_parameter("constraints", _OWNER, expected, value,
                                  "Put a single condition in a list: constraints=['latency_ms <= 5'].")], ()
    keys = {".".join(p) for p in flatten(space)} if isinstance(space, Mapping) else None
    errors: list[str] = []
    parsed = []
    for i, text in enumerate(value):
        param = f"constraints[{i}]"
        try:
            condition = parse_condition(text, _OWNER, param)
            condition.check()
        except RaysweepError as exc:
            errors.append(str(exc))
            continue
        for name in condition.names():
            path = name.removeprefix("config.")
            if name.startswith("config.") and keys is not None and path not in keys:
                close = difflib.get_close_matches(path, sorted(keys), n=1)
                hint = f"Did you mean 'config.{close[0]}'? " if close else ""
                errors.append(invalid_parameter(
                    param, _OWNER, "a condition over reported metrics and config.<key of the space>",
                    text, f"{name!r} is not a key of the space. {hint}Keys: {', '.join(sorted(keys))}."))
            elif name.startswith(("best.", "metric_")):
                errors.append(invalid_parameter(
                    param, _OWNER, "a condition over reported metrics and config.<key of the space>",
                    text, f"{name!r} is a column of stored trials: a constraint reads a metric's "
                    "last reported value by its bare name (latency_ms <= 5)."))
        parsed.append(condition)
    return errors, () if errors else tuple(parsed)


def constraint_metrics(conditions: tuple[Any, ...]) -> tuple[str, ...]:
    """The reported metrics ``conditions`` read (their names without ``last.``), each once."""
    out: list[str] = []
    for condition in conditions:
        for name in condition.names():
            if not name.startswith("config."):
                metric = name.removeprefix("last.")
                if metric not in out:
                    out.append(metric)
    return tuple(out)
