"""The hypervolume of a set of points: the volume they dominate up to a reference point.

Exact, pure numpy. No maintained implementation is installed with raysweep (pymoo, moocore and
pygmo are not dependencies; Optuna's ``optuna._hypervolume`` is private), so it is computed here:

* 2 objectives: the sweep line. The non-dominated points sorted by the first objective
  (ascending) have the second descending; the dominated region is a staircase whose area is the
  sum of one rectangle per point, ``(next x - x) * (ref y - y)``. O(n log n).
* 3 or more: slicing by the last objective (the "hypervolume by slicing objectives" recursion of
  While et al. 2006): between consecutive values of the last objective, the (d-1)-dimensional
  hypervolume of the points at or below the slice, times its thickness. Exact and exponential in
  the number of objectives: fine for the fronts of a sweep (tens to hundreds of points, 3 or 4
  objectives), slow beyond.

Every objective is minimised here; :func:`hypervolume` turns ``max`` objectives round first.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["hypervolume", "non_dominated"]


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points`` (all minimised) no other row dominates (duplicates kept)."""
    points = np.asarray(points, dtype=float)
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    no_worse = np.all(points[None, :, :] <= points[:, None, :], axis=2)
    better = np.any(points[None, :, :] < points[:, None, :], axis=2)
    return ~np.any(no_worse & better, axis=1)


def _hv2(points: np.ndarray, ref: np.ndarray) -> float:
    """The staircase: the front sorted by x ascending (y descending), each point adds the strip
    ``(ref_x - x_i) * (y_{i-1} - y_i)`` with ``y_{-1} = ref_y``."""
    front = points[non_dominated(points)]
    front = np.unique(front, axis=0)  # duplicates add nothing; unique sorts by x, then y
    ys = np.concatenate([[ref[1]], front[:, 1]])
    return float(np.sum((ref[0] - front[:, 0]) * (ys[:-1] - ys[1:])))


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    if len(points) == 0:
        return 0.0
    if points.shape[1] == 1:
        return float(ref[0] - points[:, 0].min())
    if points.shape[1] == 2:
        return _hv2(points, ref)
    points = points[non_dominated(points)]
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    levels = [*np.unique(points[:, -1]), ref[-1]]
    volume = 0.0
    for low, high in itertools.pairwise(levels):
        below = points[points[:, -1] <= low][:, :-1]
        volume += _hv(below, ref[:-1]) * (high - low)
    return float(volume)


def hypervolume(points: Sequence[Sequence[float]] | np.ndarray, reference: Sequence[float],
                modes: Sequence[str] | None = None) -> float:
    """The volume ``points`` dominate up to ``reference`` (exact).

    Args:
        points: one row per point, one column per objective, in the objectives' own units.
        reference: the reference point, in the same units: it must be worse than the points that
            count (a point not strictly better than it on every objective adds nothing).
        modes: ``"min"`` or ``"max"`` per objective (default: all minimised).

    Rows with a missing, NaN or infinite value are ignored. ZDT1's true front
    ``f2 = 1 - sqrt(f1)`` against ``reference=(1, 1)`` has hypervolume 2/3.
    """
    ref = np.asarray(reference, dtype=float).ravel()
    d = ref.size
    modes = list(modes) if modes is not None else ["min"] * d
    problems = []
    if d < 1 or not np.all(np.isfinite(ref)):
        problems.append(invalid_parameter("reference", "hypervolume", "finite numbers, one per "
                                          "objective", list(reference)))
    if len(modes) != d or any(m not in ("min", "max") for m in modes):
        problems.append(invalid_parameter("modes", "hypervolume", f"{d} of 'min', 'max'", modes))
    if problems:
        raise ConfigError(" ".join(problems))
    pts = np.asarray(points, dtype=float)
    if pts.size == 0:
        return 0.0
    if pts.ndim != 2 or pts.shape[1] != d:
        raise ConfigError(invalid_parameter("points", "hypervolume", f"rows of {d} values, one per "
                                            "objective of the reference point", pts.shape))
    sign = np.array([-1.0 if m == "max" else 1.0 for m in modes])
    pts, ref = pts * sign, ref * sign
    pts = pts[np.all(np.isfinite(pts), axis=1) & np.all(pts < ref, axis=1)]
    return _hv(pts, ref)
