"""``extend_run``: N more trials in an ended run, same run id, the earlier trials untouched.

How the searcher continues: a new Tuner in the run's Ray directory whose searcher is told every
earlier trial of the run as an evaluated point (the warm-start path: TPE takes them into its
history, Optuna as completed trials; they count toward the start-up phase and are never suggested
as new work), seeded with ``seed + k`` for the run's ``k``-th extension (random search takes no
points: the new seed alone keeps it from drawing its first configs again). ``Tuner.restore`` of the
finished experiment was the alternative; Tune marks a finished experiment's searcher done and
``num_samples`` is fixed in the pickled search algorithm, so continuing it means editing Tune's
private state. Feeding the points back uses public searcher APIs and survives a lost Ray directory.

Refused before Ray starts (``ConfigError``, exit status 2): ``num_samples`` < 1, an unknown run, a
run whose driver is alive, a crashed or interrupted run (resume it first), a PBT or PB2 run, a grid sweep (use
``raysweep run SWEEP --only-new``), a sweep module that changed since the run started (``force``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
from rich.console import Console

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.execution.launch._continue import (
    carried_columns,
    continue_run,
    load_unchanged,
    refuse_population,
    stored_int,
)
from raysweep.execution.launch._launch import (
    Launch,
    RayTarget,
    as_loaded,
    preserved_process_state,
    resolve_results_root,
)
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.tune._convert import load_seeds
from raysweep.execution.tune._preflight import check_sweep
from raysweep.results import RunStatus, resolve_run
from raysweep.searchers import GridSearch, RandomSearch
from raysweep.sweep import LoadedSweep, Sweep
from raysweep.warm_start import WarmStart

__all__ = ["extend_run", "refuse_unless_extendable"]


def extend_run(
    run: str,
    *,
    num_samples: int,
    results_root: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    progress: bool | None = None,
    force: bool = False,
    console: Console | None = None,
    sweep: Sweep | LoadedSweep | None = None,
    verbose: bool = False,
) -> RunSummary:
    """Run ``num_samples`` more trials in ``run`` (a run id, or a sweep name for its latest run).

    The new trials join the run's partition with indices after the earlier ones; earlier trial rows
    and ids are never rewritten. The returned summary counts the whole run. The sweep is the run's
    sweep module, reloaded; ``sweep`` passes it instead (a sweep defined in Python, same name).
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ConfigError(invalid_parameter(
            "num_samples", "raysweep extend", "an integer >= 1", num_samples,
            "Say how many more trials to run, e.g. --num-samples 8."))
    with preserved_process_state():
        root = resolve_results_root(results_root)
        row = resolve_run(root, run, owner="raysweep extend")
        sweep_name, run_id = str(row["sweep"]), str(row["run"])
        refuse_population(row, "raysweep extend")  # before 'resume it first': PBT is never resumed
        refuse_unless_extendable(row)
        loaded = load_unchanged(row, force) if sweep is None else as_loaded(sweep)
        check_sweep(loaded.sweep)  # before Ray starts, as a new run does
        if loaded.sweep.name != sweep_name:
            raise ConfigError(invalid_parameter(
                "sweep", "raysweep extend", f"the sweep of run {run_id} ({sweep_name!r})",
                loaded.sweep.name))
        if isinstance(loaded.sweep.searcher_spec, GridSearch):
            raise ConfigError(
                f"Run {run_id} of sweep {sweep_name!r} is a grid search: a grid has no 'more trials'. "
                f"Widen the grid in the sweep module and run `raysweep run {sweep_name} --only-new`: "
                "only the cells no earlier run completed will run.")
        extensions = stored_int(row.get("extensions")) + 1
        loaded = _extended(loaded, num_samples, extensions, run_id, root)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        seeds = load_seeds(loaded.sweep, root)

        def launch(prior: dict[str, dict[str, Any]]) -> Launch:
            offset = 1 + max((int(r["trial_index"]) for r in prior.values()
                              if pd.notna(r["trial_index"])), default=-1)
            record = {**carried_columns(row), "extensions": extensions,
                      "num_samples": stored_int(row.get("num_samples")) + num_samples,
                      "trial_index_offset": offset}
            return Launch(loaded, run_id, root, live, console, prior=prior, record=record,
                          seeds=seeds, total_trials=len(prior) + loaded.sweep.n_trials,
                          verbose=verbose)

        return continue_run(root, row, RayTarget(address, num_cpus, num_gpus), launch)


def refuse_unless_extendable(row: pd.Series) -> None:
    """``ConfigError`` for a run still being written, or one that has to be resumed first."""
    name = f"Run {row['run']} of sweep {row['sweep']!r}"
    status = str(row.get("status"))
    if status == RunStatus.RUNNING:  # a stored 'running' run whose driver is gone reads 'crashed'
        raise ConfigError(f"{name} is still running (driver pid {stored_int(row.get('driver_pid'))} on "
                          f"{row.get('driver_host')}). Wait for it to end, then extend it.")
    if status in (RunStatus.CRASHED, RunStatus.INTERRUPTED):
        raise ConfigError(f"{name} {status} before its trials ended. Continue it first with "
                          f"`raysweep resume {row['run']}`, then extend it.")


def _extended(loaded: LoadedSweep, n: int, k: int, run_id: str, root: str) -> LoadedSweep:
    """The run's sweep for its ``k``-th extension: ``n`` trials, seed + k, told the run's trials."""
    sweep = loaded.sweep
    spec = sweep.searcher_spec
    seed = sweep.searcher_seed + k
    # The run's points_to_evaluate ran as its first trials: an extension samples new ones.
    changes: dict[str, Any] = {"num_samples": n, "seed": sweep.seed + k, "points_to_evaluate": None}
    if "seed" in {f.name for f in dataclasses.fields(spec)}:
        changes["searcher"] = dataclasses.replace(spec, seed=seed)  # type: ignore[call-arg]
    if not isinstance(spec, RandomSearch):  # random search takes no evaluated points
        earlier = sweep.warm_start.sources if sweep.warm_start else ()
        changes["warm_start"] = WarmStart((*earlier, run_id), root)
    return dataclasses.replace(loaded, sweep=dataclasses.replace(sweep, **changes))
