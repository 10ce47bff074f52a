"""The data a ``tune.with_parameters`` trainable carries, read before Ray starts."""

from __future__ import annotations

from typing import Any

import ray

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["keep_with_parameters_data", "with_parameters_data"]

#: id(registry) -> (registry, its data): what each with_parameters registry put in a past session.
_KEPT: dict[int, tuple[Any, dict[str, Any]]] = {}

_TO_FLUSH = requirement(
    "ray.tune.registry:_ParameterRegistry", "to_flush", "attribute",
    why="check, before Ray starts, that the data given to tune.with_parameters can be serialised")


def with_parameters_data(trainable: Any) -> dict[str, Any] | None:
    """The keyword data of ``tune.with_parameters(fn, **data)`` not yet put in the object store
    (all of it before Ray starts), keyed as Ray keys it; None when ``trainable`` is no such wrapper.

    Needs from Ray (2.50 to 2.60): ``with_parameters`` returns a function (or a ``Trainable``
    subclass whose ``setup``) closes over a ``ray.tune.registry._ParameterRegistry``, which holds the
    data in ``to_flush`` until Ray starts and puts it in the object store. Without it the check is
    skipped (Ray then reports unserialisable data as it starts).
    """
    found = _registry_and_keywords(trainable)
    if found is None:
        return None
    registry, keywords = found
    data = getattr(registry, _TO_FLUSH.name, None)
    if not isinstance(data, dict):
        degrade(_TO_FLUSH, "tune.with_parameters data is not checked before Ray starts")
        return None
    named = {}
    for key, value in data.items():
        keyword = next((k for k in keywords if str(key).endswith(f"_{k}")), str(key))
        named[keyword] = value
    return named


def keep_with_parameters_data(trainable: Any) -> None:
    """Let a ``tune.with_parameters`` trainable run on another Ray session of this process.

    Ray's registry puts the data in the object store at the first ``ray.init`` and forgets it,
    keeping only the object references; once that Ray shuts down (raysweep's embedded Ray does after
    each run) the references point nowhere and a second run of the same sweep object failed with
    ``An application is trying to access a Ray object whose owner is unknown``. Called before each
    Ray start: the first call keeps (references to, not copies of) the data; a later one, when Ray's
    registry has flushed it, hands it back, so the new session's start-up hook puts it again.
    """
    found = _registry_and_keywords(trainable)
    if found is None:
        return
    registry = found[0]
    pending = getattr(registry, _TO_FLUSH.name, None)
    if not isinstance(pending, dict):
        degrade(_TO_FLUSH, "a tune.with_parameters sweep runs once per process (load it again to rerun)")
        return
    if pending:
        _KEPT[id(registry)] = (registry, dict(pending))
    elif id(registry) in _KEPT and not ray.is_initialized():
        pending.update(_KEPT[id(registry)][1])


def _registry_and_keywords(trainable: Any) -> tuple[Any, set[str]] | None:
    function = trainable.__dict__.get("setup") if isinstance(trainable, type) else trainable
    cells = []
    for cell in getattr(function, "__closure__", None) or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    registry = next((c for c in cells if type(c).__name__ == "_ParameterRegistry"), None)
    if registry is None:
        return None
    # Ray keys each keyword as f"{trainable}_{keyword}"; the keywords are the closure's set of names.
    keywords = next((c for c in cells if isinstance(c, set) and all(isinstance(k, str) for k in c)),
                    set())
    return registry, keywords
