"""The data a ``tune.with_parameters`` trainable carries, read before Ray starts."""

from __future__ import annotations

from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["with_parameters_data"]

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
    data = getattr(registry, _TO_FLUSH.name, None)
    if not isinstance(data, dict):
        degrade(_TO_FLUSH, "tune.with_parameters data is not checked before Ray starts")
        return None
    # Ray keys each keyword as f"{trainable}_{keyword}"; the keywords are the closure's set of names.
    keywords = next((c for c in cells if isinstance(c, set) and all(isinstance(k, str) for k in c)),
                    set())
    named = {}
    for key, value in data.items():
        keyword = next((k for k in keywords if str(key).endswith(f"_{k}")), str(key))
        named[keyword] = value
    return named
