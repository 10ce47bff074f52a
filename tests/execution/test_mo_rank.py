"""MO-ASHA's rung ranking (``_mo_rank``, no Ray) against rungs ranked by hand."""

from __future__ import annotations

import math

import pytest

from raysweep.execution.tune._mo_rank import minimisation_form, promotes, rank_rung

# Two objectives, both minimised. Arrival order A, B, C, D, E.
A, B, C, D, E = (1.0, 5.0), (2.0, 2.0), (5.0, 1.0), (3.0, 3.0), (4.0, 4.0)


def test_a_hand_ranked_rung():
    """Rung A(1,5) B(2,2) C(5,1) D(3,3) E(4,4), both objectives minimised.

    Non-dominated sort: nobody dominates A, B or C (each is best somewhere or trades off), so
    front 0 = {A, B, C}; D is dominated by B only, so front 1 = {D}; E by B and D, front 2 = {E}.
    Rescaled to [0, 1] over the rung (each objective spans 1..5, width 4):
    A(0, 1), B(.25, .25), C(1, 0), D(.5, .5), E(.75, .75).
    Epsilon-net of front 0: the best first objective seeds it: A. Distances to A:
    B sqrt(.25**2 + .75**2) = 0.79, C sqrt(1 + 1) = 1.41: C is farthest, next. Then B.
    Order: A, C, B, D, E.
    """
    ranking = rank_rung([A, B, C, D, E], ["min", "min"])
    assert ranking.order == (0, 2, 1, 3, 4)
    assert ranking.fronts == (0, 0, 0, 1, 2)


def test_a_new_trial_on_the_first_front_can_still_be_stopped():
    """A sixth trial X(1.5, 1.5) joins the rung above (reduction factor 3).

    X dominates B, D and E; A and C trade off with it: front 0 = {A, C, X}, front 1 = {B},
    front 2 = {D}, front 3 = {E}. Rescaled (still 1..5 on both): X(.125, .125).
    Epsilon-net of front 0: A first; distances to A: C 1.41, X sqrt(.125**2 + .875**2) = 0.88:
    C, then X. Order: A, C, X, B, D, E. X stands at position 2 of 6 points; with rf = 3 the top
    6 / 3 = 2 positions (0 and 1) continue: X is stopped although non-dominated. With rf = 2 the
    top 3 continue: X is promoted.
    """
    ranking = rank_rung([A, B, C, D, E, (1.5, 1.5)], ["min", "min"])
    assert ranking.order == (0, 2, 5, 1, 3, 4)
    assert ranking.fronts == (0, 1, 0, 2, 3, 0)
    assert ranking.position(5) == 2
    assert not promotes(2, 6, 3)
    assert promotes(2, 6, 2)


def test_modes_turn_objectives_to_minimisation():
    """The same rung with the first objective negated and maximised ranks the same."""
    flipped = [(-a, b) for a, b in (A, B, C, D, E)]
    ranking = rank_rung(flipped, ["max", "min"])
    assert ranking.order == (0, 2, 1, 3, 4) and ranking.fronts == (0, 0, 0, 1, 2)
    assert minimisation_form([2.0, 3.0], ["max", "min"]) == [-2.0, 3.0]


def test_non_finite_points_come_last_in_arrival_order():
    """NaN, inf and None are never ranked among finite points: they share the last front."""
    ranking = rank_rung([(math.nan, 1.0), A, (2.0, None), B, (math.inf, 0.0)], ["min", "min"])
    assert ranking.order == (1, 3, 0, 2, 4)
    assert ranking.fronts == (1, 0, 1, 0, 1)


def test_ties_go_to_the_earlier_trial():
    """Equal points share a front; the earlier one ranks first (a newcomer equal to the best of
    a two-point rung is stopped: position 1 is not below 2 / 3)."""
    ranking = rank_rung([(1.0, 1.0), (1.0, 1.0)], ["min", "min"])
    assert ranking.order == (0, 1) and ranking.fronts == (0, 0)
    assert not promotes(1, 2, 3)


def test_one_objective_is_a_plain_sort():
    ranking = rank_rung([(3.0,), (1.0,), (2.0,)], ["min"])
    assert ranking.order == (1, 2, 0) and ranking.fronts == (2, 0, 1)


@pytest.mark.parametrize(("n", "rf", "kept"), [(1, 3, 1), (2, 3, 1), (3, 3, 1), (4, 3, 2), (9, 3, 3),
                                                (4, 4, 1), (5, 4, 2)])
def test_promotion_keeps_the_top_fraction(n, rf, kept):
    assert [promotes(p, n, rf) for p in range(n)] == [p < kept for p in range(n)]


def _naive(values, modes):
    """The definition, written plainly: peel fronts by pairwise dominance, then the net by
    nearest distances recomputed each step (rescaled objectives, ties to the lower index)."""
    pts = [minimisation_form(v, modes) for v in values]
    finite = [i for i, p in enumerate(pts) if all(math.isfinite(x) for x in p)]
    lo = [min(pts[i][k] for i in finite) for k in range(len(modes))]
    hi = [max(pts[i][k] for i in finite) for k in range(len(modes))]
    scaled = {i: [(pts[i][k] - lo[k]) / ((hi[k] - lo[k]) or 1.0) for k in range(len(modes))]
              for i in finite}

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b, strict=True)) and any(
            x < y for x, y in zip(a, b, strict=True))

    left, order = list(finite), []
    while left:
        front = [i for i in left if not any(dominates(pts[j], pts[i]) for j in left)]
        chosen = [min(front, key=lambda i: (pts[i][0], i))]
        rest = [i for i in front if i != chosen[0]]
        while rest:
            gap = {i: min(math.dist(scaled[i], scaled[c]) for c in chosen) for i in rest}
            pick = max(rest, key=lambda i: (gap[i], -i))
            chosen.append(pick)
            rest.remove(pick)
        order += chosen
        left = [i for i in left if i not in front]
    return tuple(order + [i for i in range(len(pts)) if i not in finite])


@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_ranking_is_the_plain_definition(seed):
    import random

    rng = random.Random(seed)
    d = 2 + seed % 2
    # coarse values: many equal coordinates and duplicate points, to exercise the tie breaks
    values = [tuple(float(rng.randint(0, 5)) for _ in range(d)) for _ in range(40)]
    modes = ["min", "max", "min"][:d]
    assert rank_rung(values, modes).order == _naive(values, modes)
