"""The Pareto front of the compared trials over two (or more) metrics, each minimised or maximised."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.results import non_dominated

from ._load import Comparison

__all__ = ["pareto_front", "parse_pareto"]

_EXPECTED = "two metric:mode pairs such as 'val_ndcg:max,epoch_seconds:min'"


def parse_pareto(spec: str | Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``"val_ndcg:max,epoch_seconds:min"`` -> ``[("val_ndcg", "max"), ("epoch_seconds", "min")]``."""
    if isinstance(spec, str):
        pairs = []
        for part in spec.split(","):
            metric, sep, mode = part.strip().rpartition(":")
            if not sep or not metric:
                raise ConfigError(invalid_parameter("pareto", "compare", _EXPECTED, spec,
                                                    f"{part.strip()!r} has no ':min' or ':max'."))
            pairs.append((metric.strip(), mode.strip()))
    else:
        pairs = [tuple(p) for p in spec]  # type: ignore[misc]
    for metric, mode in pairs:
        if mode not in ("min", "max"):
            raise ConfigError(invalid_parameter("pareto", "compare", _EXPECTED, spec,
                                                f"The mode of {metric!r} is {mode!r}."))
    if len(pairs) < 2 or len({m for m, _ in pairs}) != len(pairs):
        raise ConfigError(invalid_parameter("pareto", "compare", _EXPECTED, spec,
                                            "Name at least two different metrics."))
    return pairs


def _values(comp: Comparison, metric: str, mode: str) -> pd.Series:
    """A trial's value of ``metric``: the compared metric's best (same mode), a stored column, or
    the metric's final value ``last.<metric>``."""
    trials = comp.trials
    if metric == comp.metric and mode == comp.mode:
        column = "value"
    elif metric in trials.columns and metric not in ("trial_id", "run", "sweep"):
        column = metric
    elif f"last.{metric}" in trials.columns:
        column = f"last.{metric}"
    else:
        known = sorted(c[5:] for c in trials.columns if str(c).startswith("last."))
        raise ConfigError(invalid_parameter(
            "pareto", "compare", "metrics the trials reported (final value last.<metric>) or "
            "stored numeric columns", metric, f"Known metrics: {', '.join(known) or 'none'}."))
    return pd.to_numeric(trials[column], errors="coerce").astype(float)


def pareto_front(comp: Comparison, objectives: str | Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Every trial with a finite value of each metric, and whether it is on the Pareto front.

    A trial is on the front when no other trial is at least as good on every metric and strictly
    better on one (each metric in its own mode). Equal points are all on the front; a trial with
    a missing, NaN or infinite value of any metric is never a candidate.

    Columns: ``label, run, trial_id, <metric>...`` (one per objective), ``on_front``, ``config``
    (dict); front trials first, ordered by the first metric (best first).
    """
    pairs = parse_pareto(objectives)
    trials = comp.trials
    values = {metric: _values(comp, metric, mode) for metric, mode in pairs}
    frame = pd.DataFrame({
        "label": trials["run"].map(comp.runs.set_index("run")["label"]),
        "run": trials["run"], "trial_id": trials["trial_id"], **values,
        "config": [json.loads(c) if isinstance(c, str) else {}
                   for c in trials.get("config_json", pd.Series([None] * len(trials)))],
    })
    finite = np.ones(len(frame), dtype=bool)
    for metric in values:
        finite &= frame[metric].map(math.isfinite).to_numpy(dtype=bool)
    frame = frame[finite].reset_index(drop=True)
    # Minimisation form: a larger-is-better metric is negated.
    points = np.column_stack([frame[m].to_numpy(dtype=float) * (-1.0 if mode == "max" else 1.0)
                              for m, mode in pairs]) if len(frame) else np.empty((0, len(pairs)))
    frame["on_front"] = non_dominated(points)
    first, first_mode = pairs[0]
    frame = frame.sort_values(["on_front", first, "run", "trial_id"],
                              ascending=[False, first_mode == "min", True, True], kind="stable")
    columns = ["label", "run", "trial_id", *values, "on_front", "config"]
    return frame[columns].reset_index(drop=True)
