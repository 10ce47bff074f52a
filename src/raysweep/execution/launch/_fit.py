"""The launch sequence shared by run, resume and extend (:func:`start`), and fitting the launch (:func:`fit`):
the run row, the Tuner (new or restored) with raysweep's callbacks, the summary.

Every launch goes the same way: Ray is started or joined with the project's directories on the
workers' path, the cluster is checked to hold a trial, the sweep module is pickled by value (workers
cannot import it by name), the run is priced when it is new, and the Tuner is fitted.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from ray import tune
from ray.tune.search.basic_variant import BasicVariantGenerator
from ray.tune.trainable.function_trainable import FunctionTrainable

from raysweep._errors import ExecutionError
from raysweep.execution._internals import allow_limiter_pending_trials, replace_restored_callbacks
from raysweep.execution.cluster._ray import check_fits, ray_runtime
from raysweep.execution.durability._trim import RELEASE_ENV, TRIM_ENV, TrimCallback, lean_result_grid
from raysweep.execution.launch._cost import estimate_line, estimate_record
from raysweep.execution.launch._launch import (
    Launch,
    RayTarget,
    pickle_sweep_modules_by_value,
    project_paths,
)
from raysweep.execution.launch._record import build_run_record
from raysweep.execution.launch._summarise import summarise
from raysweep.execution.launch._summary import RunSummary
from raysweep.execution.launch._workdir import owned_workdir
from raysweep.execution.recording._store_callback import ParquetResultsCallback
from raysweep.execution.recording._trial_info import number
from raysweep.execution.terminal._interrupt import interrupt_guard
from raysweep.execution.terminal._progress import ProgressCallback
from raysweep.execution.terminal._quiet import LogRoute, route_ray_logs
from raysweep.execution.terminal._text import (
    clean_error,
    explain_fit_error,
    explain_os_error,
)
from raysweep.execution.tune._asha import RungCallback
from raysweep.execution.tune._callbacks import make_callbacks, write_after_trial_end
from raysweep.execution.tune._carried import CarriedStops
from raysweep.execution.tune._convert import concurrency, link_early_stops, make_scheduler, make_search
from raysweep.execution.tune._driver_bound import DriverBound
from raysweep.execution.tune._guard import NonFiniteGuard, guard_trainable
from raysweep.execution.tune._pbt import LineageCallback
from raysweep.execution.tune._retention import PopulationRetention
from raysweep.execution.tune._trainer import releasing_workers, trainer_trial, trial_reservation
from raysweep.results import RunStatus, RunWriter
from raysweep.schedulers import PB2, PBT
from raysweep.searchers import GridSearch, RandomSearch
from raysweep.sweep import Sweep, describe_trainer

__all__ = ["fit", "start"]


def start(launch: Launch, writer: RunWriter | None, target: RayTarget) -> RunSummary:
    """Start or join Ray, check that a trial fits, and fit the run (the one launch sequence).

    Ray's worker output and driver log records go to the run's log file from before Ray starts
    until after it shuts down (:func:`route_ray_logs`): Ray forwards worker lines until its log
    thread stops at shutdown and then prints the lines it held back, so a route narrower than the
    Ray session let a trial's traceback reach the terminal.
    """
    sweep = launch.loaded.sweep
    if launch.live:  # ray.init takes seconds: say so rather than leave the terminal blank
        launch.console.print("[dim]Starting Ray...[/]" if target.address is None
                             else f"[dim]Joining the Ray cluster at {target.address}...[/]")
    with (route_ray_logs(launch.ray_dir, launch.console, show_prints=launch.verbose) as logs,
          ray_runtime(target.address, target.num_cpus, target.num_gpus,
                      pythonpath=project_paths(launch.loaded))):
        cluster = check_fits(sweep)
        pickle_sweep_modules_by_value(sweep)
        if launch.estimate and writer is not None:
            n_new = len(launch.cells) if launch.cells is not None else None
            launch.record.update(estimate_record(sweep, launch.root, cluster, n_new))
        return fit(launch, cluster, writer, logs)


def fit(launch: Launch, cluster: dict[str, float], writer: RunWriter | None,
        logs: LogRoute) -> RunSummary:
    """Write the run row, build (or restore) the Tuner, fit it, and write the final run row.

    Whatever fails after the run row is written marks the run ``failed`` with the reason (a second
    Ctrl-C: ``interrupted``) before the error propagates.
    """
    loaded, run_id = launch.loaded, launch.run_id
    sweep = loaded.sweep
    record = {**build_run_record(loaded, run_id, datetime.now(UTC), cluster), **launch.record}
    store = None
    carried = CarriedStops()  # a resumed run's STOPs carried over from the previous driver
    try:
        store = _open_store(writer, launch, record, carried) if writer is not None else None
        return _fit(launch, record, store, logs, carried)
    except BaseException as exc:
        if writer is not None and store is not None:
            status = RunStatus.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
            reason = _reason(exc, launch.ray_dir)
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


def _fit(launch: Launch, record: dict[str, Any], store: ParquetResultsCallback | None,
         logs: LogRoute, carried: CarriedStops) -> RunSummary:
    loaded, run_id = launch.loaded, launch.run_id
    sweep = loaded.sweep
    progress = ProgressCallback(launch.total_trials or sweep.n_trials, sweep.metric,
                                str(sweep.mode), launch.console, live=launch.live,
                                asha_max_t=sweep.early_stopping.max_t if sweep.early_stopping else None,
                                carried=carried)
    if store is not None:  # a resumed run starts with the trials that ended before
        so_far = store.summary()
        progress.done = int(so_far["n_completed"])
        progress.early_stopped = int(so_far["n_early_stopped"])
        progress.errored = int(so_far["n_errored"])
        # ... and the best value any of its trials reported, running ones included.
        progress.best = progress.objective.best(number(row.get("metric_best"))
                                                for row in launch.prior.values())
    ray_dir = launch.ray_dir

    # A PBT/PB2 run cannot be resumed (Tune restores no scheduler state: _continue.refuse_population)
    later = ("" if getattr(sweep.scheduler_spec, "population", False)
             else f"(continue it with `raysweep resume {run_id}`). ")

    def notify(signum):
        launch.console.print(f"[yellow]Stopping the sweep; results so far are kept {later}"
                             "Press Ctrl-C again to abort at once.[/]")

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, our progress bar only
    clock = time.monotonic()
    fit_error: BaseException | None = None
    with interrupt_guard(notify) as interrupted, progress:
        rungs: list[tune.Callback] = [RungCallback(store.writer, store.trial_key, carried)] if store else []
        population = sweep.scheduler_spec  # PBT's exploits: the perturbations dataset (tune/_pbt.py)
        if store and isinstance(population, PBT | PB2):
            rungs.append(LineageCallback(store.writer, store.trial_key, population.time_attr,
                                         [".".join(p) for p in population.mutated_paths()]))
        if isinstance(population, PBT | PB2):  # Ray deletes none of its checkpoints: this does
            keep = sweep.checkpoint_spec
            rungs.append(PopulationRetention(keep.score or sweep.metric,
                                             keep.score_order(sweep.mode) or str(sweep.mode)))
        # The sweep's own callbacks (MLflow, W&B, ...) after the store, before the trim below.
        own = make_callbacks(sweep)
        # CarriedStops first: the others ask it in their hooks for the same event
        callbacks: list[tune.Callback] = [_ForwardInterrupt(interrupted), carried, progress, *rungs,
                                          *([store] if store else []), *own]
        if store:
            store.gate.prune = not write_after_trial_end(own)
        trim = os.environ.get(TRIM_ENV, "1") != "0"  # Tune's per-trial state, bounded (_trim.py)
        if trim:  # after the store: it trims what the snapshot the store forced already holds
            callbacks.append(TrimCallback(
                sweep.metric,
                sweep.early_stopping.time_attr if sweep.early_stopping
                else getattr(sweep.scheduler_spec, "time_attr", "training_iteration"),
                store.gate if store else None,
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
    summary = summarise(loaded, run_id, launch.root, store, progress, grid, interrupted.is_set(),
                         fit_error, elapsed, ray_dir=ray_dir,
                         log_path=logs.destination if logs.written else None)
    if store is not None and launch.estimate:  # a fresh run: what it cost against the estimate
        line = estimate_line(launch.record, launch.root, sweep.name, run_id, elapsed)
        summary = dataclasses.replace(summary, estimate=line)
    if store is not None:
        store.writer.write_run({**record, **store.summary(), "status": summary.status,
                                "ended_at": datetime.now(UTC)})
    if fit_error is not None:
        reason = (explain_os_error(fit_error, ray_dir=ray_dir, cwd=cwd)
                  if isinstance(fit_error, OSError) else explain_fit_error(fit_error, sweep.objective_names))
        raise ExecutionError(f"Sweep {sweep.name!r} (run {run_id}) stopped: {reason}") from fit_error
    return summary


class _ForwardInterrupt(DriverBound):
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



def _tuner(launch: Launch, callbacks: list[tune.Callback]) -> tune.Tuner:
    """A new Tuner, or Ray's ``Tuner.restore`` of the run's Ray directory with fresh callbacks."""
    sweep = launch.loaded.sweep
    param_space, search_alg = make_search(sweep, launch.seeds)
    # guard_trainable + NonFiniteGuard: a NaN or inf sweep metric errors its trial (_guard.py)
    trial_class = guard_trainable(_trial_function(launch), sweep.objective_names)
    if sweep.trainer is not None:
        trial_class = releasing_workers(trial_class)
    trainable = tune.with_resources(trial_class, _reservation(sweep))
    if launch.cells is not None:  # --only-new: exactly these grid cells, each a preset point
        search_alg = BasicVariantGenerator(points_to_evaluate=list(launch.cells),
                                           max_concurrent=concurrency(sweep) or 0)
    allow_limiter_pending_trials(search_alg)  # Ray < 2.57 ran a limited searcher's trials one by one
    if launch.restore_path is not None:
        tuner = tune.Tuner.restore(launch.restore_path, trainable, resume_unfinished=True,
                                   resume_errored=False, restart_errored=False,
                                   param_space=param_space)
        # Tune restores the run config pickled at the first launch; its callbacks belonged to the
        # dead driver. Ray has no public setter: the adapter replaces them in place.
        if not replace_restored_callbacks(tuner, callbacks):  # only a Ray Client tuner has none
            raise ExecutionError(f"Cannot resume {launch.run_id} through a Ray Client tuner.")
        return tuner
    own = make_scheduler(sweep) if launch.scheduler is None else launch.scheduler
    scheduler = NonFiniteGuard(own, sweep.objective_names)
    link_early_stops(search_alg, scheduler)  # pickled together: a restored Tuner keeps the link
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=sweep.metric, mode=sweep.mode, search_alg=search_alg, scheduler=scheduler,
            num_samples=len(launch.cells) if launch.cells is not None else _num_samples(sweep),
            time_budget_s=sweep.time_budget_s, reuse_actors=_reuse_actors(sweep.trainable),
            trial_dirname_creator=_trial_dirname,
        ),
        run_config=tune.RunConfig(
            name=launch.run_id,
            storage_path=launch.ray_storage,
            verbose=0,
            callbacks=callbacks,
            failure_config=tune.FailureConfig(max_failures=sweep.max_failures),
            stop=dict(sweep.stop) if sweep.stop else None,
            checkpoint_config=_checkpoint_config(sweep),
        ),
    )


def _checkpoint_config(sweep: Sweep) -> tune.CheckpointConfig:
    """Tune's CheckpointConfig of the sweep's ``checkpoint`` spec (default: the latest one kept).

    Resume needs nothing more: Ray's checkpoint manager never deletes a trial's latest checkpoint,
    whatever ``num_to_keep`` and the score say, and that is the one a retried or resumed trial
    continues from."""
    keep = sweep.checkpoint_spec
    return tune.CheckpointConfig(
        # PBT copies the checkpoint a trial had when it was ranked, and the copier may restore it
        # only after that trial saved more: Ray's retention can delete it first (ray #27170), so
        # under PBT Ray deletes none and raysweep's PopulationRetention deletes the checkpoints
        # nothing can copy or restore any more (tune/_retention.py; docs/pbt.md measures the disk).
        num_to_keep=None if getattr(sweep.scheduler_spec, "population", False) else keep.num_to_keep,
        checkpoint_score_attribute=keep.score,
        checkpoint_score_order=keep.score_order(sweep.mode) or "max",
        checkpoint_frequency=keep.frequency,
        checkpoint_at_end=keep.at_end if keep.at_end is not None
        else _checkpoint_at_end(sweep.trainable))


def _trial_function(launch: Launch) -> Any:
    """What each trial runs: the sweep's trainable, or the Tune function that runs its Ray Train
    trainer with the trial's config (``tune/_trainer.py``)."""
    sweep = launch.loaded.sweep
    if sweep.trainer is None:
        return sweep.trainable
    return trainer_trial(sweep.trainable, launch.ray_dir)


