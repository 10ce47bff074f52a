"""MO-ASHA's ranking of one rung: non-dominated sorting, then an epsilon-net within each front.

Pure Python and numpy (no Ray): :class:`~raysweep.execution.tune._moasha.MOASHA` calls
:func:`rank_rung` at every rung decision, and the tests call it on hand-computed rungs.

The variant (Schmucker et al. 2021, "Multi-objective multi-fidelity hyperparameter optimization
with application to fairness", after Salinas et al. 2021; Syne Tune's ``MOASHA`` with its
``NonDominatedPriority``):

1. Every objective is turned to minimisation (a ``max`` objective is negated).
2. Non-dominated sorting: front 0 is the set of points no other point dominates (at least as good
   on every objective, better on one); front 1 the same among the rest; and so on.
3. Within a front, the epsilon-net (Clarkson's greedy farthest-point order): the front's best
   point on the first objective comes first, then repeatedly the point whose distance to the
   nearest point already chosen is the largest. A front is thus ordered so that its first few
   points spread over it, not crowd one end.
4. The rung's order is front 0's order, then front 1's, ...; a point with a missing or non-finite
   value of any objective comes after every finite point, in arrival order.

Two choices differ from Syne Tune's code, on purpose:

* Distances are taken on the objectives rescaled to [0, 1] over the rung's finite points (a
  constant objective contributes nothing). Syne Tune measures raw values, so the objective with
  the larger units (model megabytes against NDCG) decides the whole tie break.
* Ties are broken by arrival (the lower index first, so the newest trial last): equal points, an
  equal best first objective, equal distances. Syne Tune breaks none of them deterministically.

The decision (:func:`promotes`): a trial continues when its position in the order of its rung
(the rung's earlier values and its own, ``n`` points) is below ``n / reduction_factor``, the top
``1 / reduction_factor`` of the rung; the first trial at a rung always continues. This is
single-objective ASHA's "top 1/rf of the rung so far" read on ranks; Ray's ASHA interpolates a
percentile of the values instead, so one objective under this rule can decide a borderline
trial differently from Ray's ASHA.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Ranking", "minimisation_form", "promotes", "rank_rung"]


@dataclass(frozen=True)
class Ranking:
    """The order of a rung's points and each point's non-dominated rank.

    Attributes:
        order: point indices, best first.
        fronts: per point (by index), its non-dominated rank: 0 for the first front. Points with a
            non-finite value share the rank after the last finite front.
    """

    order: tuple[int, ...]
    fronts: tuple[int, ...]

    def position(self, index: int) -> int:
        """Where point ``index`` stands in :attr:`order` (0: the best)."""
        return self.order.index(index)


def minimisation_form(values: Sequence[float | None], modes: Sequence[str]) -> list[float]:
    """``values`` with each ``max`` objective negated; None, NaN and infinities become NaN."""
    out = []
    for value, mode in zip(values, modes, strict=True):
        if value is None or not math.isfinite(float(value)):
            out.append(math.nan)
        else:
            out.append(float(value) * (-1.0 if mode == "max" else 1.0))
    return out


def _fronts(points: np.ndarray) -> list[list[int]]:
    """Non-dominated sorting of ``points`` (rows, all minimised): lists of row indices, ascending.

    Deb et al.'s fast non-dominated sort: the dominance matrix once, then fronts peeled by
    counting, for each point, the points of the remaining fronts that dominate it.
    """
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)  # [i, j]: i <= j
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominates = no_worse & better  # [i, j]: i dominates j
    count = dominates.sum(axis=0)
    left = np.ones(len(points), dtype=bool)
    fronts: list[list[int]] = []
    while left.any():
        front = np.flatnonzero(left & (count == 0))
        fronts.append(front.tolist())
        left[front] = False
        count = count - dominates[front].sum(axis=0)
    return fronts


def _epsilon_net(front: list[int], scaled: np.ndarray) -> list[int]:
    """The front's points in greedy farthest-point order, seeded by the best first objective."""
    members = np.array(front)
    pts = scaled[members]
    first = int(np.lexsort((members, pts[:, 0]))[0])  # best first objective, then arrival
    order = [first]
    gap = np.linalg.norm(pts - pts[first], axis=1)  # distance to the nearest point chosen
    gap[first] = -1.0
    for _ in range(len(front) - 1):
        widest = gap.max()
        nxt = int(np.flatnonzero(gap == widest)[0])  # members ascend: the earliest of a tie
        order.append(nxt)
        gap = np.minimum(gap, np.linalg.norm(pts - pts[nxt], axis=1))
        gap[order] = -1.0
    return [int(members[k]) for k in order]


def rank_rung(values: Sequence[Sequence[float | None]], modes: Sequence[str]) -> Ranking:
    """Rank a rung's points (one row of objective values per trial, in arrival order).

    ``modes`` gives each objective's ``"min"`` or ``"max"``. See the module docstring for the
    sort, the epsilon-net and the tie breaks.
    """
    rows = [minimisation_form(v, modes) for v in values]
    n = len(rows)
    if n == 0:
        return Ranking((), ())
    points = np.array(rows, dtype=float).reshape(n, len(modes))
    finite = [i for i in range(n) if np.all(np.isfinite(points[i]))]
    rest = [i for i in range(n) if i not in set(finite)]
    fronts_of = [0] * n
    order: list[int] = []
    if finite:
        sub = points[finite]
        low, span = sub.min(axis=0), sub.max(axis=0) - sub.min(axis=0)
        scaled = np.zeros_like(points)
        scaled[finite] = (sub - low) / np.where(span > 0, span, 1.0)
        for rank, front in enumerate(_fronts(sub)):
            members = [finite[k] for k in front]
            for i in members:
                fronts_of[i] = rank
            order.extend(_epsilon_net(members, scaled))
    last = max((fronts_of[i] for i in finite), default=-1) + 1
    for i in rest:
        fronts_of[i] = last
    order.extend(rest)
    return Ranking(tuple(order), tuple(fronts_of))


def promotes(position: int, n_points: int, reduction_factor: float) -> bool:
    """Whether the trial at ``position`` of a rung of ``n_points`` (itself included) continues."""
    return position < n_points / float(reduction_factor)
