"""Seeds and significance: median + bootstrap band per group, paired comparison at equal compute.

A *group* is a sweep; its runs are treated as seeds of one method. Curves are step functions, so
a run's value at budget ``x`` is its best-so-far at the last step with ``x_i <= x``.

The resampling is scipy's: ``scipy.stats.bootstrap`` (percentile intervals) and
``scipy.stats.permutation_test`` (exact when the permutations are few enough), seeded with
``np.random.default_rng(seed)`` so that a seed gives the same numbers every time. The verdict of
:func:`paired_comparison` uses one statistic throughout: the difference of means.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, invalid_parameter

from ._anytime import anytime_best
from ._load import Comparison

__all__ = ["GroupComparison", "compare_groups", "paired_comparison", "seed_bands", "step_at"]


def step_at(x: np.ndarray, best: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Value of the step function (``x`` sorted, ``best``) at each grid point (NaN before x[0])."""
    x = np.asarray(x, dtype=float)
    idx = np.searchsorted(x, np.asarray(grid, dtype=float), side="right") - 1
    out = np.full(idx.shape, np.nan)
    ok = idx >= 0
    out[ok] = np.asarray(best, dtype=float)[idx[ok]]
    return out


def bootstrap_median_band(
    values: np.ndarray, *, ci: float, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median over rows of ``values`` (runs x points) and its percentile-bootstrap band.

    ``scipy.stats.bootstrap`` resamples the runs (rows); one run has no band (NaN).
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    median = np.nanmedian(values, axis=0)
    if values.shape[0] < 2:
        nan = np.full(values.shape[1], np.nan)
        return median, nan, nan.copy()
    from scipy import stats  # imported when needed: scipy.stats alone takes ~1 s to import

    res = stats.bootstrap(
        (values,), np.nanmedian, axis=0, vectorized=True, n_resamples=int(n_boot),
        confidence_level=ci, method="percentile", rng=rng,
    )
    return median, np.asarray(res.confidence_interval.low), np.asarray(res.confidence_interval.high)


def seed_bands(
    comp: Comparison,
    axis: str = "compute_seconds",
    *,
    ci: float = 0.9,
    n_boot: int = 1000,
    points: int = 60,
    seed: int = 0,
) -> pd.DataFrame:
    """Median anytime-best per group and a bootstrap ``ci`` band over its runs (seeds).

    The grid of a group spans ``[max first x, min last x]`` over its runs, so every run contributes
    at every point (no extrapolation). Columns: ``group, x, median, lo, hi, n_runs`` (``lo``/``hi``
    NaN for a group with one run).
    """
    _check(ci, n_boot)
    curves = anytime_best(comp, axis)
    rng = np.random.default_rng(seed)
    frames = []
    for group in comp.groups:
        runs = list(comp.runs.loc[comp.runs["group"] == group, "run"])
        per_run = [_curve(curves, run) for run in runs]
        per_run = [(x, b) for x, b in per_run if x.size]
        if not per_run:
            continue
        lo_x = max(x[0] for x, _ in per_run)
        hi_x = min(x[-1] for x, _ in per_run)
        grid = _grid(lo_x, hi_x, points, integer=axis in ("trials", "iterations"))
        if grid.size == 0:  # the runs' ranges do not overlap: no common budget to summarise
            continue
        values = np.vstack([step_at(x, b, grid) for x, b in per_run])
        median, lo, hi = bootstrap_median_band(values, ci=ci, n_boot=n_boot, rng=rng)
        frames.append(
            pd.DataFrame(
                {"group": group, "x": grid, "median": median, "lo": lo, "hi": hi,
                 "n_runs": len(per_run)}
            )
        )
    if not frames:
        return pd.DataFrame(columns=["group", "x", "median", "lo", "hi", "n_runs"])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class GroupComparison:
    """Whether group ``a``'s best is distinguishable from group ``b``'s at equal compute.

    One statistic throughout: ``diff`` is the difference of means of ``a - b`` at ``budget`` on
    ``axis`` (paired: the mean of the per-seed differences, which is ``mean_a - mean_b`` when every
    run has a value; unpaired: ``mean_a - mean_b``); ``[ci_low, ci_high]`` is the
    percentile-bootstrap interval of that same statistic (``scipy.stats.bootstrap``) and
    ``p_value`` the two-sided permutation test of it (``scipy.stats.permutation_test``: sign flips
    when paired, label shuffles otherwise). ``distinguishable`` is True when both sides have at
    least two runs, the interval excludes 0 and ``p_value <= 1 - ci``; ``better``
    then names the better group under the comparison's mode, else is None. With ``ci=0.95`` the
    exact permutation test needs at least 6 paired seeds, or 4 runs per side unpaired, before it
    can reach p <= 0.05: fewer seeds are never called distinguishable.
    """

    a: str
    b: str
    axis: str
    budget: float
    n_a: int
    n_b: int
    paired: bool
    mean_a: float
    mean_b: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    distinguishable: bool
    better: str | None

    def as_dict(self) -> dict:
        """The record as a plain dict (one row of :func:`compare_groups`)."""
        return asdict(self)


def paired_comparison(
    comp: Comparison,
    a: str,
    b: str,
    axis: str = "compute_seconds",
    *,
    ci: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> GroupComparison:
    """Compare groups ``a`` and ``b`` at the largest budget every one of their runs reached.

    Runs are paired by their ``seed`` when both groups have the same set of distinct seeds;
    otherwise the comparison is unpaired.
    """
    _check(ci, n_boot)
    for name, group in (("a", a), ("b", b)):
        if group not in comp.groups:
            raise ConfigError(
                invalid_parameter(name, "paired_comparison", f"one of {comp.groups}", group)
            )
    curves = anytime_best(comp, axis)
    runs_a, runs_b = _group_runs(comp, a), _group_runs(comp, b)
    per_run = {run: _curve(curves, run) for run in [*runs_a["run"], *runs_b["run"]]}
    va, vb, budget = _at_common_budget(per_run, runs_a, runs_b)
    return _group_test(a, b, axis, budget, va, vb, runs_a, runs_b, ci=ci, n_boot=n_boot, seed=seed,
                      a_better=lambda diff: comp.better(diff, 0.0))


def _at_common_budget(per_run: dict[str, tuple[np.ndarray, np.ndarray]], runs_a: pd.DataFrame,
                      runs_b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
    """Each run's step curve (``per_run``: run -> (x, value)) read at the largest budget every run
    of both groups reached: the values of ``runs_a``, of ``runs_b``, and that budget (NaN when a
    run has no curve)."""
    ends = [x[-1] for x, _ in per_run.values() if x.size]
    budget = float(min(ends)) if len(ends) == len(per_run) else float("nan")
    value = {
        run: float(step_at(x, best, np.array([budget]))[0]) if x.size else float("nan")
        for run, (x, best) in per_run.items()
    }
    va = np.array([value[r] for r in runs_a["run"]], dtype=float)
    vb = np.array([value[r] for r in runs_b["run"]], dtype=float)
    return va, vb, budget


def _group_test(a: str, b: str, axis: str, budget: float, va: np.ndarray, vb: np.ndarray,
                runs_a: pd.DataFrame, runs_b: pd.DataFrame, *, ci: float, n_boot: int, seed: int,
                a_better: Callable[[float], bool]) -> GroupComparison:
    """The comparison of groups ``a`` and ``b`` on their runs' values ``va`` and ``vb``: paired by
    seed when both ran the same seeds, the difference of means, its bootstrap interval and
    permutation p-value; once they are distinguishable, ``a_better(diff)`` says whether the
    difference of means favours ``a``."""
    paired = _pairable(runs_a, runs_b)
    if paired:
        by_seed_b = dict(zip(runs_b["seed"], vb, strict=True))
        vb = np.array([by_seed_b[s] for s in runs_a["seed"]])
    rng = np.random.default_rng(seed)
    diff, lo, hi, p = _difference(va, vb, paired=paired, ci=ci, n_boot=n_boot, rng=rng)
    enough = va.size >= 2 and vb.size >= 2 and np.isfinite(lo) and np.isfinite(hi)
    distinguishable = bool(enough and (lo > 0 or hi < 0) and p <= 1.0 - ci)
    better = (a if a_better(diff) else b) if distinguishable else None
    return GroupComparison(
        a=a, b=b, axis=axis, budget=budget, n_a=int(va.size), n_b=int(vb.size), paired=paired,
        mean_a=_mean(va), mean_b=_mean(vb),
        diff=diff, ci_low=lo, ci_high=hi, p_value=p,
        distinguishable=distinguishable, better=better,
    )


def _mean(values: np.ndarray) -> float:
    """The mean of the finite values; NaN (without a warning) when there are none."""
    finite = values[np.isfinite(values)]
    return float(np.mean(finite)) if finite.size else float("nan")


def compare_groups(
    comp: Comparison, axis: str = "compute_seconds", **kwargs: Any
) -> pd.DataFrame:
    """:func:`paired_comparison` for every pair of groups (display order), one row each."""
    rows = [
        paired_comparison(comp, a, b, axis, **kwargs).as_dict()
        for a, b in itertools.combinations(comp.groups, 2)
    ]
    columns = list(GroupComparison.__dataclass_fields__)
    return pd.DataFrame(rows, columns=columns)


def _mean_diff(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _difference(
    va: np.ndarray, vb: np.ndarray, *, paired: bool, ci: float, n_boot: int,
    rng: np.random.Generator,
) -> tuple[float, float, float, float]:
    """(difference of means, bootstrap interval low, high, permutation p) of ``va - vb``."""
    nan = float("nan")
    if paired:
        d = va - vb
        samples: tuple[np.ndarray, ...] = (d[np.isfinite(d)],)
        statistic: Callable[..., Any] = np.mean
        kind = "samples"  # one sample: the permutation test flips signs
    else:
        samples = (va[np.isfinite(va)], vb[np.isfinite(vb)])
        statistic, kind = _mean_diff, "independent"  # label shuffles
    if any(x.size == 0 for x in samples):
        return nan, nan, nan, nan
    diff = float(statistic(*samples, axis=-1))
    if any(x.size < 2 for x in samples):
        return diff, nan, nan, nan
    from scipy import stats

    boot = stats.bootstrap(
        samples, statistic, vectorized=True, n_resamples=int(n_boot), confidence_level=ci,
        method="percentile", rng=rng,
    )
    perm = stats.permutation_test(
        samples, statistic, permutation_type=kind, vectorized=True, n_resamples=9999, rng=rng,
    )
    low, high = boot.confidence_interval
    return diff, float(low), float(high), float(min(1.0, perm.pvalue))


def _pairable(runs_a: pd.DataFrame, runs_b: pd.DataFrame) -> bool:
    if "seed" not in runs_a or runs_a["seed"].isna().any() or runs_b["seed"].isna().any():
        return False
    sa, sb = list(runs_a["seed"]), list(runs_b["seed"])
    return len(sa) >= 2 and len(set(sa)) == len(sa) and set(sa) == set(sb) and len(sb) == len(sa)


def _group_runs(comp: Comparison, group: str) -> pd.DataFrame:
    return comp.runs.loc[comp.runs["group"] == group].reset_index(drop=True)


def _curve(curves: pd.DataFrame, run: str) -> tuple[np.ndarray, np.ndarray]:
    c = curves[(curves["run"] == run)]
    c = c[np.isfinite(c["best"].to_numpy(dtype=float))]
    return c["x"].to_numpy(dtype=float), c["best"].to_numpy(dtype=float)


def _grid(lo: float, hi: float, points: int, *, integer: bool) -> np.ndarray:
    if hi < lo:
        return np.array([], dtype=float)
    if integer:
        grid = np.unique(np.round(np.linspace(lo, hi, points)))
    else:
        grid = np.linspace(lo, hi, points)
    return grid.astype(float)


def _check(ci: float, n_boot: int) -> None:
    if not 0.0 < ci < 1.0:
        raise ConfigError(invalid_parameter("ci", "compare", "a fraction in (0, 1)", ci))
    if int(n_boot) < 1:
        raise ConfigError(invalid_parameter("n_boot", "compare", "a positive integer", n_boot))

