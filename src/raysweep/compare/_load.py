"""Select runs and load them through the ``raysweep.results`` reader API.

Everything downstream works on a :class:`Comparison`: three frames (runs, trials, iterations)
restricted to the selected runs, plus the metric and mode they are compared on and a stable,
human-readable label per run. Nothing here opens Parquet: the reader API does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from raysweep._errors import ConfigError, StorageError, invalid_parameter
from raysweep.results import MODES, Objective

__all__ = ["Comparison", "load"]

_ITERATION_KEYS = frozenset(
    {"sweep", "run", "trial_id", "attempt", "training_iteration", "time_total_s",
     "time_this_iter_s", "timestamp", "node_id", "hostname"}
)


#: Iteration columns every comparison reads besides the metric (``load`` projects on them).
_ITERATION_COLUMNS = ("attempt", "time_this_iter_s", "timestamp")


@dataclass(frozen=True)
class Comparison:
    """The selected runs and what they are compared on.

    Attributes:
        runs: one row per run (columns of the results store's ``runs`` table), in display order,
            with an added ``label`` column (unique) and ``group`` column (the sweep name: runs of
            one sweep are treated as seeds of one method).
        trials: the runs' trials, with an added ``value`` column: the trial's best value of
            ``metric`` (NaN when it never reported it).
        iterations: the runs' reported iterations (may be empty).
        metric: the metric compared.
        mode: ``"min"`` or ``"max"``.
        rungs: ASHA's rung decisions of the runs (``raysweep.results.load_rungs``; may be empty).
        perturbations: PBT's exploits of the runs (``raysweep.results.load_perturbations``; may be
            empty): the iterations an exploit made its copier train again count as compute.
    """

    runs: pd.DataFrame
    trials: pd.DataFrame
    iterations: pd.DataFrame
    metric: str
    mode: str
    labels: tuple[str, ...] = field(default=())
    rungs: pd.DataFrame = field(default_factory=pd.DataFrame)
    perturbations: pd.DataFrame = field(default_factory=pd.DataFrame)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def groups(self) -> list[str]:
        """Group names (sweeps) in display order."""
        return list(dict.fromkeys(self.runs["group"]))

    @classmethod
    def from_frames(
        cls,
        runs: pd.DataFrame,
        trials: pd.DataFrame,
        iterations: pd.DataFrame | None = None,
        *,
        metric: str | None = None,
        mode: str | None = None,
        rungs: pd.DataFrame | None = None,
        perturbations: pd.DataFrame | None = None,
    ) -> Comparison:
        """Build a comparison from frames shaped like the results store's tables.

        ``runs`` keeps its row order (the display order). ``metric``/``mode`` default to the runs'
        own, which must then agree.
        """
        runs = runs.reset_index(drop=True).copy()
        iterations = pd.DataFrame() if iterations is None else iterations.copy()
        metric = _resolve_metric(runs, metric)
        _check_metric_available(runs, iterations, metric)
        mode = _resolve_mode(runs, metric, mode)
        runs["label"] = _labels(runs)
        runs["group"] = runs["sweep"].astype(str)
        objective = Objective(metric, mode)  # type: ignore[arg-type]
        trials = _with_values(trials.copy(), iterations, runs, objective)
        if rungs is None or rungs.empty or "run" not in rungs:
            rungs = pd.DataFrame()
        else:
            rungs = rungs[rungs["run"].isin(list(runs["run"]))]
        if perturbations is None or perturbations.empty or "run" not in perturbations:
            perturbations = pd.DataFrame()
        else:
            perturbations = perturbations[perturbations["run"].isin(list(runs["run"]))]
        return cls(runs, trials, iterations, metric, mode, tuple(runs["label"]), rungs,
                   perturbations)

    @property
    def objective(self) -> Objective:
        """The metric and mode as a :class:`raysweep.results.Objective` (which value is better)."""
        return Objective(self.metric, self.mode)  # type: ignore[arg-type]

    def label_of(self, run: str) -> str:
        """The display label of a run id."""
        return str(self.runs.loc[self.runs["run"] == run, "label"].iloc[0])

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b`` (:meth:`Objective.better`)."""
        return self.objective.better(a, b)


