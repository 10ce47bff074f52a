"""A trainable's own resource request (``tune.with_resources``, a ``default_resource_request``),
read through Tune's public API before Ray starts: raysweep reserves each trial's resources itself,
from ``Sweep(resources=...)``, so any other request would be replaced unseen."""

from __future__ import annotations

from typing import Any

from ray import tune
from ray.tune.execution.placement_groups import PlacementGroupFactory
from ray.tune.trainable.function_trainable import wrap_function

from raysweep._errors import invalid_parameter
from raysweep.sweep import Sweep

__all__ = ["resource_request_problems", "trainable_request"]

_NAMES = {"CPU": "cpu", "GPU": "gpu"}


def trainable_request(trainable: Any) -> Any:
    """What the trainable asks Tune for, or None: a ``PlacementGroupFactory``, or a function of the
    config (``tune.with_resources(train, lambda config: ...)``)."""
    if isinstance(trainable, type):
        if not issubclass(trainable, tune.Trainable):
            return None
        base = getattr(tune.Trainable.default_resource_request, "__func__", None)
        if getattr(trainable.default_resource_request, "__func__", None) is base:
            return None
        cls = trainable
    elif callable(trainable):
        try:
            cls = wrap_function(trainable)
        except (ValueError, TypeError):  # not a config function: the Sweep check reports it
            return None
    else:
        return None
    try:
        return cls.default_resource_request({})
    except Exception:  # noqa: BLE001 - a request computed from the config cannot be read without one
        return _ConfigDependent()


class _ConfigDependent:
    """A resource request that depends on the trial's config."""


def _as_dict(request: PlacementGroupFactory) -> dict[str, float] | None:
    """One bundle's resources in raysweep's names (None for several bundles)."""
    bundles = request.bundles
    if len(bundles) != 1:
        return None
    return {_NAMES.get(k, k): float(v) for k, v in bundles[0].items() if v}


def resource_request_problems(sweep: Sweep) -> list[str]:
    """``tune.with_resources`` (or a class's ``default_resource_request``) asking for other resources
    than the Sweep reserves: refused, with the ``resources=`` that says the same. The same request
    as ``resources`` is accepted (nothing is lost)."""
    if sweep.trainer is not None:
        return []
    request = trainable_request(sweep.trainable)
    if request is None:
        return []
    asked = _as_dict(request) if isinstance(request, PlacementGroupFactory) else None
    if asked is not None and asked == {k: float(v) for k, v in (sweep.resources or {}).items() if v}:
        return []
    reason = ("raysweep reserves each trial's resources from Sweep(resources=...), which plan, the "
              "fit check and the cost estimate read before Ray starts; Ray's request would be "
              "replaced by it unseen.")
    if asked is not None:
        fix = f"{reason} Pass the trainable itself and resources={asked!r}."
    elif isinstance(request, PlacementGroupFactory):
        fix = (f"{reason} A request of several bundles is not supported: a trial with several "
               "workers is a Ray Train trainer (trainable=TorchTrainer(..., scaling_config=...)).")
    else:
        fix = (f"{reason} Resources computed from the config are not supported: give the largest "
               "need as resources={'cpu': ..., 'gpu': ...}.")
    got = f"a trainable asking Tune for {asked!r}" if asked is not None else "a trainable with its " \
        "own resource request"
    return [invalid_parameter("trainable", f"Sweep {sweep.name!r}", "a trainable without "
                              "tune.with_resources(...) or a default_resource_request of its own "
                              f"(other than resources={sweep.resources!r})", got, fix)]
