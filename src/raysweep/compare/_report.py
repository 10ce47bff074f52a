"""One self-contained, offline HTML report: tables and interactive figures, plotly.js inlined once."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from raysweep._errors import StorageError, invalid_parameter

from ._anytime import AXES, anytime_best, target_values
from ._figures import (
    anytime_figure,
    distribution_figure,
    learning_figure,
    marginal_figure,
    parallel_figure,
)
from ._load import Comparison
from ._params import best_params, marginal_effects, param_names, top_trials, topk_overlap
from ._stats import compare_groups, seed_bands
from ._summary import learning_curves, level_suffix, run_summary

__all__ = ["render_report", "report_figures", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0} th,td{padding:3px 8px;
border:1px solid #ddd;text-align:right} th{background:#f4f4f4} td:first-child,th:first-child{
text-align:left} .note{color:#555;font-size:.9em;max-width:60em} .fig{margin:1em 0}
"""


def render_report(
    comp: Comparison,
    *,
    title: str | None = None,
    levels: Sequence[float] = (0.95, 0.99),
    top_k: int = 10,
    axis: str = "compute_seconds",
    n_boot: int = 1000,
    seed: int = 0,
) -> str:
    """The report as one HTML string (no network needed to open it)."""
    summary = run_summary(comp, levels)
    tests = compare_groups(comp, axis, n_boot=n_boot, seed=seed)
    targets = target_values(comp, levels)
    labels = list(comp.runs["label"])
    figures = list(report_figures(comp, levels=levels, top_k=top_k, n_boot=n_boot,
                                  seed=seed).values())
    title = title or f"raysweep comparison: {', '.join(dict.fromkeys(comp.runs['sweep']))}"
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='note'>Metric <b>{html.escape(comp.metric)}</b> ({comp.mode}imised) over "
        f"{len(labels)} run(s). {html.escape(_target_note(targets))}</p>",
        "<h2>Runs</h2>", _table(_summary_view(summary, levels)),
        "<h2>Cost to reach the targets</h2>", _table(_cost_view(summary, levels)),
        "<h2>Is the difference real? (equal compute)</h2>",
        f"<p class='note'>{html.escape(_tests_note(axis))}</p>",
        _table(_tests_view(tests)) if not tests.empty else "<p>Only one sweep.</p>",
        "<h2>Best configuration of each run</h2>", _table(best_params(comp), index=True),
        f"<h2>Overlap of the top-{top_k} configurations</h2>",
        _table(topk_overlap(comp, top_k)) if len(labels) > 1 else "<p>Only one run.</p>",
        "<h2>Figures</h2>",
    ]
    for i, fig in enumerate(figures):
        sections.append("<div class='fig'>" + fig.to_html(
            include_plotlyjs=i == 0, full_html=False, div_id=f"raysweep-fig-{i}",
            config={"displaylogo": False, "responsive": True},
        ) + "</div>")
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def report_figures(
    comp: Comparison,
    *,
    levels: Sequence[float] = (0.95, 0.99),
    top_k: int = 10,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, go.Figure]:
    """The report's figures by name: ``anytime``, ``distribution``, ``parallel``, ``marginal``,
    ``learning`` (plotly figures, for notebooks or image export)."""
    labels = list(comp.runs["label"])
    group_of = dict(zip(comp.runs["label"], comp.runs["group"], strict=True))
    curves = {a: anytime_best(comp, a) for a in AXES}
    bands = {a: seed_bands(comp, a, n_boot=n_boot, seed=seed) for a in AXES}
    trials = comp.trials.assign(label=comp.trials["run"].map(comp.runs.set_index("run")["label"]))
    return {
        "anytime": anytime_figure(curves, labels=labels, metric=comp.metric, bands=bands,
                                  group_of=group_of, targets=target_values(comp, levels),
                                  y_range=_focus(comp)),
        "distribution": distribution_figure(trials, labels=labels, metric=comp.metric),
        "parallel": parallel_figure(top_trials(comp, top_k), params=param_names(comp),
                                    metric=comp.metric, labels=labels),
        "marginal": marginal_figure(marginal_effects(comp, by="group"), labels=comp.groups,
                                    metric=comp.metric),
        "learning": learning_figure(learning_curves(comp), labels=labels, metric=comp.metric),
    }


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


def write_report(comp: Comparison, path: str | Path, **kwargs) -> Path:
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


def _target_note(targets: pd.Series) -> str:
    parts = [f"{level:.0%}: {value:.5g}" for level, value in targets.items()]
    return ("Targets (global best minus (1 - p) of the distance from the median trial to the "
            "global best, over all compared runs) — " + ", ".join(parts) + ".")


def _tests_note(axis: str) -> str:
    return (f"Each pair of sweeps at the largest {axis.replace('_', ' ')} budget every run reached. "
            "One statistic throughout: diff = mean(a) - mean(b) (the mean per-seed difference "
            "when both sweeps share seeds); its 95 % percentile-bootstrap interval "
            "(scipy.stats.bootstrap) and two-sided permutation p-value "
            "(scipy.stats.permutation_test: sign flips when paired, label shuffles otherwise). "
            "Needs at least two runs (seeds) per sweep (use --all-runs).")


def _summary_view(summary: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    view = summary[["label", "searcher", "scheduler", "status", "n_trials", "completed",
                    "early_stopped", "errored", "cancelled", "best_value", "trial_seconds",
                    "compute_seconds", "iterations", "wall_seconds"]].copy()
    view["best_config"] = summary["best_config"].map(_config_text)
    return view


def _cost_view(summary: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    columns = ["label"]
    for level in levels:
        s = level_suffix(level)
        columns += [f"{a}_to_{s}" for a in AXES]
    return summary[columns]


def _tests_view(tests: pd.DataFrame) -> pd.DataFrame:
    return tests[["a", "b", "axis", "budget", "n_a", "n_b", "paired", "mean_a", "mean_b",
                  "diff", "ci_low", "ci_high", "p_value", "distinguishable", "better"]]


def _config_text(config: dict) -> str:
    return json.dumps({k: _short(v) for k, v in config.items()}, default=str)


def _short(value):
    return float(f"{value:.4g}") if isinstance(value, float) else value


def _cell(value) -> str:
    if isinstance(value, float | np.floating):
        return "–" if np.isnan(value) else f"{value:.5g}"
    if value is None or (not isinstance(value, str | bool | dict) and pd.isna(value)):
        return "–"
    return html.escape(str(value))


def _table(frame: pd.DataFrame, *, index: bool = False) -> str:
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for key, row in frame.iterrows():
        cells = ([f"<th>{html.escape(str(key))}</th>"] if index else []) + [
            f"<td>{_cell(v)}</td>" for v in row
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"