def _reservation(sweep: Sweep) -> dict[str, float]:
    own = dict(sweep.resources or {})
    return trial_reservation(own) if sweep.trainer is not None else own


def _is_class_trainable(trainable: Any) -> bool:
    return (isinstance(trainable, type) and issubclass(trainable, tune.Trainable)
            and not issubclass(trainable, FunctionTrainable))


def _reuse_actors(trainable: Any) -> bool:
    """Reuse trial actors (a new worker process per trial costs ~1 s) wherever Tune can: function
    trainables always, a ``tune.Trainable`` subclass only when it implements ``reset_config``. Tune
    refuses to reuse one that does not (``Trainable runner reuse requires reset_config()``) and the
    trials it would have reused never ran. A Ray Train trainer's trial is never reused: it is still
    in ``fit`` while its workers shut down, and its actor is what releases them (``_trainer.py``)."""
    if describe_trainer(trainable) is not None:
        return False
    if _is_class_trainable(trainable):
        return trainable.reset_config is not tune.Trainable.reset_config
    return True


def _checkpoint_at_end(trainable: Any) -> bool | None:
    """Tune saves a ``tune.Trainable`` subclass at its end by default; one without a
    ``save_checkpoint`` of its own cannot save, and every trial would end in ``NotImplementedError``:
    such a class is not saved at the end (it has no checkpoint to resume from either). None keeps
    Tune's default (function trainables report their checkpoints themselves)."""
    if _is_class_trainable(trainable):
        return trainable.save_checkpoint is not tune.Trainable.save_checkpoint
    return None


