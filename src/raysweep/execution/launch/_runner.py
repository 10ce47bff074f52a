"""``run_sweep``: a new run of a sweep (resume and extend continue a stored run: _resume.py, _extend.py)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape

from raysweep.execution.launch._fit import start
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
from raysweep.results import RunStatus, RunWriter
from raysweep.sweep import LoadedSweep, Sweep, new_cells

__all__ = ["new_run_id", "run_sweep"]


def new_run_id(now: datetime | None = None) -> str:
    """A unique, sortable run id such as ``20261127T103634Z-3fa2c1``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_sweep(
    sweep: Sweep | LoadedSweep | str,
    *,
    results_root: str | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    write_results: bool = True,
    progress: bool | None = None,
    run_id: str | None = None,
    console: Console | None = None,
    only_new: bool = False,
    verbose: bool = False,
) -> RunSummary:
    """Run ``sweep`` to its end and return its summary.

    Uses the Ray this process already started if there is one; otherwise starts an embedded local Ray
    (``address=None``, ``num_cpus`` defaulting to every core) or joins the cluster at ``address``. Every
    trial's results stream to Parquet under ``results_root`` unless ``write_results=False``. Ray's own files
    go to ``<results_root>/_ray/<sweep>/<run_id>``. The process's ``sys.path`` and environment are
    the same after the call as before it, so sweeps can run one after another in a notebook.

    What the trainables print goes to the run's log (``<ray dir>/raysweep.log``); ``verbose`` shows
    it on the console too, without Ray's prefixes.

    ``only_new`` (grid sweeps): run only the cells no earlier run of the sweep completed; when
    none is left, nothing runs and the summary counts 0 trials (``run_id`` empty).
    """
    with preserved_process_state():
        loaded = as_loaded(sweep)
        sweep = loaded.sweep
        run_id = run_id or new_run_id()
        root = resolve_results_root(results_root)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        # The results root is checked (its partitions created) before Ray starts: a bad root fails
        # in milliseconds, not after Ray's start-up.
        check_sweep(sweep)  # with_parameters data, resource requests, callbacks' packages
        for warning in sweep.definition_warnings():  # as `raysweep validate` and `plan` say them
            console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
        seeds = load_seeds(sweep, root)  # warm start: a bad source fails before Ray starts
        cells = new_cells(sweep, root) if only_new else None
        if cells is not None and cells.n_new == 0:
            return _nothing_new(sweep, root)
        launch = Launch(loaded, run_id, root, live, console, seeds=seeds, estimate=True,
                        verbose=verbose, record={
            "n_warm_start": seeds.n if seeds else 0,
            "warm_start_runs": json.dumps(list(seeds.runs) if seeds else []),
            **({"n_skipped_cells": cells.n_done} if cells else {})})
        if cells is not None:
            launch.cells, launch.total_trials = list(cells.configs), cells.n_new
        writer = RunWriter(root, sweep=sweep.name, run_id=run_id) if write_results else None
        try:
            return start(launch, writer, RayTarget(address, num_cpus, num_gpus))
        finally:
            if writer is not None:
                writer.close()

def _nothing_new(sweep: Sweep, root: str) -> RunSummary:
    """The summary of an --only-new launch that found every cell done: no run was started."""
    return RunSummary(sweep=sweep.name, run_id="", status=RunStatus.FINISHED.value,
                      metric=sweep.metric, mode=str(sweep.mode),
                      counts={"trials": 0, "completed": 0, "early_stopped": 0, "errored": 0,
                              "cancelled": 0},
                      best_value=None, best_config=None, best_trial_id=None, elapsed_s=0.0,
                      results_root=root, ray_dir="")

