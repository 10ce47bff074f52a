"""`raysweep compare` and `raysweep report`: draw what :mod:`raysweep.compare` computed."""

from __future__ import annotations

import json
from typing import Any

import click
import numpy as np
import pandas as pd
from rich.table import Table

from raysweep.cli._options import stdout_console

__all__ = ["compare_cmd", "report_cmd"]

_AXES = ("trials", "iterations", "compute_seconds", "wall_seconds")
_LEVELS = (0.95, 0.99)


def _selection_options(func):
    options = [
        click.argument("targets", nargs=-1, required=True),
        click.option("--results", "results_root", default=None, metavar="DIR",
                     help="Results root (default: $RAYSWEEP_RESULTS, else ./results)."),
        click.option("--all-runs", is_flag=True,
                     help="Take every run of each named sweep (as seeds), not only the latest."),
        click.option("--metric", default=None, help="Compare on this metric instead."),
        click.option("--mode", type=click.Choice(["min", "max"]), default=None,
                     help="Direction of --metric when the runs do not optimise it."),
        click.option("--top-k", type=click.IntRange(min=1), default=10, show_default=True,
                     help="How many top configurations to overlap."),
        click.option("--axis", type=click.Choice(_AXES), default="compute_seconds",
                     show_default=True, help="Budget axis of the equal-compute comparison."),
        click.option("--seed", type=int, default=0, show_default=True,
                     help="Seed of the bootstrap."),
        click.option("--pareto", default=None, metavar="M1:MODE,M2:MODE",
                     help="Also show the Pareto front over two metrics, e.g. "
                          "'val_ndcg:max,epoch_seconds:min' (the compared metric's best value; "
                          "any other metric's final value last.<metric>, or a stored column "
                          "such as trial_seconds)."),
        click.option("--reference", default=None, metavar="R1,R2,...",
                     help="Reference point of the hypervolume of multi-objective runs, one number "
                          "per objective in the runs' order (default: each objective's worst value "
                          "over the compared trials, moved 10% of its range further)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _load(targets, results_root, all_runs, metric, mode):
    from raysweep import compare

    # RaysweepError propagates: the raysweep group turns it into one line and an exit status.
    return compare.load(list(targets), results_root, all_runs=all_runs, metric=metric, mode=mode)


@click.command("compare")
@_selection_options
def compare_cmd(targets, results_root, all_runs, metric, mode, top_k, axis, seed, pareto,
                reference):
    """Compare runs: TARGETS are sweep names (latest run, or --all-runs) or run ids.

    With --pareto, the trials on the Pareto front over two metrics, for example
    `raysweep compare mf_tpe mf_random --pareto val_ndcg:max,epoch_seconds:min`.
    Multi-objective runs add each run's hypervolume (against --reference) and the bootstrap
    over seeds.
    """
    from raysweep import compare

    if pareto is not None:
        compare.parse_pareto(pareto)  # bad input fails before the store is read
    ref = _parse_reference(reference)
    comp = _load(targets, results_root, all_runs, metric, mode)
    console = stdout_console()  # wide when piped, like list/runs/show
    summary = compare.run_summary(comp, _LEVELS)
    targets_ = compare.target_values(comp, _LEVELS)
    console.print(_runs_table(summary, comp.metric, comp.mode))
    console.print(_cost_table(summary, targets_))
    pooled = 1 < len(comp.groups) < len(comp.labels)  # sweeps with seeds: per sweep, runs pooled
    console.print(_params_table(compare.best_params(comp, by="group" if pooled else "label"),
                                "sweep" if pooled else "run"))
    if pooled:
        console.print(_overlap_table(compare.topk_overlap(comp, top_k, by="group"), "sweep"))
    elif len(comp.labels) > 1:
        console.print(_overlap_table(compare.topk_overlap(comp, top_k), "run"))
    if len(comp.groups) > 1:
        console.print(_tests_table(compare.compare_groups(comp, axis, seed=seed), axis))
    if pareto is not None:
        console.print(_pareto_table(compare.pareto_front(comp, pareto), pareto))
    pairs = _objectives(comp, ref)
    if pairs:
        hv = compare.run_hypervolumes(comp, pairs, ref)
        bands = compare.hypervolume_bands(comp, pairs, hv["reference"].iloc[0], seed=seed)
        console.print(_hypervolume_table(hv, bands, pairs, given=ref is not None))
        if len(comp.groups) > 1:
            console.print(_tests_table(compare.compare_hypervolumes(
                comp, pairs, hv["reference"].iloc[0], seed=seed), "hypervolume"))


def _parse_reference(text: str | None) -> tuple[float, ...] | None:
    from raysweep._errors import ConfigError, invalid_parameter

    if text is None:
        return None
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(invalid_parameter("reference", "compare", "numbers separated by commas, "
                                            "one per objective, such as '0.2,150'", text)) from None


def _objectives(comp: Any, reference: tuple[float, ...] | None) -> list[tuple[str, str]]:
    """The runs' objectives when they are several (and agree); --reference needs them."""
    from raysweep import compare
    from raysweep._errors import ConfigError, invalid_parameter

    try:
        pairs = compare.objectives_of(comp)
    except ConfigError:
        if reference is not None:
            raise
        return []
    if not pairs and reference is not None:
        raise ConfigError(invalid_parameter("reference", "compare", "given for multi-objective "
                                            "runs only", ",".join(f"{r:g}" for r in reference)))
    return pairs


def _hypervolume_table(hv: pd.DataFrame, bands: pd.DataFrame, pairs: list[tuple[str, str]], *,
                       given: bool) -> Table:
    ref = ", ".join(f"{m} = {r:.4g}" for (m, _), r in zip(pairs, hv["reference"].iloc[0],
                                                          strict=True))
    origin = "given" if given else "worst over the compared trials + 10% of the range"
    median = dict(zip(bands["group"], bands["median"], strict=True))
    band = {g: f"[{_fmt(lo)}, {_fmt(hi)}]" for g, lo, hi in zip(bands["group"], bands["lo"],
                                                                bands["hi"], strict=True)}
    table = Table(title=f"Hypervolume ({', '.join(f'{m} {d}' for m, d in pairs)}; reference "
                        f"{ref}, {origin})",
                  caption="Per sweep: the median over its runs (seeds), 90% bootstrap band.")
    for name in ("run", "hypervolume", "trials", "on front", "sweep median", "band"):
        table.add_column(name, justify="left" if name == "run" else "right")
    for r in hv.itertuples(index=False):
        table.add_row(r.label, _fmt(r.hypervolume), str(r.n_points), str(r.n_front),
                      _fmt(median.get(r.group)), band.get(r.group, "-"))
    return table


@click.command("report")
@_selection_options
@click.option("-o", "--output", default="report.html", show_default=True,
              type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--title", default=None, help="Title of the report.")
def report_cmd(targets, results_root, all_runs, metric, mode, top_k, axis, seed, pareto, reference,
               output, title):
    """Write one self-contained interactive HTML report comparing TARGETS.

    Learning curves show ASHA's rung cutoffs (from the store's rungs dataset); --pareto adds the
    Pareto front over two metrics (figure and table); multi-objective runs add their
    hypervolumes (against --reference) and their fronts on one plot.
    """
    from raysweep.compare import parse_pareto, write_report

    if pareto is not None:
        parse_pareto(pareto)
    ref = _parse_reference(reference)
    comp = _load(targets, results_root, all_runs, metric, mode)
    _objectives(comp, ref)  # --reference on runs of one objective: refused
    path = write_report(comp, output, title=title, top_k=top_k, axis=axis, seed=seed,
                        pareto=pareto, reference=ref)
    click.echo(f"Wrote {path} ({len(comp.labels)} runs, metric {comp.metric}, {comp.mode}).")


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        return "-" if np.isnan(value) else f"{value:.4g}"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if not isinstance(value, str) and pd.isna(value):
        return "-"
    return str(value)


def _config(config: dict) -> str:
    return json.dumps({k: float(f"{v:.3g}") if isinstance(v, float) else v
                       for k, v in config.items()}, default=str)


def _schedule(schedule: list) -> str:
    """A PBT run's best schedule: each config with the iteration it trained from."""
    return "; ".join(f"from {start}: {_config(config)}" for start, config in schedule)


def _runs_table(summary: pd.DataFrame, metric: str, mode: str) -> Table:
    table = Table(title=f"Runs ({metric}, {mode})")
    for name in ("run", "searcher", "scheduler", "trials (ok/stop/err/cancel)", f"best {metric}",
                 "best config", "compute s", "trial life s", "iterations", "wall s"):
        table.add_column(name, justify="left" if name in ("run", "best config") else "right")
    for r in summary.itertuples(index=False):
        counts = f"{r.n_trials} ({r.completed}/{r.early_stopped}/{r.errored}/{r.cancelled})"
        table.add_row(r.label, _fmt(r.searcher), _fmt(r.scheduler), counts, _fmt(r.best_value),
                      _config(r.best_config) if not r.best_schedule
                      else _schedule(r.best_schedule), _fmt(r.compute_seconds), _fmt(r.trial_seconds),
                      _fmt(r.iterations),
                      _fmt(r.wall_seconds))
    return table


def _cost_table(summary: pd.DataFrame, targets: pd.Series) -> Table:
    levels = ", ".join(f"{lv:.0%} = {tv:.4g}" for lv, tv in targets.items())
    table = Table(title=f"Cost to reach the targets ({levels})",
                  caption="The 95% target closes 95% of the gap from the median trial to the best "
                          "trial of all compared runs (docs/compare.md, Targets).")
    table.add_column("run")
    for level in targets.index:
        pct = f"{level * 100:g}"
        for axis in ("trials", "iterations", "compute s", "wall s"):
            table.add_column(f"{axis} to {pct}%", justify="right")
    for r in summary.to_dict("records"):
        cells = [r["label"]]
        for level in targets.index:
            pct = f"{level * 100:g}"
            cells += [_fmt(r[f"{axis}_to_{pct}"]) for axis in _AXES]
        table.add_row(*cells)
    return table


def _params_table(best: pd.DataFrame, unit: str) -> Table:
    over = " (over its runs)" if unit == "sweep" else ""
    table = Table(title=f"Best configuration of each {unit}{over}")
    table.add_column("parameter")
    for label in best.columns:
        table.add_column(str(label), justify="right")
    for name, row in best.iterrows():
        table.add_row(str(name), *(_fmt(v) for v in row))
    return table


def _overlap_table(overlap: pd.DataFrame, unit: str) -> Table:
    k = int(overlap["k"].iloc[0]) if not overlap.empty else 0
    pooled = " (each sweep's runs pooled)" if unit == "sweep" else ""
    table = Table(title=f"Overlap of the top-{k} configurations per {unit}{pooled}")
    for name in ("a", "b", "shared", "jaccard", "range overlap"):
        table.add_column(name, justify="left" if name in ("a", "b") else "right")
    for r in overlap.itertuples(index=False):
        table.add_row(r.a, r.b, str(r.shared), _fmt(r.jaccard), _fmt(r.range_overlap))
    return table


def _tests_table(tests: pd.DataFrame, axis: str) -> Table:
    table = Table(title=f"Equal-compute comparison ({axis}; diff of means, 95% bootstrap "
                        "interval, permutation p)")
    for name in ("a", "b", "budget", "runs", "paired", "mean a", "mean b", "diff",
                 "interval", "p", "verdict"):
        table.add_column(name, justify="left" if name in ("a", "b", "verdict") else "right")
    for r in tests.itertuples(index=False):
        if r.n_a < 2 or r.n_b < 2:
            verdict = "needs >= 2 runs per sweep (--all-runs)"
        elif r.distinguishable:
            verdict = f"{r.better} is better"
        elif r.p_value > 0.05:
            verdict = "not distinguishable (more seeds?)"
        else:
            verdict = "not distinguishable"
        table.add_row(r.a, r.b, _fmt(r.budget), f"{r.n_a} vs {r.n_b}", _fmt(bool(r.paired)),
                      _fmt(r.mean_a), _fmt(r.mean_b), _fmt(r.diff),
                      f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]", _fmt(r.p_value), verdict)
    return table


def _pareto_table(front: pd.DataFrame, spec: str) -> Table:
    metrics = [c for c in front.columns if c not in ("label", "run", "trial_id", "on_front",
                                                     "config")]
    on = front[front["on_front"]]
    table = Table(title=f"Pareto front ({spec}): {len(on)} of {len(front)} trials",
                  caption="No other trial is at least as good on both metrics and better on one; "
                          "trials missing a value (or NaN) are never on the front.")
    for name in ("run", "trial_id", *metrics, "config"):
        table.add_column(name, justify="right" if name in metrics else "left")
    for r in on.to_dict("records"):
        table.add_row(r["label"], r["trial_id"], *(_fmt(r[m]) for m in metrics), _config(r["config"]))
    return table
