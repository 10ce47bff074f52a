"""Checkpoint retention that population-based training cannot outrun (docs/pbt.md, "Checkpoints").

Ray's own retention (``CheckpointConfig(num_to_keep=k)``) deletes a trial's checkpoints by age or
score, while Ray's PBT may still copy one of them: the checkpoint a member was saved with when it
was last ranked top stays the one an exploit copies until that member's next perturbation, however
many it reports meanwhile (measured: 3 to 5 of 6 members ended in "Could not recover from checkpoint
as it does not exist on storage anymore" with ``num_to_keep=2``). Under PBT/PB2 raysweep therefore
gives Ray ``num_to_keep=None`` (Ray deletes nothing) and :class:`PopulationRetention` deletes, at
the end of each Tune step in which a checkpoint was registered, every checkpoint of this run that
nothing can read again. It keeps:

* each trial's latest checkpoint (``Trial.checkpoint``): a paused, restarted or retried member
  continues from it, and after an exploit it *is* the copied checkpoint (in the source's directory)
  until the copier reports its own;
* each member's ranked checkpoint, which PBT hands to the next exploit of it
  (``held_checkpoints`` of raysweep's adapter); while a member's save is still running, none of
  that member's checkpoints is deleted;
* each trial's best checkpoint by the sweep's checkpoint score, the one the store's
  ``trials.checkpoint_path`` names (:class:`~raysweep.execution.recording._checkpoint.CheckpointPointer`,
  the same rule over the same checkpoints: the best so far is never deleted, so the best at the end
  is one that is kept).

A checkpoint that is none of these can never become one: a trial's latest only moves on, and PBT
ranks a member only with the checkpoint it has then. The checkpoint an exploit copied is not kept
once nothing points at it: the lineage row holds what it came from (source, iteration, values,
configs), and ``raysweep replay`` retrains a schedule from scratch. At the end of a step a trial's
directory holds at most its latest, ranked and best checkpoints (in practice one or two) and the
ones a copier that has not reported since its exploit still continues from.

The checkpoints are learnt from Tune's public ``Callback.on_checkpoint`` and deleted with the public
``Checkpoint.filesystem.delete_dir``; Ray's checkpoint manager still lists the deleted ones (it never
reads them again; raysweep reads no ``Result.best_checkpoints``). A run of PBT cannot be resumed
(``launch/_continue.refuse_population``), so nothing outside this driver needs them.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow.fs as pafs

from raysweep.execution._internals import controller_scheduler, find_controller
from raysweep.execution.recording._checkpoint import CheckpointPointer
from raysweep.execution.tune._driver_bound import DriverBound
from raysweep.execution.tune._pbt import recording_pbt

__all__ = ["PopulationRetention"]

logger = logging.getLogger(__name__)


def _path(checkpoint: Any) -> str | None:
    path = getattr(checkpoint, "path", None)
    return path if isinstance(path, str) and path else None


def _size(checkpoint: Any) -> int:
    """Bytes under ``checkpoint``'s directory (0 when it cannot be listed)."""
    try:
        infos = checkpoint.filesystem.get_file_info(pafs.FileSelector(checkpoint.path, recursive=True))
    except (OSError, AttributeError):
        return 0
    return sum(i.size or 0 for i in infos if i.type == pafs.FileType.File)


class PopulationRetention(DriverBound):
    """Delete the checkpoints of a PBT/PB2 run that no exploit, restart or store row can read again.

    Args:
        score: The metric that ranks a trial's checkpoints (the sweep's checkpoint score).
        order: ``"min"`` or ``"max"``.
    """

    def __init__(self, score: str, order: str) -> None:
        self.pointer = CheckpointPointer(None, score, order)
        self.scheduler: Any = None
        self._known: dict[str, tuple[str, Any]] = {}  # path -> (Ray trial id, checkpoint)
        self._pinned: dict[str, set[str]] = {}  # ended trial's id -> its latest and best paths
        self._best: dict[str, str | None] = {}  # trial id -> its best checkpoint's path (cached)
        self._stale: set[str] = set()  # trials that reported a checkpoint since their best was found
        self._dirty = False
        self.registered = 0  #: distinct checkpoints reported in this driver
        self.deleted = 0  #: of them, deleted
        self.deleted_bytes = 0

    def setup(self, *args: Any, **info: Any) -> None:
        controller = find_controller("deleting checkpoints no PBT exploit can copy", required=False)
        if controller is not None:
            self.scheduler = recording_pbt(controller_scheduler(controller))

    def on_checkpoint(self, iteration: int, trials: list, trial: Any, checkpoint: Any,
                      **info: Any) -> None:
        path = _path(checkpoint)
        if path is not None and path not in self._known:
            self._known[path] = (trial.trial_id, checkpoint)
            self.registered += 1
            self._dirty = True
        self._stale.add(trial.trial_id)

    def _own(self, trial: Any) -> set[str]:
        """``trial``'s latest and best checkpoints' paths. The best changes only when the trial
        reports a checkpoint (then Ray registers it before the step ends); the latest also when it
        exploits another member, so it is read every time."""
        tid = trial.trial_id
        if tid in self._stale or tid not in self._best:
            self._stale.discard(tid)
            self._best[tid] = _path(self.pointer.best_checkpoint(trial))
        return {p for p in (_path(trial.checkpoint), self._best[tid]) if p}

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._pin(trial)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._pin(trial)

    def _pin(self, trial: Any) -> None:
        # Tune may drop an ended trial from its list (raysweep releases it, durability/_trim.py):
        # what it keeps is decided now, from its final checkpoints.
        self._stale.add(trial.trial_id)
        self._pinned[trial.trial_id] = self._own(trial)
        self._best.pop(trial.trial_id, None)

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        if self._dirty and self.scheduler is not None:
            self._dirty = False
            self.prune(trials)

    def prune(self, trials: list) -> None:
        """Delete every known checkpoint that nothing listed in the module's docstring keeps."""
        keep: set[str] = set().union(*self._pinned.values())
        for trial in trials:
            keep |= self._own(trial)
        held, saving = self.scheduler.held_checkpoints()
        keep |= {p for p in map(_path, held) if p}
        for path, (owner, checkpoint) in list(self._known.items()):
            if path in keep or owner in saving:
                continue
            size = _size(checkpoint)
            try:
                checkpoint.filesystem.delete_dir(path)
            except FileNotFoundError:
                pass
            except OSError as exc:  # tried again after the next checkpoint
                logger.warning("Could not delete checkpoint %s: %s", path, exc)
                continue
            del self._known[path]
            self.deleted += 1
            self.deleted_bytes += size
