"""Ray Tune's ``PopulationBasedTraining`` (and ``PB2``) from the inside: the step where a trial is
checkpointed or exploits another, which raysweep observes to (1) draw PBT's random numbers from a
stream of its own, seeded, (2) see every exploit (who copied whom, the configs before and after,
the mutation Ray applied), and (3) see an exploit Ray skipped because the trial it drew had no
checkpoint (ray-project/ray #27170: Ray logs it at INFO level and carries on).

Ray's PBT draws with the module-level ``random`` (which trial to copy, resample or perturb, which
factor) and, to resample a ``tune`` domain, numpy's global generator (``Domain.sample(None)``); PB2
also fits and optimises with numpy's. Around each of Ray's steps, both global states are swapped
for the scheduler's own (seeded), then swapped back: PBT's draws depend only on its seed and on
the order in which results reach it, and nothing else in the driver consumes them. Tune's
experiment snapshot holds no scheduler (``TuneController.__getstate__`` leaves it out): a restored
run would get the scheduler ``tuner.pkl`` saved at the start, which is why raysweep refuses to
resume a PBT run (``launch/_continue.refuse_population``).

Nothing here can degrade silently: without these methods PBT could not be observed, so a missing
one raises (:func:`~raysweep.execution._internals._registry.missing`) when the scheduler is built.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
from ray.tune.schedulers import PopulationBasedTraining
from ray.tune.schedulers.pb2 import PB2

from raysweep.execution._internals._registry import missing, requirement, verify

__all__ = ["ObservedPB2", "ObservedPBT"]

_PBT = "ray.tune.schedulers.pbt:PopulationBasedTraining"
_STEP = requirement(_PBT, "_checkpoint_or_exploit", "method",
                    params=("trial", "tune_controller", "upper_quantile", "lower_quantile"),
                    why="observe PBT: the step where a trial is saved or exploits another")
_EXPLOIT = requirement(_PBT, "_exploit", "method", params=("tune_controller", "trial", "trial_to_clone"),
                       why="observe PBT: each exploit (who copied whom)")
_NEW_CONFIG = requirement(_PBT, "_get_new_config", "method", params=("trial", "trial_to_clone"),
                          why="observe PBT: the explored config and the operation on each key")
_STATE = requirement(_PBT, "_trial_state", "attribute",
                     why="observe PBT: a trial's last result and checkpoint at a perturbation")
_METRIC = requirement(_PBT, "_metric", "attribute", why="observe PBT: the metric it ranks by")
_RESOLVE = requirement("ray.train._internal.session:_FutureTrainingResult", "resolve", "method",
                       params=("block",),
                       why="PBT retention: which checkpoint a member's finished save holds")


class _Streams:
    """Python's and numpy's global random states, replaced by the scheduler's own while in use."""

    def __init__(self, seed: int | None) -> None:
        self.python = random.Random(seed).getstate()
        self.numpy = np.random.RandomState(seed).get_state()
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> None:
        self._saved = (random.getstate(), np.random.get_state())
        random.setstate(self.python)
        np.random.set_state(self.numpy)

    def __exit__(self, *exc: Any) -> None:
        self.python, self.numpy = random.getstate(), np.random.get_state()
        if self._saved is not None:
            random.setstate(self._saved[0])
            np.random.set_state(self._saved[1])
        self._saved = None

    def __getstate__(self) -> dict[str, Any]:
        return {"python": self.python, "numpy": self.numpy, "_saved": None}


def _pending_save(state: Any) -> Any:
    """The save PBT scheduled for a trial it ranked in the top quantile (Ray's private
    ``_FutureTrainingResult``: it has ``resolve``), or None (not ranked top, or not pending)."""
    checkpoint = getattr(state, "last_checkpoint", None)
    return checkpoint if callable(getattr(checkpoint, "resolve", None)) else None


def _saved_nothing(save: Any) -> bool:
    """A save that resolved to no checkpoint: a function trainable that reported none with the
    result PBT ranked it on (Ray's ``save`` returns the last result's checkpoint, None here)."""
    result = save.resolve()  # None when the save itself failed (the trial errors): not this case
    return result is not None and getattr(result, "checkpoint", None) is None


