"""Which Ray versions raysweep supports, and the check that names them (README, docs/clusters.md)."""

from __future__ import annotations

from importlib import metadata

from raysweep._errors import ExecutionError

__all__ = ["SUPPORTED_RAY", "ray_version", "require_supported_ray", "supported_range", "unsupported_ray"]

#: The oldest and the newest Ray minor raysweep is tested on (both included).
SUPPORTED_RAY: tuple[tuple[int, int], tuple[int, int]] = ((2, 50), (2, 60))


def _minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def supported_range() -> str:
    """The supported range in words: ``2.50 to 2.60``."""
    (lo_major, lo_minor), (hi_major, hi_minor) = SUPPORTED_RAY
    return f"{lo_major}.{lo_minor} to {hi_major}.{hi_minor}"


def ray_version() -> str:
    """The version of the Ray installed in this process (without importing Ray)."""
    return metadata.version("ray")


def unsupported_ray(version: str) -> str | None:
    """Why Ray ``version`` is outside the supported range, or None when it is inside."""
    minor = _minor(version)
    if minor is not None and SUPPORTED_RAY[0] <= minor <= SUPPORTED_RAY[1]:
        return None
    return (f"raysweep supports Ray {supported_range()}; found Ray {version}. Install a supported Ray "
            f"(pip install 'ray[tune]>={SUPPORTED_RAY[0][0]}.{SUPPORTED_RAY[0][1]},"
            f"<{SUPPORTED_RAY[1][0]}.{SUPPORTED_RAY[1][1] + 1}') or run on a cluster that has one.")


def require_supported_ray(version: str | None = None) -> None:
    """Raise :class:`ExecutionError` when Ray ``version`` (default: the installed one) is unsupported."""
    problem = unsupported_ray(ray_version() if version is None else version)
    if problem is not None:
        raise ExecutionError(problem)
