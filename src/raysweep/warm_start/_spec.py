"""What to warm-start a sweep from: a plain record, validated when built, read only when the sweep runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["WarmStart", "from_runs"]


@dataclass(frozen=True)
class WarmStart:
    """Seed a sweep's searcher with the trials of earlier sweeps or runs.

    ``sources`` are sweep names (every run of that sweep) or run ids (one run) in the results store at
    ``results_root`` (None: the run's own results root). Only trials whose config lies inside the current
    space, recorded with the same metric and mode, seed the searcher; they are not run again.
    """

    sources: tuple[str, ...]
    results_root: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.sources, str) or not isinstance(self.sources, tuple | list) \
                or not self.sources:
            raise ConfigError(invalid_parameter(
                "sources", "warm_start.from_runs", "one or more sweep names or run ids", self.sources,
                "For example warm_start.from_runs('recsys_mf_tpe_asha').",
            ))
        for source in self.sources:
            if not isinstance(source, str) or not source.strip():
                raise ConfigError(invalid_parameter(
                    "sources", "warm_start.from_runs", "non-empty strings (sweep names or run ids)",
                    source,
                ))
        object.__setattr__(self, "sources", tuple(self.sources))
        if self.results_root is not None and (not isinstance(self.results_root, str)
                                              or not self.results_root):
            raise ConfigError(invalid_parameter(
                "results_root", "warm_start.from_runs", "a path or URI string, or None",
                self.results_root,
            ))

    def params(self) -> dict[str, Any]:
        """JSON-ready description (as ``plan`` shows it)."""
        return {"sources": list(self.sources), "results_root": self.results_root}

    def with_root(self, root: str) -> WarmStart:
        """This warm start reading from ``root`` unless it names its own results root."""
        return self if self.results_root is not None else WarmStart(self.sources, root)


def from_runs(*sources: str, results_root: str | None = None) -> WarmStart:
    """Warm-start from the trials of earlier sweeps (by name: all their runs) or runs (by run id).

    >>> from raysweep import warm_start
    >>> warm_start.from_runs("recsys_mf_tpe_asha")
    WarmStart(sources=('recsys_mf_tpe_asha',), results_root=None)
    """
    return WarmStart(tuple(sources), results_root)