class _Observed:
    """Mixed into Ray's PBT (or PB2): public hooks :meth:`exploit_seen` and :meth:`exploit_skipped`."""

    def __init__(self, *args: Any, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for req in (_STEP, _EXPLOIT, _NEW_CONFIG, _RESOLVE):
            problem = verify(req)
            if problem:
                raise missing(req, problem)
        self.random_streams = _Streams(seed)
        self._explored: tuple[dict, dict] | None = None
        self._exploited = False

    # The hooks (no-ops here).

    def exploit_seen(self, trial: Any, source: Any, exploit: dict[str, Any]) -> None:
        """``trial`` copied ``source``; ``exploit``: time, values, configs, operations."""

    def exploit_skipped(self, trial: Any, without_checkpoint: list[Any], time: Any) -> None:
        """``trial`` drew one of ``without_checkpoint`` to copy, and it had no checkpoint."""

    def held_checkpoints(self) -> tuple[list[Any], set[str]]:
        """What an exploit may still copy: the checkpoint each member was saved with when it was
        last ranked top (PBT keeps it until that member's next perturbation), resolved where its
        save is done; and the Ray ids of members whose save is still running (which checkpoint it
        will hold is not known yet; None from Ray's ``resolve`` also means a failed save)."""
        held: list[Any] = []
        pending: set[str] = set()
        for trial, state in vars(self)[_STATE.name].items():
            last = getattr(state, "last_checkpoint", None)
            if last is None or trial.is_finished():  # an ended member is never copied again
                continue
            save = _pending_save(state)
            if save is None:
                held.append(last)
                continue
            result = save.resolve(block=False)  # Ray's own non-blocking resolve; PBT's state is untouched
            checkpoint = getattr(result, "checkpoint", None)
            if checkpoint is None:
                pending.add(trial.trial_id)
            else:
                held.append(checkpoint)
        return held, pending

    # Ray's methods, observed.

    def _checkpoint_or_exploit(self, trial: Any, tune_controller: Any, upper_quantile: list,
                               lower_quantile: list) -> None:
        self._exploited = False
        states = vars(self)[_STATE.name]
        time = getattr(states.get(trial), "last_train_time", None)
        # Ray skips an exploit when the trial it draws has no checkpoint: either it was not ranked
        # top at its own perturbation (nothing saved: normal in asynchronous PBT), or it was and
        # its save held no checkpoint (the trainable reports none: ray #27170). Tell them apart.
        pending = {t: _pending_save(states.get(t)) for t in upper_quantile} \
            if trial in lower_quantile else {}
        with self.random_streams:
            super()._checkpoint_or_exploit(  # type: ignore[misc]
                trial, tune_controller, upper_quantile, lower_quantile)
        if trial in lower_quantile and not self._exploited:
            bare = [t for t, save in pending.items() if save is not None and _saved_nothing(save)]
            if bare:
                self.exploit_skipped(trial, bare, time)

    def _get_new_config(self, trial: Any, trial_to_clone: Any) -> tuple[dict, dict]:
        new_config, operations = super()._get_new_config(trial, trial_to_clone)  # type: ignore[misc]
        self._explored = (copy.deepcopy(new_config), copy.deepcopy(operations))
        return new_config, operations

    def _exploit(self, tune_controller: Any, trial: Any, trial_to_clone: Any) -> None:
        states = vars(self)[_STATE.name]
        mine, theirs = states[trial], states[trial_to_clone]
        metric = vars(self)[_METRIC.name]
        before = copy.deepcopy(trial.config)
        source_config = copy.deepcopy(trial_to_clone.config)
        mine_result, their_result = mine.last_result or {}, theirs.last_result or {}
        exploit = {
            "time": mine.last_train_time,
            "source_time": theirs.last_train_time,
            "metric": metric,
            "value": mine_result.get(metric),
            "source_value": their_result.get(metric),
            # the copied checkpoint's result: the copier's counter continues from its iteration
            "iteration": mine_result.get("training_iteration"),
            "source_iteration": their_result.get("training_iteration"),
            "config_before": before,
            "source_config": source_config,
        }
        self._explored = None
        super()._exploit(tune_controller, trial, trial_to_clone)  # type: ignore[misc]
        self._exploited = True
        explored: tuple[dict, dict] = self._explored or (copy.deepcopy(trial.config), {})
        new_config, operations = explored
        self.exploit_seen(trial, trial_to_clone,
                          {**exploit, "config_after": new_config, "operations": operations})


class ObservedPBT(_Observed, PopulationBasedTraining):
    """Ray's ``PopulationBasedTraining``, seeded and observed (see the module's docstring)."""


class ObservedPB2(_Observed, PB2):
    """Ray's ``PB2`` (which needs scikit-learn when built), seeded and observed."""
