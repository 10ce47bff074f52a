"""Parameters across runs: best configs side by side, top-k overlap, marginal effects."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

from ._load import Comparison

__all__ = [
    "best_params",
    "best_trials",
    "marginal_effects",
    "param_names",
    "top_trials",
    "topk_overlap",
    "topk_ranges",
]

_PREFIX = "config."


def param_names(comp: Comparison, *, constants: bool = False) -> list[str]:
    """Leaf parameter names (``config.`` stripped, nested joined with '.'), sorted.

    Parameters that hold one value in every compared trial (constants of the space, such as a data
    config) are left out unless ``constants`` is True.
    """
    names = sorted(c[len(_PREFIX):] for c in comp.trials.columns if c.startswith(_PREFIX))
    if constants:
        return names
    key = ("param_names",)
    if key not in comp._cache:
        comp._cache[key] = [n for n in names if _varies(comp.trials[_PREFIX + n])]
    return list(comp._cache[key])


def _varies(column: pd.Series) -> bool:
    """More than one distinct value (compared as text, as before; numbers without the cost)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.nunique(dropna=False) > 1
    return column.astype(str).nunique(dropna=True) > 1


def top_trials(comp: Comparison, k: int | None = None, *, by: str = "label") -> pd.DataFrame:
    """Each run's trials ranked best first (ties: ``trial_index``), the best ``k`` per run.

    Adds ``rank`` (1 = best) and ``label``; trials without a value are dropped. With ``by="group"`` the
    trials of a sweep's runs are pooled and ranked together; ``label`` then holds the group (sweep) name.
    """
    if k is not None and int(k) < 1:
        raise ConfigError(invalid_parameter("k", "top_trials", "a positive integer", k))
    unit = _unit(by, "top_trials")
    trials = comp.trials[np.isfinite(comp.trials["value"].to_numpy(dtype=float))]
    if unit == "group":
        trials = trials.assign(group=trials["run"].map(comp.runs.set_index("run")["group"]))
    order = [unit, "value", "trial_index"] if "trial_index" in trials else [unit, "value"]
    ascending = [True, comp.objective.ascending, True][: len(order)]
    ranked = trials.sort_values(order, ascending=ascending, kind="stable")
    ranked = ranked.assign(rank=ranked.groupby(unit).cumcount() + 1)
    if k is not None:
        ranked = ranked[ranked["rank"] <= int(k)]
    if unit == "run":
        ranked = ranked.assign(label=ranked["run"].map(comp.runs.set_index("run")["label"]))
    else:
        ranked = ranked.assign(label=ranked["group"]).drop(columns="group")
    position = {label: i for i, label in enumerate(_labels(comp, by))}
    return ranked.sort_values(
        ["label", "rank"], key=lambda s: s.map(position) if s.name == "label" else s, kind="stable"
    ).reset_index(drop=True)


def _unit(by: str, owner: str) -> str:
    if by not in ("label", "group"):
        raise ConfigError(invalid_parameter("by", owner, "'label' or 'group'", by))
    return "run" if by == "label" else "group"


def _labels(comp: Comparison, by: str) -> list[str]:
    return list(comp.runs["label"]) if by == "label" else comp.groups


def best_trials(comp: Comparison) -> pd.DataFrame:
    """The best trial of each run (one row per run that has a value)."""
    return top_trials(comp, k=1)


def best_params(comp: Comparison, *, by: str = "label") -> pd.DataFrame:
    """Best configuration of every run side by side: index = parameter, columns = run labels
    (``by="group"``: the best of each sweep over its runs, columns = sweep names).

    The first row, ``<metric>``, holds the best value itself.
    """
    best = top_trials(comp, k=1, by=by).set_index("label")
    names = param_names(comp)
    table = pd.DataFrame(index=[comp.metric, *names], columns=_labels(comp, by), dtype=object)
    for label in table.columns:
        if label not in best.index:
            continue
        row = best.loc[label]
        table.loc[comp.metric, label] = row["value"]
        for name in names:
            table.loc[name, label] = row[_PREFIX + name]
    table.index.name = "parameter"
    return table


def topk_ranges(comp: Comparison, k: int = 10, *, by: str = "label") -> pd.DataFrame:
    """Where each run's top ``k`` trials lie, per parameter (``by="group"``: per sweep, runs pooled).

    Columns: ``parameter, label, kind ('numeric'|'categorical'), low, high, values`` (``values``:
    sorted distinct values as text for categorical parameters).
    """
    top = top_trials(comp, k, by=by)
    rows = []
    for name in param_names(comp):
        column = _PREFIX + name
        numeric = _is_numeric(comp.trials[column])
        for label in _labels(comp, by):
            values = top.loc[top["label"] == label, column].dropna()
            record = {"parameter": name, "label": label,
                      "kind": "numeric" if numeric else "categorical",
                      "low": np.nan, "high": np.nan, "values": ""}
            if numeric and not values.empty:
                record["low"], record["high"] = float(values.min()), float(values.max())
            elif not values.empty:
                record["values"] = ", ".join(sorted({str(v) for v in values}))
            rows.append(record)
    return pd.DataFrame(rows, columns=["parameter", "label", "kind", "low", "high", "values"])


