"""Walking a (nested) search space: validation, flattening, JSON form."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter
from raysweep.space._domains import Domain

__all__ = ["Path", "flatten", "space_to_json", "unflatten", "validate_space"]

Path = tuple[str, ...]
_FORBIDDEN = (".", "/")


def validate_space(space: Any, owner: str = "Sweep") -> None:
    """Check that ``space`` is a dict of dimensions, constants and nested dicts.

    Keys must be non-empty strings without '.' or '/' (both are used to join nested paths in results);
    constants must be JSON-serialisable so that they can be stored with every trial.
    """
    if not isinstance(space, Mapping):
        raise ConfigError(
            invalid_parameter("space", owner, "a dict of parameter names to dimensions", space,
                              "Write space={'lr': space.loguniform(1e-4, 1e-1), ...}.")
        )
    for path, value in _walk(space, ()):
        if isinstance(value, Domain):
            continue
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ConfigError(
                invalid_parameter(
                    f"space[{'.'.join(path)!r}]", owner,
                    "a dimension from raysweep.space or a JSON-serialisable constant", value,
                    "Functions and objects cannot be stored with results; pass their name or "
                    "parameters as a constant and build them inside the trainable.",
                )
            ) from None


def _walk(node: Mapping[str, Any], prefix: Path) -> Iterator[tuple[Path, Any]]:
    for key, value in node.items():
        if not isinstance(key, str) or not key or any(c in key for c in _FORBIDDEN):
            where = ".".join(prefix) or "the top level"
            raise ConfigError(
                invalid_parameter(
                    "space", "Sweep", "keyed by non-empty strings without '.' or '/'", key,
                    f"Rename the key at {where}; nest dicts instead of dotted names.",
                )
            )
        path = (*prefix, key)
        if isinstance(value, Mapping):
            if not value:
                raise ConfigError(
                    invalid_parameter(f"space[{'.'.join(path)!r}]", "Sweep",
                                      "a non-empty dict", value)
                )
            yield from _walk(value, path)
        else:
            yield path, value


def flatten(space: Mapping[str, Any]) -> dict[Path, Any]:
    """The space's leaves (dimensions and constants) keyed by path, in definition order."""
    return dict(_walk(space, ()))


def unflatten(flat: Mapping[Path, Any]) -> dict[str, Any]:
    """Inverse of :func:`flatten`."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return out


def space_to_json(space: Mapping[str, Any]) -> str:
    """The space as JSON, flat and ordered: ``{"opt.beta": {"type": "uniform", ...}, ...}``."""
    flat = {
        ".".join(path): value.to_dict() if isinstance(value, Domain)
        else {"type": "constant", "value": value}
        for path, value in flatten(space).items()
    }
    return json.dumps(flat)
