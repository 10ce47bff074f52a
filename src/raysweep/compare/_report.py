"""One self-contained, offline HTML report: tables and interactive figures, plotly.js embedded once."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from raysweep._errors import ConfigError, StorageError, invalid_parameter

from ._anytime import AXES, anytime_best, compress_steps, target_values
from ._downsample import BOX_POINTS_MAX, FULL_CURVES_MAX, report_curves
from ._figures import (
    anytime_figure,
    distribution_figure,
    learning_figure,
    marginal_figure,
    parallel_figure,
)
from ._figures_fronts import fronts_figure, pareto_figure
from ._figures_population import population_figure
from ._html import figure_block, page, table
from ._load import Comparison
from ._multiobjective import (
    compare_hypervolumes,
    hypervolume_bands,
    hypervolume_curves,
    hypervolume_seed_bands,
    objectives_of,
    run_fronts,
    run_hypervolumes,
)
from ._params import best_params, marginal_effects, param_names, top_trials, topk_overlap
from ._pareto import pareto_front, parse_pareto
from ._stats import compare_groups, seed_bands
from ._summary import learning_curves, level_suffix, population_exploits, run_summary, rung_cutoffs

__all__ = ["render_report", "report_figures", "write_report"]

def render_report(
    comp: Comparison,
    *,
    title: str | None = None,
    levels: Sequence[float] = (0.95, 0.99),
    top_k: int = 10,
    axis: str = "compute_seconds",
    n_boot: int = 1000,
    seed: int = 0,
    pareto: str | Sequence[tuple[str, str]] | None = None,
    objectives: Sequence[tuple[str, str]] | None = None,
    reference: Sequence[float] | None = None,
) -> str:
    """The report as one HTML string (no network needed to open it).

    ``pareto`` (``"val_ndcg:max,epoch_seconds:min"``) adds the Pareto front (table and figure).
    Multi-objective runs (their ``objectives_json``, or ``objectives`` given) add each run's
    hypervolume against ``reference`` (default: :func:`reference_point`), the bootstrap over
    seeds, and the fronts of the compared runs on one plot.
    """
    summary = run_summary(comp, levels)
    tests = compare_groups(comp, axis, n_boot=n_boot, seed=seed)
    targets = target_values(comp, levels)
    labels = list(comp.runs["label"])
    pooled = 1 < len(comp.groups) < len(labels)  # sweeps with seeds: overlap per sweep, runs pooled
    figures = list(report_figures(comp, levels=levels, top_k=top_k, n_boot=n_boot,
                                  seed=seed, pareto=pareto, objectives=objectives,
                                  reference=reference).values())
    pairs = _multi(comp, objectives)
    title = title or f"raysweep comparison: {', '.join(dict.fromkeys(comp.runs['sweep']))}"
    runs = _summary_view(summary)
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Metric <b>{html.escape(comp.metric)}</b> ({comp.mode}imised) over "
        f"{len(labels)} run(s). {html.escape(_target_note(targets))}</p>",
        "<h2>Runs</h2>",
        table(runs, clip=["run", "searcher", "scheduler"], wide=["best config"]),
        "<h2>Cost to reach the targets</h2>", table(_cost_view(summary, levels), clip=["run"]),
        "<h2>Is the difference real? (equal compute)</h2>",
        f"<p class='note'>{html.escape(_tests_note(axis))}</p>",
        table(_tests_view(tests), clip=["a", "b", "verdict"]) if not tests.empty
        else "<p>Only one sweep.</p>",
        f"<h2>Best configuration of each {'sweep (over its runs)' if pooled else 'run'}</h2>",
        table(best_params(comp, by="group" if pooled else "label"), index=True),
        f"<h2>Overlap of the top-{top_k} configurations{' per sweep (its runs pooled)' if pooled else ''}"
        "</h2>",
        table(topk_overlap(comp, top_k, by="group" if pooled else "label"), clip=["a", "b"])
        if len(labels) > 1 else "<p>Only one run.</p>",
        *(_pareto_section(comp, pareto) if pareto is not None else []),
        *(_hypervolume_section(comp, pairs, reference, n_boot, seed) if pairs else []),
        "<h2>Figures</h2>",
        *(figure_block(fig, f"raysweep-fig-{i}") for i, fig in enumerate(figures)),
    ]
    return page(title, sections, _FOOTER)


_FOOTER = (
    "Made by raysweep (docs/compare.md). The file works offline: plotly.js (the bundle of the "
    "installed plotly, about 4.8 MB minified) is embedded once, gzipped (about 2 MB), and "
    "unpacked by the browser; that bundle is most of the file's size. What the figures leave "
    "out (every table above is computed from all rows): anytime curves keep only the steps "
    "where a run's best-so-far changes (the same lines); a run with more than "
    f"{FULL_CURVES_MAX} trials draws the learning curves of its top-k trials exactly and the "
    "median, 25-75 % and 5-95 % quantiles of all its trials per iteration instead of every "
    f"other curve; a run with more than {BOX_POINTS_MAX} trials draws its distribution from "
    f"box statistics over all trials, with at most {BOX_POINTS_MAX} points beyond the whiskers."
)


def report_figures(
    comp: Comparison,
    *,
    levels: Sequence[float] = (0.95, 0.99),
    top_k: int = 10,
    n_boot: int = 1000,
    seed: int = 0,
    pareto: str | Sequence[tuple[str, str]] | None = None,
    objectives: Sequence[tuple[str, str]] | None = None,
    reference: Sequence[float] | None = None,
) -> dict[str, go.Figure]:
    """The report's figures by name: ``anytime``, ``distribution``, ``parallel``, ``marginal``,
    ``learning`` (with ASHA's rung cutoffs), ``population`` when a run was scheduled by PBT/PB2
    and recorded exploits (every member's curve, each exploit marked), ``pareto`` when ``pareto``
    names two metrics, and ``fronts`` (each run's own front) and ``hypervolume`` (each run's
    hypervolume so far, with the seeds' median and band) for multi-objective runs (plotly figures,
    for notebooks or image export)."""
    labels = list(comp.runs["label"])
    group_of = dict(zip(comp.runs["label"], comp.runs["group"], strict=True))
    # Only the steps where the best-so-far changes: the same step lines, a few points each.
    curves = {a: _compressed(anytime_best(comp, a)) for a in AXES}
    bands = {a: seed_bands(comp, a, n_boot=n_boot, seed=seed) for a in AXES}
    trials = comp.trials.assign(label=comp.trials["run"].map(comp.runs.set_index("run")["label"]))
    learning, curve_bands = report_curves(comp, top=top_k)
    figures = {
        "anytime": anytime_figure(curves, labels=labels, metric=comp.metric, bands=bands,
                                  group_of=group_of, targets=target_values(comp, levels),
                                  y_range=_focus(comp)),
        "distribution": distribution_figure(trials, labels=labels, metric=comp.metric),
        "parallel": parallel_figure(top_trials(comp, top_k), params=param_names(comp),
                                    metric=comp.metric, labels=labels),
        "marginal": marginal_figure(marginal_effects(comp, by="group"), labels=comp.groups,
                                    metric=comp.metric),
        "learning": learning_figure(learning, labels=labels, metric=comp.metric,
                                    cutoffs=rung_cutoffs(comp), bands=curve_bands),
    }
    exploits = population_exploits(comp)
    if not exploits.empty:  # every member of the PBT runs, not downsampled: a population is small
        pbt = learning_curves(comp)
        pbt = pbt[pbt["run"].isin(set(exploits["run"]))]
        figures["population"] = population_figure(pbt, exploits, labels=labels, metric=comp.metric)
    if pareto is not None:
        figures["pareto"] = pareto_figure(pareto_front(comp, pareto),
                                          objectives=parse_pareto(pareto), labels=labels)
    pairs = _multi(comp, objectives)
    if pairs:
        hv = run_hypervolumes(comp, pairs, reference)
        ref = hv["reference"].iloc[0] if len(hv) else reference
        figures["hypervolume"] = anytime_figure(
            {a: hypervolume_curves(comp, a, pairs, ref).rename(columns={"hypervolume": "best"})
             for a in AXES},
            labels=labels, metric="hypervolume", group_of=group_of,
            bands={a: hypervolume_seed_bands(comp, a, pairs, ref, n_boot=n_boot, seed=seed)
                   for a in AXES},
            title="Hypervolume so far (each trial's final point counts from where it ended)")
        figures["fronts"] = fronts_figure(
            run_fronts(comp, pairs), objectives=pairs, labels=labels,
            reference=hv["reference"].iloc[0] if len(hv) else None,
            hypervolumes=dict(zip(hv["label"], hv["hypervolume"], strict=True)))
    return figures


def _multi(comp: Comparison, objectives: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """The objectives of a multi-objective comparison, or [] (one objective, or runs that
    disagree and no ``objectives`` given: the report then has no hypervolume section)."""
    if objectives is not None:
        return objectives_of(comp, objectives)
    try:
        return objectives_of(comp)
    except ConfigError:
        return []


def _hypervolume_section(comp: Comparison, pairs: list[tuple[str, str]],
                         reference: Sequence[float] | None, n_boot: int, seed: int) -> list[str]:
    hv = run_hypervolumes(comp, pairs, reference)
    ref = hv["reference"].iloc[0]
    bands = hypervolume_bands(comp, pairs, ref, n_boot=n_boot, seed=seed)
    tests = compare_hypervolumes(comp, pairs, ref, n_boot=n_boot, seed=seed)
    spec = ", ".join(f"{m} ({d})" for m, d in pairs)
    where = ", ".join(f"{m} = {r:.5g}" for (m, _), r in zip(pairs, ref, strict=True))
    origin = ("given" if reference is not None else "the worst value of each objective over the "
              "compared trials, moved 10 % of its range further")
    runs = pd.DataFrame({"run": hv["label"], "hypervolume": hv["hypervolume"],
                         "trials with every value": hv["n_points"], "on its front": hv["n_front"]})
    groups = pd.DataFrame({"sweep": bands["group"], "median": bands["median"],
                           "band": [f"[{_num(lo)}, {_num(hi)}]" for lo, hi in
                                    zip(bands["lo"], bands["hi"], strict=True)],
                           "runs": bands["n_runs"]})
    return [f"<h2>Hypervolume: {html.escape(spec)}</h2>",
            f"<p class='note'>The volume each run's trials dominate (their final values) up to the "
            f"reference point {html.escape(where)} ({html.escape(origin)}; docs/compare.md). "
            "Per sweep: the median over its runs (seeds) and its 90 % percentile-bootstrap band; "
            "the pairs: the difference of mean hypervolumes as in the single-metric test.</p>",
            table(runs, clip=["run"]), table(groups, clip=["sweep"]),
            table(_tests_view(tests).drop(columns=["budget"]), clip=["a", "b", "verdict"])
            if not tests.empty else "<p>Only one sweep.</p>"]


def _compressed(frame: pd.DataFrame) -> pd.DataFrame:
    parts = [compress_steps(part) for _, part in frame.groupby("run", sort=False, observed=True)]
    return pd.concat(parts, ignore_index=True) if parts else frame


def _focus(comp: Comparison) -> tuple[float, float] | None:
    """Initial y range of the anytime plot: from the global best to the median trial, padded."""
    values = comp.trials["value"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    best = float(comp.objective.best(values.tolist()))  # type: ignore[arg-type]
    ref = float(np.median(values))
    pad = 0.1 * abs(ref - best) or 0.1 * abs(best) or 1.0
    return (min(best, ref) - pad, max(best, ref) + pad)


def write_report(comp: Comparison, path: str | Path, **kwargs: Any) -> Path:
    """Render the report (see :func:`render_report` for options) and write it to ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(comp, **kwargs), encoding="utf-8")
    except OSError as exc:
        raise StorageError(
            invalid_parameter("output", "report", "a writable file path", str(path), str(exc))
        ) from exc
    return path


def _pareto_section(comp: Comparison, pareto: str | Sequence[tuple[str, str]]) -> list[str]:
    front = pareto_front(comp, pareto)
    on = front[front["on_front"]]
    metrics = [m for m, _ in parse_pareto(pareto)]
    view = pd.DataFrame({"run": on["label"], "trial": on["trial_id"],
                         **{m: on[m] for m in metrics}, "config": on["config"].map(_config_text)})
    spec = ", ".join(f"{m} ({mode})" for m, mode in parse_pareto(pareto))
    return [f"<h2>Pareto front: {html.escape(spec)}</h2>",
            f"<p class='note'>{len(on)} of {len(front)} trials are on the front: no other trial "
            "is at least as good on every metric and better on one. Trials missing a value (or "
            "NaN) are never on it.</p>",
            table(view, clip=["run"], wide=["config"])]


def _target_note(targets: pd.Series) -> str:
    parts = [f"{level:.0%} target = {value:.5g}" for level, value in targets.items()]
    return ("Targets (docs/compare.md): the p target closes the fraction p of the gap between "
            "the median trial and the best trial over all compared runs, "
            "best - (1 - p) * (best - median). " + ", ".join(parts) + ".")


def _tests_note(axis: str) -> str:
    return (f"Each pair of sweeps at the largest {axis.replace('_', ' ')} budget every run reached. "
            "One statistic throughout: diff = mean(a) - mean(b) (the mean per-seed difference "
            "when both sweeps share seeds); its 95 % percentile-bootstrap interval "
            "(scipy.stats.bootstrap) and two-sided permutation p-value "
            "(scipy.stats.permutation_test: sign flips when paired, label shuffles otherwise). "
            "Needs at least two runs (seeds) per sweep (use --all-runs).")


def _summary_view(summary: pd.DataFrame) -> pd.DataFrame:
    counts = [f"{r.n_trials} ({r.completed}/{r.early_stopped}/{r.errored}/{r.cancelled})"
              for r in summary.itertuples(index=False)]
    return pd.DataFrame({
        "run": summary["label"], "searcher": summary["searcher"],
        "scheduler": summary["scheduler"], "status": summary["status"],
        "trials (ok/stop/err/cancel)": counts, "best value": summary["best_value"],
        "compute s": summary["compute_seconds"], "trial life s": summary["trial_seconds"],
        "iterations": summary["iterations"], "wall s": summary["wall_seconds"],
        "best config": [_config_text(c) if not plan else
                        "; ".join(f"from {i}: {_config_text(p)}" for i, p in plan)
                        for c, plan in zip(summary["best_config"], summary["best_schedule"],
                                           strict=True)],
    })


def _cost_view(summary: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    view = pd.DataFrame({"run": summary["label"]})
    for level in levels:
        s = level_suffix(level)
        for axis in AXES:
            view[f"{axis.replace('_seconds', ' s')} to {s} %"] = summary[f"{axis}_to_{s}"]
    return view


def _tests_view(tests: pd.DataFrame) -> pd.DataFrame:
    verdicts = []
    for r in tests.itertuples(index=False):
        if r.n_a < 2 or r.n_b < 2:
            verdicts.append("needs >= 2 runs per sweep")
        else:
            verdicts.append(f"{r.better} is better" if r.distinguishable
                            else "not distinguishable")
    return pd.DataFrame({
        "a": tests["a"], "b": tests["b"], "budget": tests["budget"],
        "runs": [f"{r.n_a} vs {r.n_b}" for r in tests.itertuples(index=False)],
        "paired": tests["paired"].map({True: "yes", False: "no"}),
        "mean a": tests["mean_a"], "mean b": tests["mean_b"], "diff": tests["diff"],
        "interval": [f"[{_num(lo)}, {_num(hi)}]" for lo, hi in zip(tests["ci_low"],
                                                                  tests["ci_high"], strict=True)],
        "p": tests["p_value"], "verdict": verdicts,
    })


def _num(value: float) -> str:
    return "\u2013" if value is None or np.isnan(value) else f"{value:.5g}"


def _config_text(config: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in config.items())


def _short(value):
    return float(f"{value:.4g}") if isinstance(value, float) else value
