"""Running a sweep on Ray Tune: the one place where specs become a Tuner."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ray.cloudpickle
from ray import tune
from ray.tune.search.basic_variant import BasicVariantGenerator
from rich.console import Console

from raysweep._errors import ExecutionError, RaysweepError
from raysweep.execution.cluster._ray import check_fits, ray_runtime
from raysweep.execution.durability._trim import RELEASE_ENV, TRIM_ENV, TrimCallback, lean_result_grid
from raysweep.execution.launch._cost import estimate_line, estimate_record
from raysweep.execution.launch._record import build_run_record
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.launch._workdir import owned_workdir
from raysweep.execution.recording._store_callback import ParquetResultsCallback
from raysweep.execution.recording._trial_info import number
from raysweep.execution.terminal._interrupt import interrupt_guard
from raysweep.execution.terminal._progress import ProgressCallback
from raysweep.execution.terminal._quiet import route_ray_logs
from raysweep.execution.terminal._text import (
    clean_error,
    error_groups,
    error_of,
    explain_fit_error,
    explain_os_error,
)
from raysweep.execution.tune._asha import RungCallback
from raysweep.execution.tune._convert import link_early_stops, load_seeds, make_scheduler, make_search
from raysweep.execution.tune._guard import NonFiniteGuard, guard_trainable
from raysweep.results import RunStatus, RunWriter, load_trials, resolve_root
from raysweep.results import error_groups as group_stored_errors
from raysweep.searchers import GridSearch
from raysweep.sweep import LoadedSweep, Sweep, is_sweep_module, load_sweep, new_cells

__all__ = ["Launch", "fit", "new_run_id", "preserved_process_state", "run_sweep"]


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
) -> RunSummary:
    """Run ``sweep`` to its end and return its summary.

    Uses the Ray this process already started if there is one; otherwise starts an embedded local Ray
    (``address=None``, ``num_cpus`` defaulting to every core) or joins the cluster at ``address``. Every
    trial's results stream to Parquet under ``results_root`` unless ``write_results=False``. Ray's own files
    go to ``<results_root>/_ray/<sweep>/<run_id>``. The process's ``sys.path`` and environment are
    the same after the call as before it, so sweeps can run one after another in a notebook.

    ``only_new`` (grid sweeps): run only the cells no earlier run of the sweep completed; when
    none is left, nothing runs and the summary counts 0 trials (``run_id`` empty).
    """
    with preserved_process_state():
        loaded = _as_loaded(sweep)
        sweep = loaded.sweep
        run_id = run_id or new_run_id()
        root = _resolve_root(results_root)
        console = console or Console(stderr=True)
        live = console.is_terminal if progress is None else progress
        # The results root is checked (its partitions created) before Ray starts: a bad root fails
        # in milliseconds, not after Ray's start-up.
        seeds = load_seeds(sweep, root)  # warm start: a bad source fails before Ray starts
        cells = new_cells(sweep, root) if only_new else None
        if cells is not None and cells.n_new == 0:
            return _nothing_new(sweep, root)
        writer = RunWriter(root, sweep=sweep.name, run_id=run_id) if write_results else None
        if live:  # ray.init takes seconds: say so rather than leave the terminal blank
            console.print("[dim]Starting Ray...[/]")
        try:
            with ray_runtime(address, num_cpus, num_gpus, pythonpath=_project_paths(loaded)):
                cluster = check_fits(sweep.resources)
                _pickle_sweep_modules_by_value(sweep)
                launch = Launch(loaded, run_id, root, live, console, seeds=seeds, record={
                    "n_warm_start": seeds.n if seeds else 0,
                    "warm_start_runs": json.dumps(list(seeds.runs) if seeds else []),
                    **(estimate_record(sweep, root, cluster, cells.n_new if cells else None)
                       if write_results else {}),
                    **({"n_skipped_cells": cells.n_done} if cells else {})})
                if cells is not None:
                    launch.cells, launch.total_trials = list(cells.configs), cells.n_new
                return fit(launch, cluster, writer)
        finally:
            if writer is not None:
                writer.close()


@dataclass
class Launch:
    """One launch of a run: a new run, or a resume (``restore_path`` and ``prior`` set)."""

    loaded: LoadedSweep
    run_id: str
    root: str
    live: bool
    console: Console
    restore_path: str | None = None
    prior: dict[str, dict[str, Any]] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    seeds: Any = None  # warm start: raysweep.warm_start.Seeds, or None
    total_trials: int | None = None  # the progress bar's total when not the sweep's (extend)
    cells: list[dict[str, Any]] | None = None  # grid --only-new: the cells to run, nothing else

    @property
    def ray_storage(self) -> str:
        return f"{self.root.rstrip('/')}/_ray/{self.loaded.sweep.name}"


def fit(launch: Launch, cluster: dict[str, float], writer: RunWriter | None) -> RunSummary:
    """Write the run row, build (or restore) the Tuner, fit it, and write the final run row.

    Whatever fails after the run row is written marks the run ``failed`` with the reason (a second
    Ctrl-C: ``interrupted``) before the error propagates.
    """
    loaded, run_id = launch.loaded, launch.run_id
    sweep = loaded.sweep
    record = {**build_run_record(loaded, run_id, datetime.now(UTC), cluster), **launch.record}
    store = None
    try:
        store = _open_store(writer, launch, record) if writer is not None else None
        return _fit(launch, record, store)
    except BaseException as exc:
        if writer is not None and store is not None:
            status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            reason = _reason(exc, f"{launch.ray_storage}/{run_id}")
            writer.write_run({**record, **store.summary(), "status": status.value,
                              "error_message": f"{sweep.name} (run {run_id}): {reason}",
                              "ended_at": datetime.now(UTC)})
        raise


def _reason(exc: BaseException, ray_dir: str) -> str:
    """The run row's line for an error that ended the run; an OS error always names a path."""
    if isinstance(exc, OSError):
        try:
            cwd: str | None = os.getcwd()
        except FileNotFoundError:
            cwd = os.environ.get("PWD")
        return explain_os_error(exc, ray_dir=ray_dir, cwd=cwd)
    return clean_error(exc) if str(exc) else type(exc).__name__


