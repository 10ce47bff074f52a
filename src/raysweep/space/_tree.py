"""Walking a (nested) search space: validation, flattening, JSON form."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter, raise_all
from raysweep.space._domains import Domain

__all__ = ["Path", "flatten", "space_problems", "space_to_json", "unflatten", "validate_space"]

Path = tuple[str, ...]
_FORBIDDEN = (".", "/")


def validate_space(space: Any, owner: str = "Sweep") -> None:
    """Check that ``space`` is a dict of dimensions, constants and nested dicts; raise
    :class:`raysweep.ConfigError` listing every problem at once.

    Keys must be non-empty strings without '.' or '/' (both are used to join nested paths in results);
    constants must be JSON-serialisable so that they can be stored with every trial.
    """
    raise_all(list(space_problems(space, owner)), f"the space of {owner}")


def space_problems(space: Any, owner: str = "Sweep") -> list[str]:
    """Every problem of ``space`` (see :func:`validate_space`), each a message of the error template."""
    if not isinstance(space, Mapping):
        return [invalid_parameter("space", owner, "a dict of parameter names to dimensions", space,
                                  "Write space={'lr': space.loguniform(1e-4, 1e-1), ...}.")]
    problems: list[str] = []
    _check_node(space, (), owner, problems)
    return problems


def _check_node(node: Mapping[Any, Any], prefix: Path, owner: str, problems: list[str]) -> None:
    for key, value in node.items():
        if not _good_key(key):
            where = ".".join(prefix) or "the top level"
            problems.append(invalid_parameter(
                "space", owner, "keyed by non-empty strings without '.' or '/'", key,
                f"Rename the key at {where}; nest dicts instead of dotted names."))
            continue
        path = (*prefix, key)
        if isinstance(value, Mapping):
            if value:
                _check_node(value, path, owner, problems)
            else:
                problems.append(invalid_parameter(f"space[{'.'.join(path)!r}]", owner,
                                                  "a non-empty dict", value))
        elif not isinstance(value, Domain) and not _storable(value):
            problems.append(invalid_parameter(
                f"space[{'.'.join(path)!r}]", owner,
                "a dimension from raysweep.space or a JSON-serialisable constant", value,
                "Functions and objects cannot be stored with results; pass their name or "
                "parameters as a constant and build them inside the trainable."))


def _good_key(key: Any) -> bool:
    return isinstance(key, str) and bool(key) and not any(c in key for c in _FORBIDDEN)


def _storable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _walk(node: Mapping[str, Any], prefix: Path) -> Iterator[tuple[Path, Any]]:
    for key, value in node.items():
        if not _good_key(key):
            raise ConfigError(space_problems({key: value})[0])
        path = (*prefix, key)
        if isinstance(value, Mapping):
            if not value:
                raise ConfigError(invalid_parameter(f"space[{'.'.join(path)!r}]", "Sweep",
                                                    "a non-empty dict", value))
            yield from _walk(value, path)
        else:
            yield path, value


def flatten(space: Mapping[str, Any]) -> dict[Path, Any]:
    """The space's leaves (dimensions and constants) keyed by path, in definition order.

    A conditional dimension (:func:`raysweep.space.choice` over sub-spaces) is one leaf: its branches
    are sub-spaces of their own.
    """
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
    return json.dumps(space_to_dict(space))


def space_to_dict(space: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready form of :func:`space_to_json` (a conditional holds its branches' forms)."""
    return {
        ".".join(path): value.to_dict() if isinstance(value, Domain)
        else {"type": "constant", "value": value}
        for path, value in flatten(space).items()
    }