def load(
    targets: Sequence[str],
    root: str | None = None,
    *,
    all_runs: bool = False,
    metric: str | None = None,
    mode: str | None = None,
) -> Comparison:
    """Load the runs named by ``targets`` from the results store.

    Args:
        targets: sweep names (their latest run, or every run with ``all_runs``) or run ids.
        root: results root (``None``: ``$RAYSWEEP_RESULTS``, else ``./results``).
        all_runs: take every run of a named sweep (they become the seeds of one group).
        metric: compare on this metric instead of the runs' own (must be a reported column).
        mode: ``"min"`` or ``"max"``; required with ``metric`` when the runs do not use it.

    Raises:
        ConfigError: no target, unknown target, or runs that disagree on metric/mode.
        StorageError: the store cannot be read.
    """
    from raysweep import results

    if isinstance(targets, str) or not targets:
        raise ConfigError(
            invalid_parameter(
                "targets", "compare", "a non-empty list of sweep names or run ids", targets
            )
        )
    root = results.resolve_root(root)
    catalogue = results.list_runs(root=root)
    if catalogue.empty:
        raise StorageError(
            invalid_parameter(
                "root", "compare", "a results root holding runs", root,
                "Run a sweep first, or pass --results / set RAYSWEEP_RESULTS.",
            )
        )
    selected = _select(catalogue, list(targets), all_runs)
    run_ids = list(selected["run"])
    sweeps = list(dict.fromkeys(selected["sweep"]))
    trials = results.load_trials(root=root, sweeps=sweeps, runs=run_ids)
    # Only the columns a comparison uses: at a million iteration rows the rest is most of the cost.
    own = sorted(set(selected["metric"].dropna().astype(str))) if "metric" in selected else []
    wanted = metric if metric is not None else (own[0] if len(own) == 1 else None)
    columns = None if wanted is None else [*_ITERATION_COLUMNS, wanted]
    iterations = results.load_iterations(root=root, sweeps=sweeps, runs=run_ids, columns=columns)
    if wanted is not None and wanted not in iterations and wanted not in own:
        # Not reported: read every column once, so the error can list what was reported.
        iterations = results.load_iterations(root=root, sweeps=sweeps, runs=run_ids)
    rungs = results.load_rungs(root=root, sweeps=sweeps, runs=run_ids)
    perturbations = results.load_perturbations(root=root, sweeps=sweeps, runs=run_ids)
    return Comparison.from_frames(selected, trials, iterations, metric=metric, mode=mode,
                                  rungs=rungs, perturbations=perturbations)


def _select(catalogue: pd.DataFrame, targets: list[str], all_runs: bool) -> pd.DataFrame:
    """Rows of ``catalogue`` for the targets: target order, then start time within a sweep."""
    picked: list[pd.DataFrame] = []
    for target in targets:
        by_run = catalogue[catalogue["run"].astype(str) == target]
        by_sweep = catalogue[catalogue["sweep"].astype(str) == target]
        if not by_run.empty:
            picked.append(by_run)
        elif not by_sweep.empty:
            ordered = by_sweep.sort_values(["started_at", "run"], kind="stable")
            picked.append(ordered if all_runs else ordered.tail(1))
        else:
            known = sorted(catalogue["sweep"].astype(str).unique())
            raise ConfigError(
                invalid_parameter(
                    "targets", "compare", "sweep names or run ids present in the store",
                    target, f"Known sweeps: {', '.join(known)}.",
                )
            )
    selected = pd.concat(picked, ignore_index=True)
    return selected.drop_duplicates(subset="run", keep="first").reset_index(drop=True)