def _fit(launch: Launch, record: dict[str, Any], store: ParquetResultsCallback | None) -> RunSummary:
    loaded, run_id = launch.loaded, launch.run_id
    sweep = loaded.sweep
    progress = ProgressCallback(launch.total_trials or sweep.n_trials, sweep.metric,
                                str(sweep.mode), launch.console, live=launch.live,
                                asha_max_t=sweep.asha.max_t if sweep.asha else None)
    if store is not None:  # a resumed run starts with the trials that ended before
        so_far = store.summary()
        progress.done = int(so_far["n_completed"])
        progress.early_stopped = int(so_far["n_early_stopped"])
        progress.errored = int(so_far["n_errored"])
        # ... and the best value any of its trials reported, running ones included.
        progress.best = progress.objective.best(number(row.get("metric_best"))
                                                for row in launch.prior.values())
    ray_dir = f"{launch.ray_storage}/{run_id}"

    def notify(signum):
        launch.console.print("[yellow]Stopping the sweep; results so far are kept "
                             f"(continue it with `raysweep resume {run_id}`). "
                             "Press Ctrl-C again to abort at once.[/]")

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, our progress bar only
    clock = time.monotonic()
    fit_error: BaseException | None = None
    with (interrupt_guard(notify) as interrupted, progress,
          route_ray_logs(ray_dir, launch.console) as logs):  # tracebacks to a log file (_quiet.py)
        rungs = [RungCallback(store.writer, store.trial_key)] if store else []  # ASHA decisions
        callbacks = [_ForwardInterrupt(interrupted), progress, *rungs, *([store] if store else [])]
        trim = os.environ.get(TRIM_ENV, "1") != "0"  # Tune's per-trial state, bounded (_trim.py)
        if trim:  # after the store: it trims what the snapshot the store forced already holds
            callbacks.append(TrimCallback(
                sweep.metric, sweep.asha.time_attr if sweep.asha else "training_iteration",
                (lambda: int(getattr(store, "snapshots", 0))) if store else None,
                release=os.environ.get(RELEASE_ENV, "1") != "0"))
        tuner = _tuner(launch, callbacks)
        cwd: str | None = None
        try:
            # In a cwd of its own: Ray may replace a job's working_dir under its driver (_workdir.py)
            with lean_result_grid() if trim else nullcontext(), owned_workdir() as cwd:
                grid = tuner.fit()
        except Exception as exc:  # noqa: BLE001 - Tune aborts the experiment (e.g. metric never reported)
            fit_error, grid = exc, None
    elapsed = time.monotonic() - clock
    summary = _summarise(loaded, run_id, launch.root, store, progress, grid, interrupted.is_set(),
                         fit_error, elapsed, ray_dir=ray_dir, log_path=logs.destination)
    if store is not None and launch.restore_path is None and not launch.prior:  # a fresh run
        line = estimate_line(launch.record, launch.root, sweep.name, run_id, elapsed)
        summary = dataclasses.replace(summary, estimate=line)
    if store is not None:
        store.writer.write_run({**record, **store.summary(), "status": summary.status,
                                "ended_at": datetime.now(UTC)})
    if fit_error is not None:
        reason = (explain_os_error(fit_error, ray_dir=ray_dir, cwd=cwd)
                  if isinstance(fit_error, OSError) else explain_fit_error(fit_error, sweep.metric))
        raise ExecutionError(f"Sweep {sweep.name!r} (run {run_id}) stopped: {reason}") from fit_error
    return summary


