"""Ray Tune's ``TuneController``: finding it, forcing its experiment snapshot, and the trial
collections raysweep trims (docs/architecture.md, "Scale").

Tune gives callbacks no handle on its controller and no public way to force a snapshot or to drop an
ended trial; everything here reaches into ``ray.tune.execution.tune_controller.TuneController``.
"""

from __future__ import annotations

import logging
import sys
from types import FrameType
from typing import Any

from raysweep.execution._internals._registry import degrade, missing, requirement

__all__ = [
    "cached_decisions", "checkpoint_experiment", "controller_scheduler", "controller_trials",
    "find_controller",
    "mark_for_snapshot", "replace_trial_states", "trial_holders", "trial_states",
    "wait_for_experiment_sync",
]

logger = logging.getLogger(__name__)

_CONTROLLER = "ray.tune.execution.tune_controller:TuneController"

_GETFRAME = requirement(
    "sys", "_getframe", "function",
    why="walk the call stack from Callback.setup up to Tune's controller")
_SETUP = requirement(
    _CONTROLLER, "setup_experiments", "method", params=("experiments", "total_num_samples"),
    why="find the controller: the frame that calls every Callback.setup has it as `self`")
_CHECKPOINT = requirement(
    _CONTROLLER, "checkpoint", "method", params=("force", "wait"),
    why="force Tune's experiment snapshot and wait for it (exact resume)")
_MANAGER = requirement(
    _CONTROLLER, "_checkpoint_manager", "attribute",
    why="reach the syncer of Tune's own periodic snapshot copy, to wait for it before forcing one")
_MANAGER_STORAGE = requirement(
    "ray.tune.execution.experiment_state:_ExperimentCheckpointManager", "_storage", "attribute",
    why="reach the syncer of Tune's own periodic snapshot copy, to wait for it before forcing one")
_SYNCER = requirement(
    "ray.train._internal.storage:StorageContext", "syncer", "attribute",
    why="wait for Tune's own periodic snapshot copy before forcing one")
_SYNCER_WAIT = requirement(
    "ray.train._internal.syncer:Syncer", "wait", "method",
    why="wait for Tune's own periodic snapshot copy before forcing one")
_SCHEDULER = requirement(
    _CONTROLLER, "scheduler_alg", "property",
    why="find the scheduler Tune runs (a restored run's is unpickled), to record ASHA's rungs")
_TRIALS = requirement(
    _CONTROLLER, "_trials", "attribute",
    why="release ended trials: the controller's list of every trial")
_TRIAL_METADATA = requirement(
    _CONTROLLER, "_trial_metadata", "attribute",
    why="release ended trials: the controller's cache of every trial's JSON state for snapshots")
_TRIALS_TO_CACHE = requirement(
    _CONTROLLER, "_trials_to_cache", "attribute",
    why="release ended trials: the trials whose JSON the next snapshot refreshes")
_STOPPED = requirement(
    _CONTROLLER, "_stopped_trials", "attribute",
    why="release ended trials: the controller's set of terminated trials")
_CALLBACKS = requirement(
    _CONTROLLER, "_callbacks", "attribute",
    why="release ended trials: Tune's logger and progress callbacks keep trials in dicts and sets")
_CALLBACK_LIST = requirement(
    "ray.tune.callback:CallbackList", "_callbacks", "attribute",
    why="release ended trials: the callbacks inside Tune's CallbackList")
_CACHED = requirement(
    _CONTROLLER, "_cached_trial_decisions", "attribute",
    why="know the scheduler decisions a restored run carries over from its snapshot (a STOP taken "
        "while the trial's checkpoint was being saved is executed at the trial's next save)")
_MARK = requirement(
    _CONTROLLER, "_mark_trial_to_checkpoint", "method", params=("trial",),
    why="have the next snapshot write a trimmed trial's JSON state")

_RELEASE_OFF = "releasing ended trials is off for this run (the driver keeps every trial object)"


def find_controller(purpose: str, *, required: bool) -> Any | None:
    """The ``TuneController`` whose ``setup_experiments`` is on the call stack.

    Call it from a callback's ``setup``: Tune calls every ``Callback.setup`` from
    ``TuneController.setup_experiments``, whose frame has the controller as ``self`` (Tune has no
    public handle on it). Walks the frames with ``sys._getframe``. When there is none, raises
    :class:`~raysweep.ExecutionError` if ``required`` (``purpose`` says for what), else warns once
    that ``purpose`` is off and returns None.
    """
    try:
        from ray.tune.execution.tune_controller import TuneController
    except ImportError as exc:
        raise missing(_SETUP, str(exc)) from exc
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, TuneController):
            return candidate
        frame = frame.f_back
    if required:
        raise missing(_SETUP, f"no TuneController on the stack of Callback.setup, needed for {purpose}")
    degrade(_SETUP, f"{purpose} is off for this run (no TuneController on the stack of Callback.setup)")
    return None


