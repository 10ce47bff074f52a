"""Ray Tune's ``Tuner`` and trainables from the inside: a restored Tuner's callbacks, and the name
Tune shows for a function trainable."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, missing, requirement

__all__ = ["name_function_trainable", "replace_restored_callbacks"]

_LOCAL = requirement(
    "ray.tune:Tuner", "_local_tuner", "attribute",
    why="give a restored Tuner this driver's callbacks (Ray has no public setter for its run config)")
_RUN_CONFIG = requirement(
    "ray.tune.impl.tuner_internal:TunerInternal", "get_run_config", "method",
    why="give a restored Tuner this driver's callbacks")
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