class _ForwardInterrupt(tune.Callback):
    """Ctrl-C becomes Ray Tune's own interrupt (SIGUSR1, which Tune always handles): its loop ends
    after the current step and its final snapshot keeps running trials unfinished and the searcher
    open, so `raysweep resume` continues the run. (A stopper's ``stop_all`` would instead mark every
    trial terminated and the searcher finished in that snapshot.)"""

    def __init__(self, event: threading.Event) -> None:
        self.event, self.sent = event, False

    def on_step_begin(self, iteration: int, trials: list, **info: Any) -> None:
        if self.event.is_set() and not self.sent:
            self.sent = True
            signal.raise_signal(signal.SIGUSR1)

    def __getstate__(self) -> dict[str, Any]:  # pickled into tuner.pkl: a restored run is fresh
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.event, self.sent = threading.Event(), False


def _tuner(launch: Launch, callbacks: list[tune.Callback]) -> tune.Tuner:
    """A new Tuner, or Ray's ``Tuner.restore`` of the run's Ray directory with fresh callbacks."""
    sweep = launch.loaded.sweep
    param_space, search_alg = make_search(sweep, launch.seeds)
    # guard_trainable + NonFiniteGuard: a NaN or inf sweep metric errors its trial (_guard.py)
    trainable = tune.with_resources(guard_trainable(sweep.trainable, sweep.metric),
                                    dict(sweep.resources))
    if launch.cells is not None:  # --only-new: exactly these grid cells, each a preset point
        search_alg = BasicVariantGenerator(points_to_evaluate=list(launch.cells),
                                           max_concurrent=sweep.concurrency_cap or 0)
    if launch.restore_path is not None:
        tuner = tune.Tuner.restore(launch.restore_path, trainable, resume_unfinished=True,
                                   resume_errored=False, restart_errored=False,
                                   param_space=param_space)
        # Tune restores the run config pickled at the first launch; its callbacks belonged to the
        # dead driver. Ray 2.60 has no public setter: the Tuner's run config is replaced in place.
        local = tuner._local_tuner
        if local is None:  # only a Ray Client tuner has none; raysweep never makes one
            raise ExecutionError(f"Cannot resume {launch.run_id} through a Ray Client tuner.")
        local.get_run_config().callbacks = callbacks
        return tuner
    scheduler = NonFiniteGuard(make_scheduler(sweep), sweep.metric)
    link_early_stops(search_alg, scheduler)  # pickled together: a restored Tuner keeps the link
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=sweep.metric, mode=sweep.mode, search_alg=search_alg, scheduler=scheduler,
            num_samples=len(launch.cells) if launch.cells is not None else _num_samples(sweep),
            time_budget_s=sweep.time_budget_s, reuse_actors=True,
            trial_dirname_creator=_trial_dirname,
        ),
        run_config=tune.RunConfig(
            name=launch.run_id,
            storage_path=launch.ray_storage,
            verbose=0,
            callbacks=callbacks,
            failure_config=tune.FailureConfig(max_failures=sweep.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
        ),
    )


def _trial_dirname(trial: Any) -> str:
    """A trial's directory name: its id. A module function, not a lambda: every trial's state in
    Tune's snapshots pickles it, by reference (~100 bytes) instead of by value (~600 bytes)."""
    return str(trial.trial_id)


