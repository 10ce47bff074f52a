"""Ray Tune's ``Tuner`` and trainables from the inside: a restored Tuner's callbacks, the name Tune
shows for a function trainable, and how many trials Tune keeps pending for a limited searcher."""

from __future__ import annotations

import os
from typing import Any

from raysweep.execution._internals._registry import degrade, missing, requirement
from raysweep.execution._internals._versions import _minor, ray_version

__all__ = ["PENDING_ENV", "allow_limiter_pending_trials", "name_function_trainable",
           "replace_restored_callbacks"]

#: Tune's setting of how many trials its controller keeps pending (waiting for resources).
PENDING_ENV = "TUNE_MAX_PENDING_TRIALS_PG"
#: The first Ray whose controller lets a searcher behind a ConcurrencyLimiter have ``max_concurrent``
#: pending trials; before it, any searcher but BasicVariantGenerator gets one.
LIMITER_PENDING_SINCE = (2, 57)

_LOCAL = requirement(
    "ray.tune:Tuner", "_local_tuner", "attribute",
    why="give a restored Tuner this driver's callbacks (Ray has no public setter for its run config)")
_RUN_CONFIG = requirement(
    "ray.tune.impl.tuner_internal:TunerInternal", "get_run_config", "method",
    why="give a restored Tuner this driver's callbacks")
_PENDING = requirement(
    "ray.tune.execution.tune_controller", "_get_max_pending_trials", "function", params=("search_alg",),
    why="let a searcher behind a ConcurrencyLimiter run max_concurrent trials at once (before Ray 2.57 "
        "Tune kept one pending trial for it, so trials ran one after another)")
_NAME = requirement(
    "ray.tune.trainable.function_trainable:FunctionTrainable", "_name", "class_attribute",
    why="keep a wrapped function trainable's name in Ray's logs and actor names")


def replace_restored_callbacks(tuner: Any, callbacks: list[Any]) -> bool:
    """Replace, in place, the callbacks of the run config a ``Tuner.restore`` unpickled (they belonged
    to the dead driver) by ``callbacks``: ``tuner._local_tuner.get_run_config().callbacks``.
    False for a Ray Client tuner (it has no local tuner); raises :class:`~raysweep.ExecutionError`
    when Ray's Tuner has no such attribute."""
    if not hasattr(tuner, _LOCAL.name):
        raise missing(_LOCAL)
    local = tuner._local_tuner
    if local is None:
        return False
    get_run_config = getattr(local, _RUN_CONFIG.name, None)
    if get_run_config is None:
        raise missing(_RUN_CONFIG)
    get_run_config().callbacks = callbacks
    return True


def name_function_trainable(cls: type, name: str) -> None:
    """Show ``name`` for the trainable class ``cls`` made from a function: Tune's ``ImplicitFunc``
    (a ``FunctionTrainable``) names the actor and the experiment from its class attribute ``_name``.
    Without it, warns once and leaves the class as is (Ray's logs show another name)."""
    if not any(_NAME.name in vars(klass) for klass in cls.__mro__):
        degrade(_NAME, "trainables show Ray's default name in its logs")
        return
    cls._name = name  # type: ignore[attr-defined]


def allow_limiter_pending_trials(search_alg: Any) -> bool:
    """On a Ray older than 2.57, let Tune keep ``max_concurrent`` trials pending for ``search_alg``
    when it is a ``ConcurrencyLimiter`` (HyperOpt and Optuna in raysweep), as newer Rays do on their
    own (``tune_controller._get_max_pending_trials``). Before 2.57 Tune keeps one pending trial for
    any searcher but BasicVariantGenerator, so a limited searcher never ran two trials at once.

    Sets :data:`PENDING_ENV` in ``os.environ`` (read when Tune builds its controller in ``fit()``),
    unless the user set it; raysweep's launches restore the environment when they return. Returns
    whether it set it. The only version branch of the adapter.
    """
    from ray.tune.search import ConcurrencyLimiter

    if not isinstance(search_alg, ConcurrencyLimiter) or PENDING_ENV in os.environ:
        return False
    minor = _minor(ray_version())
    if minor is None or minor >= LIMITER_PENDING_SINCE:
        return False
    os.environ[PENDING_ENV] = str(int(search_alg.max_concurrent))
    return True
