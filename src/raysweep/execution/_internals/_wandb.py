"""Ray's ``WandbLoggerCallback``, with each trial's W&B run flushed to disk before its actor dies.

Ray logs each trial to W&B from a ``_WandbLoggingActor`` (private): its ``run`` loop ends with
``wandb.finish()``, and the callback then ``ray.kill``s the actor. Since wandb 0.19 a run's data is
written by a ``wandb-core`` service process, a child of the actor's worker, which flushes the run
file (``run-<id>.wandb``) when the service is torn down at the worker's exit. Ray kills a worker's
children on ``ray.kill``, so that teardown never runs: an offline run's file keeps its 7-byte header
and no history (Ray 2.60 with wandb 0.31, in most runs here), and an online run may lose its tail.
The actor here tears the service down (``wandb.teardown()``, public) after ``wandb.finish()``,
before it returns and is killed.

The runs are written in the trial's driver-side directory, which Tune copies to the run's storage
with its final snapshot, *before* ``on_experiment_end``, where the callback waits for the runs to
finish: the copy in storage is whatever was written by then (in a short sweep, often nothing). Once
every run has finished, the callback here saves Tune's experiment state again (after any copy
still running: Tune skips a copy while one runs), which copies them.
"""

from __future__ import annotations

from typing import Any

from ray.air.integrations import wandb as ray_wandb

from raysweep.execution._internals._controller import (
    checkpoint_experiment,
    find_controller,
    wait_for_experiment_sync,
)
from raysweep.execution._internals._registry import missing, requirement, verify

__all__ = ["flushing_wandb_callback"]

_RUN = requirement("ray.air.integrations.wandb:_WandbLoggingActor", "run", "method",
                   why="flush each trial's W&B run before Ray kills its logging actor")
_ACTOR_CLASS = requirement("ray.air.integrations.wandb:WandbLoggerCallback", "_logger_actor_cls",
                           "class_attribute",
                           why="flush each trial's W&B run before Ray kills its logging actor")


class _FlushingWandbLoggingActor(getattr(ray_wandb, "_WandbLoggingActor", object)):  # type: ignore[misc]
    """Ray's logging actor, tearing W&B's service down once the run has finished."""

    def run(self) -> Any:
        try:
            return super().run()
        finally:
            import wandb

            wandb.teardown()


class FlushingWandbLoggerCallback(ray_wandb.WandbLoggerCallback):
    """``WandbLoggerCallback`` whose trials log through :class:`_FlushingWandbLoggingActor`."""

    _logger_actor_cls = _FlushingWandbLoggingActor

    def on_experiment_end(self, trials: list, **info: Any) -> None:
        super().on_experiment_end(trials, **info)  # waits for every trial's run to finish
        controller = find_controller("copying finished W&B runs to the run's storage", required=False)
        if controller is not None:  # a copy still running would make Tune skip this one: wait
            wait_for_experiment_sync(controller)
            checkpoint_experiment(controller)


def flushing_wandb_callback(**kwargs: Any) -> ray_wandb.WandbLoggerCallback:
    """A ``WandbLoggerCallback(**kwargs)`` whose trials' W&B runs reach disk whole."""
    for req in (_RUN, _ACTOR_CLASS):
        problem = verify(req)
        if problem is not None:
            raise missing(req, problem)
    return FlushingWandbLoggerCallback(**kwargs)
