"""Which checkpoint of a trial the store points to (``checkpoint_path`` of the ``trials`` dataset).

The best by the sweep's checkpoint score (``checkpoints.keep(score=...)``, else the sweep metric),
in its order (``order``, else the sweep's mode), among the checkpoints Ray keeps on storage: Ray
deletes the others as newer ones arrive (``num_to_keep``), so a pointer to one of them would dangle.
With the default policy (``keep(num_to_keep=1)``) that is the trial's latest checkpoint; with a
score, the best by it (Ray keeps it). Ties go to the later checkpoint, as in Ray's own ranking; when
no kept checkpoint carries a finite score, the latest (which Ray never deletes). Under PBT/PB2 Ray
deletes none and raysweep's retention (``tune/_retention.py``) keeps this one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pyarrow.fs as pafs

from raysweep.execution._internals import kept_checkpoints
from raysweep.execution.recording._rows import as_number

__all__ = ["CheckpointPointer"]


def _flat(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics flattened with '/' (how Ray names a nested score attribute)."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{name}/"))
        else:
            out[name] = value
    return out


class CheckpointPointer:
    """Name a trial's best kept checkpoint, relative to the results root when under it.

    Args:
        root: The results root the store is written under (path or URI), or None.
        score: The metric that ranks checkpoints.
        order: ``"min"`` or ``"max"``.
    """

    def __init__(self, root: str | None, score: str, order: str) -> None:
        self.score = score
        self.sign = -1.0 if order == "min" else 1.0
        self._fs_type: str | None = None
        self._base = ""
        if root:
            try:
                fs, base = pafs.FileSystem.from_uri(root)
                self._fs_type, self._base = fs.type_name, base.rstrip("/")
            except (OSError, ValueError):  # a root the writer opened opens here too; else absolute
                pass

    def best(self, trial: Any) -> str | None:
        """Where the best kept checkpoint of ``trial`` is (see the module), or None without one."""
        chosen = self.best_checkpoint(trial)
        return None if chosen is None else self.location(chosen)

    def best_checkpoint(self, trial: Any) -> Any:
        """The best kept checkpoint of ``trial`` (a Ray ``Checkpoint``), or None without one."""
        kept = kept_checkpoints(trial)
        if not kept:
            return None
        ranked: list[tuple[float, int, Any]] = []
        for order, (checkpoint, metrics) in enumerate(kept):
            value = as_number(_flat(metrics).get(self.score))
            if value is not None and math.isfinite(value):
                ranked.append((self.sign * value, order, checkpoint))
        return max(ranked, key=lambda r: (r[0], r[1]))[2] if ranked else kept[-1][0]

    def location(self, checkpoint: Any) -> str | None:
        """``checkpoint``'s path relative to the results root, or its absolute path (local) or URI."""
        path = getattr(checkpoint, "path", None)
        if not isinstance(path, str) or not path:
            return None
        fs = getattr(checkpoint, "filesystem", None)
        fs_type = getattr(fs, "type_name", None) or "local"
        if self._base and fs_type == self._fs_type and path.startswith(f"{self._base}/"):
            return path[len(self._base) + 1:]
        return path if fs_type == "local" else f"{fs_type}://{path}"
