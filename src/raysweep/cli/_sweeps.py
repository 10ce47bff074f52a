"""``raysweep run | validate | plan | list``: commands about sweep definitions and launching them."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from raysweep._errors import RaysweepError
from raysweep.cli._options import results_option, stdout_console, sweeps_dir_option
from raysweep.cli._render import plan_table, summary_panel, sweeps_table
from raysweep.sweep import LoadedSweep, Sweep, grid_cells, list_sweeps, load_sweep, make_plan

__all__ = ["list_cmd", "plan_cmd", "run_cmd", "validate_cmd"]

_SWEEP_HELP = "SWEEP is a name under ./sweeps (see 'raysweep list') or a path to a .py file."


@click.command("run", epilog=_SWEEP_HELP)
@click.argument("sweep")
@results_option
@click.option("--address", default=None, metavar="ADDR",
              help="Join a running Ray cluster (e.g. 'auto' or 'ray://host:10001') instead of "
                   "starting an embedded local Ray.")
@click.option("--num-cpus", type=click.IntRange(min=1), default=None,
              help="CPUs of the embedded Ray (default: every core).")
@click.option("--num-gpus", type=click.IntRange(min=0), default=None,
              help="GPUs of the embedded Ray (default: detected).")
@click.option("--no-progress", is_flag=True, help="No live progress bar.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show what the trainables print (without Ray's prefixes). It always goes to "
                   "the run's log, named in the summary.")
@click.option("--warm-start", "warm_start", multiple=True, metavar="SWEEP_OR_RUN",
              help="Seed the searcher (tpe or optuna) with the in-space trials of an earlier sweep "
                   "(all its runs) or run, read from the results store. Repeatable.")
@click.option("--only-new", is_flag=True,
              help="Grid sweeps: run only the cells no earlier run of the sweep completed (a "
                   "widened grid costs only its new cells; errored cells run again). "
                   "'raysweep plan SWEEP' says how many would run.")
@sweeps_dir_option
def run_cmd(sweep: str, results: str | None, address: str | None, num_cpus: int | None,
            num_gpus: int | None, no_progress: bool, verbose: bool, warm_start: tuple[str, ...],
            only_new: bool, sweeps_dir: str) -> None:
    """Validate SWEEP, run it on Ray, and stream every result to Parquet."""
    from raysweep.execution import run_sweep

    loaded = load_sweep(sweep, sweeps_dir)
    if warm_start:
        loaded = _with_warm_start(loaded, warm_start)
    if only_new:
        grid_cells(loaded.sweep)  # a ConfigError (exit 2) for a sweep that is not a grid
    console = Console(stderr=True)
    summary = run_sweep(loaded, results_root=results, address=address, num_cpus=num_cpus,
                        num_gpus=num_gpus, progress=False if no_progress else None, console=console,
                        only_new=only_new, verbose=verbose)
    name = loaded.sweep.name
    if only_new and not summary.run_id:
        stdout_console().print(f"Every cell of {name!r} was completed by an earlier run; nothing "
                               f"to run. The whole grid: `raysweep show {name} --all-runs`.")
        sys.exit(0)
    stdout_console().print(summary_panel(summary))
    if only_new:
        stdout_console().print(f"Only the new cells ran. The whole grid, every run of {name!r} as "
                               f"one: `raysweep show {name} --all-runs`, `raysweep best {name}`.")
    sys.exit(summary.exit_code)


def _with_warm_start(loaded: LoadedSweep, sources: tuple[str, ...]) -> LoadedSweep:
    """``loaded`` warm-started from ``sources`` too (validated again: grid and random refuse it)."""
    import dataclasses

    from raysweep.warm_start import from_runs

    earlier = loaded.sweep.warm_start
    merged = (*(earlier.sources if earlier else ()), *sources)
    root = earlier.results_root if earlier else None
    sweep = dataclasses.replace(loaded.sweep, warm_start=from_runs(*merged, results_root=root))
    return dataclasses.replace(loaded, sweep=sweep)


@click.command("validate", epilog=_SWEEP_HELP)
@click.argument("sweep")
@sweeps_dir_option
def validate_cmd(sweep: str, sweeps_dir: str) -> None:
    """Check SWEEP completely without starting Ray."""
    from raysweep.execution import check_sweep

    loaded = load_sweep(sweep, sweeps_dir)
    s = loaded.sweep
    check_sweep(s)
    for warning in s.definition_warnings():
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[yellow]warning:[/] {warning}")
    click.echo(f"OK: sweep {s.name!r} ({loaded.path}): {s.n_trials} trials, "
               f"{s.searcher_spec.name} + {s.scheduler_spec.name}, {s.objectives_text()}"
               + (f", constraints {'; '.join(s.constraints)}" if s.constraints else "") + ".")


@click.command("plan", epilog=_SWEEP_HELP)
@click.argument("sweep")
@click.option("--address", default=None, metavar="ADDR",
              help="Plan against this live Ray cluster, node by node (e.g. 'auto' or HEAD:6379).")
@click.option("--num-cpus", type=float, default=None,
              help="CPUs to plan for (default: this machine's cores; ignored with --address).")
@click.option("--num-gpus", type=float, default=0.0, show_default=True,
              help="GPUs to plan for (ignored with --address).")
@results_option
@click.option("--history", "history", multiple=True, metavar="RUN",
              help="Estimate from these runs only (default: the latest ended runs of the sweep, "
                   "else of sweeps with the same trainable and a shared dimension). Repeatable.")
@sweeps_dir_option
def plan_cmd(sweep: str, address: str | None, num_cpus: float | None, num_gpus: float,
             results: str | None, history: tuple[str, ...], sweeps_dir: str) -> None:
    """Show what SWEEP will run: trials, searcher, scheduler, resources, concurrency, space; with
    --address, the live cluster's nodes and how many trials fit on each.

    When the results store holds earlier runs, also what it will cost: seconds per iteration,
    iterations per trial (for ASHA from its rungs), compute and wall time, and the runs this
    comes from. For a grid, how many cells 'raysweep run SWEEP --only-new' would run.
    """
    import os

    from raysweep.cli._plan_cost import cost_table

    loaded = load_sweep(sweep, sweeps_dir)
    if "ray" in sys.modules:  # the sweep module uses Ray: check what Ray-side objects ask for
        from raysweep.execution import check_sweep

        check_sweep(loaded.sweep)  # e.g. tune.with_resources: the plan would not be what runs
    if address is not None:
        from raysweep.execution import live_nodes

        plan = make_plan(loaded.sweep, nodes=live_nodes(address))
    else:
        plan = make_plan(loaded.sweep, num_cpus if num_cpus is not None else os.cpu_count(), num_gpus)
    console = stdout_console()
    console.print(plan_table(plan))
    console.print(cost_table(loaded.sweep, plan, results, list(history) or None))
    for warning in plan.warnings:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[yellow]warning:[/] {warning}")


@click.command("list")
@sweeps_dir_option
def list_cmd(sweeps_dir: str) -> None:
    """List the sweep modules under ./sweeps, marking invalid ones."""
    rows: list[tuple[str, Sweep | None, str | None]] = []
    for path in list_sweeps(sweeps_dir):
        try:
            rows.append((path.stem, load_sweep(str(path), sweeps_dir).sweep, None))
        except RaysweepError as exc:
            rows.append((path.stem, None, str(exc)))
    if not rows:
        click.echo(f"No sweep modules under {sweeps_dir!r}.")
        return
    stdout_console().print(sweeps_table(rows))
