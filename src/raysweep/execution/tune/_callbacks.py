"""The sweep's own callbacks as Ray Tune callbacks: MLflow, W&B and TensorBoard specs become Ray's
logger callbacks; a ``ray.tune.Callback`` the user passed goes to Tune as it is.

What Tune logs is each trial's config and reports, as it reaches the driver: the same reports the
Parquet store records.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

from ray import tune

from raysweep._errors import invalid_parameter
from raysweep.callbacks import CallbackSpec, MLflow, TensorBoard, Wandb
from raysweep.execution._internals import flushing_wandb_callback
from raysweep.sweep import Sweep

__all__ = ["callback_problems", "make_callbacks", "write_after_trial_end"]

_MAKERS: dict[type[CallbackSpec], Callable[[Any, Sweep], tune.Callback]] = {}


def _maker(spec_type: type[CallbackSpec]) -> Callable[[Callable[..., tune.Callback]],
                                                     Callable[..., tune.Callback]]:
    def register(make: Callable[..., tune.Callback]) -> Callable[..., tune.Callback]:
        _MAKERS[spec_type] = make
        return make
    return register


def make_callbacks(sweep: Sweep) -> list[tune.Callback]:
    """The Tune callbacks of ``sweep.callbacks``, in the order given."""
    out = []
    for item in sweep.callbacks:
        if isinstance(item, CallbackSpec):
            out.append(_MAKERS[type(item)](item, sweep))
        else:
            out.append(item)
    return out


def write_after_trial_end(callbacks: list[tune.Callback]) -> bool:
    """Whether one of ``callbacks`` writes into a trial's directory after the trial has ended: Ray's
    W&B logging actors finish each trial's run there, so its staged files must stay until then."""
    from ray.air.integrations.wandb import WandbLoggerCallback

    return any(isinstance(item, WandbLoggerCallback) for item in callbacks)


def callback_problems(sweep: Sweep) -> list[str]:
    """What keeps the sweep's callbacks from running, before Ray starts: an integration whose package
    is not installed (with the command that installs it), or a callback that is not a
    ``ray.tune.Callback`` or does not pickle (Tune pickles its callbacks with the run)."""
    from ray import cloudpickle

    problems = []
    for i, item in enumerate(sweep.callbacks):
        where = f"callbacks[{i}]"
        if isinstance(item, CallbackSpec):
            if importlib.util.find_spec(item.package) is None:
                problems.append(invalid_parameter(
                    where, f"Sweep {sweep.name!r}", f"a callback whose package ({item.package}) is "
                    "installed", item, f"Install it: {item.install_hint()}"))
            continue
        if not isinstance(item, tune.Callback):
            problems.append(invalid_parameter(where, f"Sweep {sweep.name!r}",
                                              "a ray.tune.Callback instance", item))
            continue
        try:
            cloudpickle.dumps(item)
        except Exception as exc:  # noqa: BLE001 - any pickling error is the user's to see, named
            problems.append(invalid_parameter(
                where, f"Sweep {sweep.name!r}", "a ray.tune.Callback that pickles (Tune saves its "
                "callbacks with the run)", item, f"{type(exc).__name__}: {exc}. Open files, "
                "clients and locks in the callback's setup(), not in its constructor."))
    return problems


@_maker(MLflow)
def _mlflow(spec: MLflow, sweep: Sweep) -> tune.Callback:
    from ray.air.integrations.mlflow import MLflowLoggerCallback

    return MLflowLoggerCallback(
        tracking_uri=spec.tracking_uri, experiment_name=spec.experiment_name or sweep.name,
        tags=dict(spec.tags) if spec.tags else None, save_artifact=spec.save_artifact)


@_maker(Wandb)
def _wandb(spec: Wandb, sweep: Sweep) -> tune.Callback:
    if spec.mode != "online":
        # Ray asks for an API key unless the environment says offline (restored after the run).
        os.environ["WANDB_MODE"] = spec.mode
    return flushing_wandb_callback(project=spec.project, group=spec.group or sweep.name,
                               excludes=list(spec.excludes), log_config=spec.log_config,
                               mode=spec.mode)


@_maker(TensorBoard)
def _tensorboard(spec: TensorBoard, sweep: Sweep) -> tune.Callback:
    from ray.tune.logger import TBXLoggerCallback

    return TBXLoggerCallback()
