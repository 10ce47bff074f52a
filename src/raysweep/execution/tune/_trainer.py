"""A Ray Train trainer as a sweep's trials, the way Ray Train V2 prescribes it.

Each trial is a Tune function trial that builds the trainer again with the trial's config merged
over the trainer's own ``train_loop_config`` and calls ``fit()``. Every ``ray.train.report`` reaches
the trial as rank 0's metrics (what Ray's ``TuneReportCallback`` passes on), so each stored
iteration is one rank-0 report.

The trainer's run lives under the Tune run's storage, named by the trial id:
``<ray storage>/<run id>/train/<trial id>``. Ray Train restores a run of the same name and storage
from its latest checkpoint, so a trial that Tune retries (``max_failures``) or that ``raysweep
resume`` restarts continues from the last checkpoint its workers reported, where
``ray.train.get_checkpoint()`` returns it. For Tune to count that trial's iterations on (the store
keys rows by iteration: a count starting again at 1 would replace the rows of the first attempt),
raysweep relays each report itself rather than through ``TuneReportCallback``, which gives Tune no
checkpoint: a report that carries a Train checkpoint reaches Tune with a small checkpoint of its
own naming it (:class:`_Relay`), from which Tune restores the trial's iteration count.

When Tune stops a trial (ASHA, the time budget), it ends the trial's actor; the trainer's
controller is an actor owned by it and its workers are owned by the controller, so they end with it
(Ray's ownership). Their placement group does not: a placement group outlives the actor that made
it, until the job ends, and Ray Train's detached cleaner needs Ray's dashboard and a machine with
one Ray instance, which an embedded Ray and a test machine lack. The next trials would wait for
those CPUs forever. So rank 0 hands its placement group to the trial's actor as it starts
(:func:`_handing_over`), and the trial's ``cleanup``, which Tune runs as it stops the trial,
removes it (:func:`releasing_workers`).
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["POINTER_FILE", "TRAIN_DIR", "releasing_workers", "trainer_trial", "trial_reservation"]

#: Folder of the Tune run's storage holding every trial's Ray Train run.
TRAIN_DIR = "train"
#: The file of the Tune checkpoint that names the Train checkpoint of a report.
POINTER_FILE = "raysweep_train_checkpoint.json"
#: Seconds between two looks at whether ``fit`` has returned while no report comes.
_POLL_S = 1.0

# The trainer's constructor parameters that raysweep sets itself, and the attribute each of the
# others is kept under (Ray Train V2's DataParallelTrainer and its subclasses: TorchTrainer's
# ``torch_config`` is kept as ``backend_config``).
_OWN = frozenset({"train_loop_config", "run_config", "resume_from_checkpoint", "metadata"})
_ATTRIBUTE = {"dataset_config": "data_config"}
# The fields of the trainer's RunConfig a trial keeps (its name, storage and callbacks are raysweep's).
_RUN_CONFIG_KEPT = ("storage_filesystem", "failure_config", "checkpoint_config", "worker_runtime_env",
                    "logging_config")


def trial_reservation(own: Mapping[str, float]) -> dict[str, float]:
    """What the Tune trial that launches a trainer reserves: ``own`` (the sweep's resources), or
    one byte of memory when that is nothing (Ray refuses an empty request; the trainer's workers get
    their own placement group, so a trial that reserved a CPU would keep it from them)."""
    reserved = {k: float(v) for k, v in own.items() if v}
    return reserved or {"cpu": 0.0, "memory": 1.0}


def trainer_trial(trainer: Any, storage_path: str) -> Callable[[dict[str, Any]], None]:
    """The Tune function trial running ``trainer`` with each trial's config.

    ``storage_path``: the Tune run's folder (``<ray storage>/<run id>``), reachable by every node
    as Tune's own storage must be.
    """
    rebuild = _rebuilder(trainer)
    base = dict(trainer.train_loop_config or {})
    template = trainer.run_config
    storage = f"{storage_path.rstrip('/')}/{TRAIN_DIR}"
    loop = trainer.train_loop_per_worker

    def run_trainer(config: dict[str, Any]) -> None:
        import ray
        from ray import train, tune
        from ray.util.queue import Queue

        reports = Queue(maxsize=1, actor_options={"num_cpus": 0})
        kept = {field: getattr(template, field) for field in _RUN_CONFIG_KEPT if hasattr(template, field)}
        run_config = train.RunConfig(
            name=tune.get_context().get_trial_id(), storage_path=storage,
            callbacks=[*(template.callbacks or []), _relay(reports)], **kept,
        )
        trial = ray.get_runtime_context().current_actor
        fitting = _Fitting(rebuild(_handing_over(loop, trial), {**base, **config}, run_config))
        fitting.start()
        while (item := fitting.next_report(reports)) is not None:
            metrics, checkpoint_path = item
            if checkpoint_path is None:
                tune.report(metrics)
                continue
            with tempfile.TemporaryDirectory() as directory:
                with open(os.path.join(directory, POINTER_FILE), "w") as f:
                    json.dump({"train_checkpoint": checkpoint_path}, f)
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))
        fitting.finish()

    run_trainer.__name__ = getattr(loop, "__name__", "train_loop_per_worker")
    run_trainer.__qualname__ = getattr(loop, "__qualname__", run_trainer.__name__)
    return run_trainer


class _Fitting:
    """``trainer.fit()`` in a thread of its own, while the trial's thread relays its reports."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._fit, name="raysweep-train-fit", daemon=True)

    def _fit(self) -> None:
        try:
            self.trainer.fit()
        except BaseException as exc:  # noqa: BLE001 - raised again in the trial's thread (finish)
            self.error = exc

    def start(self) -> None:
        self.thread.start()

    def next_report(self, reports: Any) -> tuple[dict[str, Any], str | None] | None:
        """The next rank-0 report, or None once ``fit`` has returned and every report is relayed."""
        from ray.util.queue import Empty

        while True:
            try:
                return tuple(reports.get(timeout=_POLL_S))
            except Empty:
                if not self.thread.is_alive() and reports.empty():
                    return None

    def finish(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _relay(reports: Any) -> Any:
    """A Ray Train callback (it runs in the trainer's controller) putting rank 0's metrics and its
    checkpoint's path, if any, on ``reports`` after every ``ray.train.report``."""
    from ray.train import UserCallback

    class _Relay(UserCallback):
        def __init__(self, queue: Any) -> None:
            self.queue = queue

        def after_report(self, run_context: Any, metrics: list[dict[str, Any]],
                         checkpoint: Any) -> None:
            self.queue.put((dict(metrics[0]), checkpoint.path if checkpoint is not None else None))

    return _Relay(reports)


def _handing_over(loop: Callable[[dict[str, Any]], Any], trial: Any) -> Callable[[dict[str, Any]], Any]:
    """``loop`` whose rank 0 first hands the workers' placement group to the trial's actor."""

    @functools.wraps(loop)
    def train_loop_per_worker(config: dict[str, Any]) -> Any:
        import ray
        from ray import train

        if train.get_context().get_world_rank() == 0:
            group = ray.util.get_current_placement_group()
            if group is not None:
                trial.raysweep_hold_workers.remote(group)
        return loop(config)

    return train_loop_per_worker


def releasing_workers(trial_class: type) -> type:
    """``trial_class`` (the trial's Trainable) holding its Train workers' placement group and
    removing it in ``cleanup``, which Tune runs in the trial's actor when it stops the trial."""

    class ReleasingWorkers(trial_class):
        _raysweep_groups: list[Any] | None = None

        def raysweep_hold_workers(self, group: Any) -> None:
            self._raysweep_groups = [*(self._raysweep_groups or []), group]

        def cleanup(self) -> None:
            from ray.util import remove_placement_group

            for group in self._raysweep_groups or []:
                try:
                    remove_placement_group(group)  # ends the workers still in it
                except Exception:  # noqa: BLE001 - already removed by Ray Train at a normal end
                    pass
            self._raysweep_groups = None
            super().cleanup()

    ReleasingWorkers.__name__ = ReleasingWorkers.__qualname__ = trial_class.__name__
    return ReleasingWorkers


def _rebuilder(trainer: Any) -> Callable[[Callable[..., Any], dict[str, Any], Any], Any]:
    """A function building ``trainer``'s class again with a new loop config and run config, every
    other constructor argument as the user gave it (read back from the trainer's attributes)."""
    cls = type(trainer)
    kept: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "train_loop_per_worker") or name in _OWN \
                or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        attribute = _ATTRIBUTE.get(name, name)
        if not hasattr(trainer, attribute) and name.endswith("_config"):
            attribute = "backend_config"  # torch_config, tensorflow_config, xgboost_config, ...
        if hasattr(trainer, attribute):
            kept[name] = getattr(trainer, attribute)
    return functools.partial(_build, cls, kept)


def _build(cls: type, kept: dict[str, Any], loop: Callable[..., Any], loop_config: dict[str, Any],
           run_config: Any) -> Any:
    return cls(loop, **kept, train_loop_config=loop_config, run_config=run_config)