def wait_for_experiment_sync(controller: Any) -> None:
    """Wait for a copy of the experiment state that Tune launched on its own (its periodic snapshot
    does not wait): ``controller._checkpoint_manager._storage.syncer.wait()``. A failed earlier copy
    is logged (the forced snapshot that follows copies everything again). Without those internals
    it warns once and returns: a forced snapshot may then race Tune's own copy."""
    manager = getattr(controller, "_checkpoint_manager", None)
    if manager is None:
        degrade(_MANAGER, "forced snapshots do not wait for Tune's own copy (a copy may fail and be "
                          "retried)")
        return
    storage = getattr(manager, "_storage", None)
    if storage is None:
        degrade(_MANAGER_STORAGE, "forced snapshots do not wait for Tune's own copy")
        return
    syncer = getattr(storage, "syncer", None)
    if syncer is None or not callable(getattr(syncer, "wait", None)):
        degrade(_SYNCER, "forced snapshots do not wait for Tune's own copy")
        return
    try:
        syncer.wait()
    except Exception:  # an earlier copy failed; the forced snapshot copies it all again
        logger.warning("An earlier copy of Tune's experiment state failed; copying it again.",
                       exc_info=True)


def checkpoint_experiment(controller: Any) -> None:
    """Save Tune's experiment state and wait until it is on the run's storage:
    ``TuneController.checkpoint(force=True, wait=True)``. Raises :class:`~raysweep.ExecutionError`
    when the controller has no such method (raysweep's resume guarantee rests on it)."""
    checkpoint = getattr(controller, "checkpoint", None)
    if not callable(checkpoint):
        raise missing(_CHECKPOINT)
    checkpoint(force=True, wait=True)


def controller_scheduler(controller: Any) -> Any | None:
    """The scheduler Tune's controller runs (``TuneController.scheduler_alg``), or None (warned once)."""
    if not hasattr(type(controller), "scheduler_alg"):
        degrade(_SCHEDULER, "ASHA's rung decisions are not recorded")
        return None
    return controller.scheduler_alg


def controller_trials(controller: Any) -> list[Any] | None:
    """The controller's list of every trial (``_trials``; mutate it in place: callbacks hold it),
    or None (warned once: releasing trials is off)."""
    trials = getattr(controller, "_trials", None)
    if not isinstance(trials, list):
        degrade(_TRIALS, _RELEASE_OFF)
        return None
    return trials


def trial_states(controller: Any) -> dict[str, Any] | None:
    """The controller's cache of trial JSON states written into every snapshot (``_trial_metadata``:
    trial id -> ``(trial JSON, run-metadata JSON)``), or None (warned once)."""
    states = getattr(controller, "_trial_metadata", None)
    if not isinstance(states, dict):
        degrade(_TRIAL_METADATA, _RELEASE_OFF)
        return None
    return states


def replace_trial_states(controller: Any, states: dict[str, Any]) -> None:
    """Put ``states`` (a dict holding the same pairs) in place of the controller's ``_trial_metadata``."""
    controller._trial_metadata = states


def trial_holders(controller: Any) -> list[dict[Any, Any] | set[Any]]:
    """Every dict and set of the controller and its callbacks that may hold a ``Trial`` as a key or
    member: ``_trials_to_cache``, ``_stopped_trials``, and each dict and set attribute of every
    callback in ``_callbacks._callbacks`` (Tune's JSON and CSV loggers' ``_trial_configs``,
    ``_trial_continue``..., its progress callback's ``_completed_trials``; read through the
    callbacks' ``__dict__``, so their names may change). A missing collection is warned once and
    left out."""
    holders: list[dict[Any, Any] | set[Any]] = []
    for req in (_TRIALS_TO_CACHE, _STOPPED):
        held = getattr(controller, req.name, None)
        if isinstance(held, set):
            holders.append(held)
        else:
            degrade(req, "released trials may stay referenced (the driver keeps them)")
    callbacks = getattr(controller, "_callbacks", None)
    if callbacks is None:
        degrade(_CALLBACKS, "released trials may stay referenced by Tune's callbacks")
        return holders
    inner = getattr(callbacks, "_callbacks", None)
    if inner is None:
        degrade(_CALLBACK_LIST, "released trials may stay referenced by Tune's callbacks")
        return holders
    for callback in inner:
        holders += [v for v in getattr(callback, "__dict__", {}).values() if isinstance(v, dict | set)]
    return holders


def mark_for_snapshot(controller: Any, trial: Any) -> None:
    """Have the next snapshot refresh ``trial``'s JSON state in the controller's cache
    (``_mark_trial_to_checkpoint``); without it, warns once (snapshots keep the untrimmed state)."""
    mark = getattr(controller, "_mark_trial_to_checkpoint", None)
    if mark is None:
        degrade(_MARK, "snapshots keep the untrimmed state of trimmed trials")
        return
    mark(trial)


def cached_decisions(controller: Any) -> dict[str, str] | None:
    """A copy of the decisions the controller holds until a trial's checkpoint is saved
    (``_cached_trial_decisions``: Ray trial id -> ``"STOP"``, ``"PAUSE"`` or ``"CONTINUE"``).

    Tune writes this dict into every experiment snapshot and a restored controller starts with the
    previous driver's (docs/reliability.md, "A STOP Tune carried across the restore"). None
    (warned once) when the controller has none."""
    decisions = getattr(controller, "_cached_trial_decisions", None)
    if not isinstance(decisions, dict):
        degrade(_CACHED, "a STOP a resumed run carries over from the previous driver is stored as the "
                         "trial's natural end (completed)")
        return None
    return dict(decisions)
