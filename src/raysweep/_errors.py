"""One exception root for raysweep and the one template every message follows.

Messages follow scikit-learn's model: what was wrong, what was received, how to fix it::

    The 'mode' parameter of Sweep must be one of 'min', 'max'. Got 'maximise' instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ClusterError",
    "ConfigError",
    "ExecutionError",
    "RaysweepError",
    "StorageError",
    "SweepNotFoundError",
    "int_problem",
    "invalid_parameter",
    "reject_unknown",
    "require",
    "unknown_parameters",
]


class RaysweepError(Exception):
    """Root of every error raysweep raises on purpose."""


class ConfigError(RaysweepError, ValueError):
    """A sweep, search space, searcher or scheduler was defined wrongly."""


class SweepNotFoundError(ConfigError, LookupError):
    """A sweep name or path does not resolve to a sweep module."""


class StorageError(RaysweepError):
    """The results store could not be read or written."""


class ClusterError(RaysweepError):
    """Ray could not be started, reached, or given the resources a sweep needs."""


class ExecutionError(RaysweepError):
    """A sweep started but could not run to an end (for example every trial errored)."""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def invalid_parameter(
    param: str, owner: str, expected: str, got: Any, fix: str | None = None
) -> str:
    """Format the one error message template.

    >>> invalid_parameter("mode", "Sweep", "one of 'min', 'max'", "maximise")
    "The 'mode' parameter of Sweep must be one of 'min', 'max'. Got 'maximise' instead."
    """
    message = f"The {param!r} parameter of {owner} must be {expected}. Got {_short(got)} instead."
    return f"{message} {fix}" if fix else message


def unknown_parameter(owner: str, name: str, value: Any, hint: str) -> str:
    """The message for a keyword ``owner`` does not take: ``name=value`` and what to do (``hint``)."""
    return f"{name!r} is not a parameter of {owner}. Got {name}={_short(value)}. {hint}"


def reject_unknown(owner: str, unknown: dict[str, Any], valid: list[str]) -> None:
    """Raise ConfigError naming every parameter of ``unknown``, if any, each with a did-you-mean
    where a valid name is close, and the valid ones (:func:`unknown_parameters`)."""
    raise_all(list(unknown_parameters(owner, unknown, valid)), owner)


def unknown_parameters(owner: str, unknown: Mapping[str, Any], valid: Sequence[str],
                       hints: Mapping[str, str] | None = None) -> list[str]:
    """One message per keyword of ``unknown``: ``hints[name]`` when given, else a did-you-mean (when
    a valid name is close) and the valid names. For :func:`raise_all`: every unknown at once."""
    messages = []
    for name, value in unknown.items():
        hint = (hints or {}).get(name)
        if hint is None:
            close = difflib.get_close_matches(name, list(valid), n=1)
            accepted = f"Valid parameters: {', '.join(valid)}." if valid else f"{owner} takes no parameters."
            hint = (f"Did you mean {close[0]!r}? " if close else "") + accepted
        messages.append(unknown_parameter(owner, name, value, hint))
    return messages


def raise_all(errors: list[str | None], where: str) -> None:
    """Raise one ConfigError listing every problem found, or nothing."""
    found = [e for e in errors if e]
    if len(found) == 1:
        raise ConfigError(found[0])
    if found:
        lines = "\n".join(f"  - {e}" for e in found)
        raise ConfigError(f"{len(found)} problems in {where}:\n{lines}")


def int_problem(value: Any, param: str, owner: str, minimum: int = 1,
                allow_none: bool = False) -> str | None:
    """The error message if ``value`` is not an integer >= ``minimum`` (bools rejected), else None."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        expected = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        return invalid_parameter(param, owner, expected, value)
    return None


def require(problem: str | None) -> None:
    """Raise ConfigError with ``problem`` if there is one."""
    if problem:
        raise ConfigError(problem)
