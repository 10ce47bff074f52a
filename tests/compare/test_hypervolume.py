"""The hypervolume (compare/_hypervolume.py) against known values and an independent count."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from raysweep import ConfigError
from raysweep.compare._hypervolume import hypervolume

_SPEC = importlib.util.spec_from_file_location(
    "bench_functions", Path(__file__).resolve().parents[2] / "benchmarks" / "functions.py")
functions = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(functions)


def _inclusion_exclusion(points: np.ndarray, ref: np.ndarray) -> float:
    """The union of the boxes [p, ref] by inclusion-exclusion: exact, exponential, independent."""
    total = 0.0
    for k in range(1, len(points) + 1):
        for subset in itertools.combinations(points, k):
            corner = np.max(subset, axis=0)
            total += (-1) ** (k + 1) * float(np.prod(np.clip(ref - corner, 0, None)))
    return total


def test_two_points_by_hand():
    """(1, 3) and (2, 1) against (4, 4): strips (4-1)*(4-3) = 3 and (4-2)*(3-1) = 4: 7."""
    assert hypervolume([(1, 3), (2, 1)], (4, 4)) == pytest.approx(7.0)
    # a dominated point, a duplicate and a point beyond the reference add nothing
    assert hypervolume([(1, 3), (2, 1), (3, 3), (2, 1), (5, 0)], (4, 4)) == pytest.approx(7.0)
    assert hypervolume([], (1, 1)) == 0.0


def test_three_unit_points_by_hand():
    """(1,0,0), (0,1,0), (0,0,1) against (2,2,2): boxes of 4 each, pairwise overlaps of 2, a
    triple overlap of 1: 3*4 - 3*2 + 1 = 7."""
    assert hypervolume(np.eye(3), (2, 2, 2)) == pytest.approx(7.0)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_matches_inclusion_exclusion_on_random_points(d):
    rng = np.random.default_rng(d)
    for _ in range(5):
        points = rng.random((7, d))
        ref = np.full(d, 1.1)
        assert hypervolume(points, ref) == pytest.approx(_inclusion_exclusion(points, ref))


def test_maximised_objectives_are_turned_round():
    points = [(1, 3), (2, 1)]
    assert hypervolume([(-a, b) for a, b in points], (-4, 4), ["max", "min"]) == pytest.approx(7.0)
    assert hypervolume([(1.0, np.nan), (np.inf, 0.0), (1, 3)], (4, 4)) == pytest.approx(3.0)


@pytest.mark.parametrize(("name", "exact"), [("zdt1", 2 / 3), ("zdt2", 1 / 3), ("dtlz2", 1 - np.pi / 4)])
def test_true_fronts_converge_to_their_closed_forms(name, exact):
    _, _, front, hv, _ = functions.MO_PROBLEMS[name]
    assert hv((1.0, 1.0)) == pytest.approx(exact)
    assert hv((1.1, 1.1)) == pytest.approx(exact + 1.1 * 1.1 - 1.0)
    # the staircase under a sampled front approaches the front's area from below
    coarse, fine = hypervolume(front(50), (1, 1)), hypervolume(front(5000), (1, 1))
    assert coarse < fine < exact
    assert fine == pytest.approx(exact, abs=1e-3)


@pytest.mark.parametrize("name", ["zdt1", "zdt2", "dtlz2"])
def test_the_problems_reach_their_fronts(name):
    f, n_vars, front, _, worst = functions.MO_PROBLEMS[name]
    on_front = np.array([f([t, *([0.5 if name == "dtlz2" else 0.0] * (n_vars - 1))])
                         for t in np.linspace(0, 1, 11)])
    expected = front(11)
    assert np.allclose(on_front, expected, atol=1e-9)
    corner = np.array([f(np.ones(n_vars)), f(np.zeros(n_vars)), f(np.r_[0.0, np.ones(n_vars - 1)])])
    assert np.all(corner <= np.array(worst) + 1e-9)


def test_bad_reference_and_modes_are_refused_together():
    with pytest.raises(ConfigError) as info:
        hypervolume([(1, 2)], (np.nan, 1), ["min", "best"])
    assert "'reference'" in str(info.value) and "'modes'" in str(info.value)


def test_points_of_the_wrong_width_are_refused():
    with pytest.raises(ConfigError, match="'points'"):
        hypervolume([(1, 2), (3, 4), (5, 6)], (9, 9, 9))