def topk_overlap(comp: Comparison, k: int = 10, *, by: str = "label") -> pd.DataFrame:
    """Overlap of the top-``k`` configurations of every pair of runs (``by="group"``: of every pair
    of sweeps, each sweep's runs pooled: what to show when sweeps have several seeds each).

    Columns: ``a, b, k, shared`` (configurations in both top-k sets, compared on every leaf
    parameter, floats to 9 significant digits), ``jaccard`` (shared / union) and
    ``range_overlap``: the mean over numeric parameters of the overlap of the two runs' top-k
    [low, high] ranges divided by their union (1 = same region, 0 = disjoint).
    """
    top = top_trials(comp, k, by=by)
    names = param_names(comp)
    ranges = topk_ranges(comp, k, by=by)
    keys = {
        label: {_config_key(r, names) for _, r in top[top["label"] == label].iterrows()}
        for label in _labels(comp, by)
    }
    rows = []
    for a, b in itertools.combinations(_labels(comp, by), 2):
        union = keys[a] | keys[b]
        shared = len(keys[a] & keys[b])
        rows.append({"a": a, "b": b, "k": int(k), "shared": shared,
                     "jaccard": shared / len(union) if union else np.nan,
                     "range_overlap": _range_overlap(ranges, a, b)})
    return pd.DataFrame(rows, columns=["a", "b", "k", "shared", "jaccard", "range_overlap"])


def marginal_effects(comp: Comparison, bins: int = 6, *, by: str = "label") -> pd.DataFrame:
    """Median trial value per parameter bin, per run (``by="label"``) or per sweep
    (``by="group"``: the trials of a sweep's runs pooled).

    Numeric parameters with more than ``bins`` distinct values are cut into ``bins`` quantile bins
    of the values pooled over all runs (so bins line up across runs); others use each value.
    Columns: ``parameter, label, bin, x, x_label, median, count`` (``label`` holds the group name
    with ``by="group"``); ``x`` is the bin's pooled median (numeric) or its position (categorical).
    """
    if int(bins) < 2:
        raise ConfigError(invalid_parameter("bins", "marginal_effects", "an integer >= 2", bins))
    if by not in ("label", "group"):
        raise ConfigError(invalid_parameter("by", "marginal_effects", "'label' or 'group'", by))
    trials = comp.trials[np.isfinite(comp.trials["value"].to_numpy(dtype=float))]
    trials = trials.assign(label=trials["run"].map(comp.runs.set_index("run")[by]))
    frames = []
    for name in param_names(comp):
        column = trials[_PREFIX + name]
        codes, centers, names_ = _bin(column, int(bins))
        grouped = trials.assign(bin=codes).dropna(subset=["bin"]).groupby(
            ["label", "bin"], sort=True
        )["value"].agg(["median", "count"]).reset_index()
        grouped["bin"] = grouped["bin"].astype(int)
        grouped["x"] = grouped["bin"].map(dict(enumerate(centers)))
        grouped["x_label"] = grouped["bin"].map(dict(enumerate(names_)))
        frames.append(grouped.assign(parameter=name))
    columns = ["parameter", "label", "bin", "x", "x_label", "median", "count"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    position = {label: i for i, label in enumerate(dict.fromkeys(comp.runs[by]))}
    return out.sort_values(
        ["parameter", "label", "bin"], key=lambda s: s.map(position) if s.name == "label" else s,
        kind="stable",
    ).reset_index(drop=True)


def _bin(column: pd.Series, bins: int) -> tuple[pd.Series, list, list[str]]:
    values = column.dropna()
    if _is_numeric(column) and values.nunique() > bins:
        numeric = column.astype(float)
        edges = np.unique(np.quantile(values.astype(float), np.linspace(0, 1, bins + 1)))
        codes = pd.Series(np.clip(np.searchsorted(edges, numeric, side="right") - 1, 0,
                                  len(edges) - 2), index=column.index, dtype=float)
        codes[numeric.isna()] = np.nan
        centers = [float(np.median(numeric[codes == i])) for i in range(len(edges) - 1)]
        labels = [f"[{edges[i]:.3g}, {edges[i + 1]:.3g}]" for i in range(len(edges) - 1)]
        return codes, centers, labels
    categories = sorted(values.unique(), key=lambda v: (not _is_number(v), v if _is_number(v)
                                                        else str(v)))
    lookup = {v: i for i, v in enumerate(categories)}
    codes = column.map(lambda v: lookup.get(v, np.nan)).astype(float)
    centers = [float(c) if _is_number(c) else float(i) for i, c in enumerate(categories)]
    return codes, centers, [str(c) for c in categories]


def _range_overlap(ranges: pd.DataFrame, a: str, b: str) -> float:
    numeric = ranges[(ranges["kind"] == "numeric") & ranges["label"].isin([a, b])]
    bounds = {(r.parameter, r.label): (r.low, r.high) for r in numeric.itertuples(index=False)}
    scores = []
    for name in dict.fromkeys(numeric["parameter"]):
        if (name, a) not in bounds or (name, b) not in bounds:
            continue
        (la, ha), (lb, hb) = bounds[(name, a)], bounds[(name, b)]
        if np.isnan([la, ha, lb, hb]).any():
            continue
        union = max(ha, hb) - min(la, lb)
        inter = max(0.0, min(ha, hb) - max(la, lb))
        scores.append(1.0 if union == 0 else inter / union)
    return float(np.mean(scores)) if scores else float("nan")


def _config_key(row: pd.Series, names: list[str]) -> tuple:
    key: list[object] = []
    for name in names:
        v = row[_PREFIX + name]
        if _absent(v):  # a key of another branch of a conditional space
            key.append(None)
        else:
            key.append(float(f"{v:.9g}") if isinstance(v, float | np.floating) else v)
    return tuple(key)


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and bool(np.isnan(value)))


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