def _trial_dirname(trial: Any) -> str:
    """A trial's directory name: its id. A module function, not a lambda: every trial's state in
    Tune's snapshots pickles it, by reference (~100 bytes) instead of by value (~600 bytes)."""
    return str(trial.trial_id)


def _open_store(writer: RunWriter, launch: Launch, record: dict[str, Any],
                carried: CarriedStops) -> ParquetResultsCallback:
    """Write the run row ('running') and make the callback that feeds the writer."""
    sweep = launch.loaded.sweep
    writer.write_run(record)
    return ParquetResultsCallback(
        writer, sweep=sweep.name, run_id=launch.run_id, metric=sweep.metric, mode=str(sweep.mode),
        asha_max_t=sweep.early_stopping.max_t if sweep.early_stopping else None,
        time_attr=sweep.early_stopping.time_attr if sweep.early_stopping else "training_iteration",
        prior=launch.prior, index_offset=int(launch.record.get("trial_index_offset") or 0),
        space=sweep.space, checkpoint_score=sweep.checkpoint_spec.score,
        checkpoint_order=sweep.checkpoint_spec.score_order(sweep.mode),
        constraints=sweep.constraints, carried=carried,
    )


def _num_samples(sweep: Sweep) -> int:
    """Ray's ``num_samples``: grid passes for grid search; for random search samples per cell of the
    ``space.grid`` dimensions (Ray's ``grid_search``, crossed by Ray); every trial for TPE and Optuna
    (raysweep crosses the cells, _crossed.py)."""
    if isinstance(sweep.searcher, GridSearch):
        return sweep.num_samples or 1
    if isinstance(sweep.searcher, RandomSearch):
        return int(sweep.num_samples or 0)  # validated: set for every other searcher
    return sweep.n_trials