def _resolve_metric(runs: pd.DataFrame, metric: str | None) -> str:
    if metric is not None:
        return metric
    run_metrics = sorted(set(runs["metric"].dropna().astype(str))) if "metric" in runs else []
    if len(run_metrics) != 1:
        raise ConfigError(
            invalid_parameter(
                "metric", "compare", "given when the runs optimise different metrics",
                run_metrics, "Pass --metric NAME --mode min|max.",
            )
        )
    return run_metrics[0]


def _resolve_mode(runs: pd.DataFrame, metric: str, mode: str | None) -> str:
    if mode is not None:
        if mode not in MODES:
            raise ConfigError(invalid_parameter("mode", "compare", "one of 'min', 'max'", mode))
        return mode
    own_modes: list[str] = []
    if "metric" in runs and "mode" in runs:
        own = runs.loc[runs["metric"].astype(str) == metric, "mode"]
        own_modes = sorted(set(own.dropna().astype(str)))
    if len(own_modes) != 1:
        raise ConfigError(
            invalid_parameter(
                "mode", "compare", f"given for metric {metric!r}", own_modes or None,
                "Pass --mode min or --mode max.",
            )
        )
    return own_modes[0]


def _check_metric_available(runs: pd.DataFrame, iterations: pd.DataFrame, metric: str) -> None:
    own = "metric" in runs and bool((runs["metric"].astype(str) == metric).any())
    if own or metric in iterations:
        return
    numeric = [
        c for c in iterations.columns
        if c not in _ITERATION_KEYS and pd.api.types.is_numeric_dtype(iterations[c])
    ]
    raise ConfigError(
        invalid_parameter(
            "metric", "compare", "a metric the runs reported", metric,
            f"Reported metrics: {', '.join(sorted(numeric)) or 'none'}.",
        )
    )


def _labels(runs: pd.DataFrame) -> list[str]:
    """The sweep name, or ``sweep#k`` (k = 1.. in display order) when a sweep has several runs."""
    sweeps = runs["sweep"].astype(str)
    counts = sweeps.value_counts()
    seen: dict[str, int] = {}
    labels = []
    for sweep in sweeps:
        if counts[sweep] == 1:
            labels.append(sweep)
        else:
            seen[sweep] = seen.get(sweep, 0) + 1
            labels.append(f"{sweep}#{seen[sweep]}")
    return labels


def _with_values(
    trials: pd.DataFrame, iterations: pd.DataFrame, runs: pd.DataFrame, objective: Objective
) -> pd.DataFrame:
    """Add ``value``: each trial's best ``metric`` over its iterations (NaN/inf never win).

    Falls back to the trials table's ``metric_best`` (only when ``metric`` is the run's own) for
    trials whose iterations are missing.
    """
    trials = trials[trials["run"].isin(list(runs["run"]))].reset_index(drop=True)
    if trials.empty:
        return trials.assign(value=pd.Series(dtype=float))
    value = pd.Series(np.nan, index=trials.index, dtype=float)
    metric = objective.metric
    if not iterations.empty and metric in iterations:
        reported = pd.to_numeric(iterations[metric], errors="coerce").astype(float)
        reported = reported.where(np.isfinite(reported))
        grouped = reported.groupby([iterations["run"], iterations["trial_id"]], sort=False)
        # min/max skip NaN; which of the two is the objective's choice
        best = grouped.min() if objective.ascending else grouped.max()
        keys = pd.MultiIndex.from_frame(trials[["run", "trial_id"]])
        value = pd.Series(best.reindex(keys).to_numpy(dtype=float), index=trials.index)
    if "metric_best" in trials and "metric" in runs:
        own = trials["run"].map(runs.set_index("run")["metric"].astype(str)).eq(metric)
        fallback = pd.to_numeric(trials["metric_best"], errors="coerce").astype(float).where(own)
        fallback = fallback.where(np.isfinite(fallback))
        value = value.fillna(fallback)
    return trials.assign(value=value.astype(float))