def _summarise(loaded: LoadedSweep, run_id: str, root: str, store: ParquetResultsCallback | None,
               progress: ProgressCallback, grid: tune.ResultGrid | None, interrupted: bool,
               fit_error: BaseException | None, elapsed: float, ray_dir: str,
               log_path: str | None = None) -> RunSummary:
    """The run's final status, counts and best trial (from the store when it is on)."""
    sweep = loaded.sweep
    if store is not None:
        store.finalize(interrupted=interrupted or fit_error is not None)
        info = store.summary()
        counts = {k[2:]: int(v) for k, v in info.items() if k.startswith("n_")}
        best = (info.get("best_value"), info.get("best_config"), info.get("best_trial_id"))
    else:
        counts = {"trials": progress.ended, "completed": progress.done,
                  "early_stopped": progress.early_stopped, "errored": progress.errored}
        best = (progress.best, None, None)
    # One Result at a time: a list of every trial's Result would add to the driver's peak per trial.
    raised = [] if grid is None else [e for e in (grid[i].error for i in range(len(grid))) if e is not None]
    errors = [clean_error(e) for e in raised]
    stored = store is not None and counts.get("errored", 0) > 0  # no read when nothing errored
    groups = (_stored_error_groups(root, sweep.name, run_id) if stored else None) or \
        error_groups(error_of(e) for e in raised)
    n_trials = counts.get("trials", 0)
    if interrupted:
        status = RunStatus.INTERRUPTED.value
    elif fit_error is not None or (n_trials > 0 and counts.get("errored", 0) == n_trials):
        status = RunStatus.FAILED.value
    else:
        status = RunStatus.FINISHED.value
    return RunSummary(
        sweep=sweep.name, run_id=run_id, status=status, metric=sweep.metric, mode=str(sweep.mode),
        counts=counts, best_value=best[0], best_config=best[1], best_trial_id=best[2],
        elapsed_s=elapsed, results_root=root if store is not None else None,
        ray_dir=ray_dir, errors=errors, error_groups=groups, log_path=log_path,
        trial_lifetimes_s=progress.trial_lifetimes_s,
    )


def _nothing_new(sweep: Sweep, root: str) -> RunSummary:
    """The summary of an --only-new launch that found every cell done: no run was started."""
    return RunSummary(sweep=sweep.name, run_id="", status=RunStatus.FINISHED.value,
                      metric=sweep.metric, mode=str(sweep.mode),
                      counts={"trials": 0, "completed": 0, "early_stopped": 0, "errored": 0,
                              "cancelled": 0},
                      best_value=None, best_config=None, best_trial_id=None, elapsed_s=0.0,
                      results_root=root, ray_dir="")


def _stored_error_groups(root: str, sweep: str, run_id: str) -> list[dict[str, Any]] | None:
    """The run's distinct errors as ``raysweep show RUN --errors`` groups them (None: unreadable)."""
    try:
        frame = group_stored_errors(load_trials(root, sweeps=sweep, runs=run_id,
                                                columns=["status", "error_type", "error_message"]))
    except RaysweepError:
        return None
    return [{"error_type": r.error_type or "", "error_message": r.error_message or "",
             "n_trials": int(r.n_trials)} for r in frame.itertuples()]


def _open_store(writer: RunWriter, launch: Launch,
                record: dict[str, Any]) -> ParquetResultsCallback:
    """Write the run row ('running') and make the callback that feeds the writer."""
    sweep = launch.loaded.sweep
    writer.write_run(record)
    return ParquetResultsCallback(
        writer, sweep=sweep.name, run_id=launch.run_id, metric=sweep.metric, mode=str(sweep.mode),
        asha_max_t=sweep.asha.max_t if sweep.asha else None,
        time_attr=sweep.asha.time_attr if sweep.asha else "training_iteration",
        prior=launch.prior, index_offset=int(launch.record.get("trial_index_offset") or 0),
    )


@contextmanager
def preserved_process_state() -> Iterator[None]:
    """Restore ``sys.path`` and ``os.environ`` exactly as they were (a notebook runs many sweeps)."""
    path, environ = list(sys.path), dict(os.environ)
    try:
        yield
    finally:
        sys.path[:] = path
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        for key, value in environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def _num_samples(sweep: Sweep) -> int:
    """Ray's ``num_samples``: grid passes for grid search, trials otherwise."""
    if isinstance(sweep.searcher, GridSearch):
        return sweep.num_samples or 1
    return int(sweep.num_samples or 0)  # validated: set for every other searcher


def _resolve_root(results_root: str | None) -> str:
    root = resolve_root(results_root)
    return root if "://" in root else str(Path(root).resolve())


def _as_loaded(sweep: Sweep | LoadedSweep | str) -> LoadedSweep:
    if isinstance(sweep, LoadedSweep):
        return sweep
    if isinstance(sweep, str):
        return load_sweep(sweep)
    source = inspect.getsourcefile(sweep.trainable)
    return LoadedSweep(sweep, Path(source) if source else None, "", "")  # type: ignore[arg-type]


def _project_paths(loaded: LoadedSweep) -> list[str]:
    """Directories workers need on sys.path: the project root holding sweeps/ and search_spaces/."""
    if loaded.path is None or not loaded.module_name:
        return []
    return [str(loaded.path.parent.parent)]


def _pickle_sweep_modules_by_value(sweep: Sweep) -> None:
    """Sweep modules are imported by path, so workers cannot import them: ship their code by value."""
    module = sys.modules.get(getattr(sweep.trainable, "__module__", ""))
    if module is not None and is_sweep_module(module.__name__):
        ray.cloudpickle.register_pickle_by_value(module)


