"""Grid expansion: how each dimension is discretised and how the grid's size is counted."""

from __future__ import annotations

import itertools
import math

import pytest

from raysweep import space
from raysweep.space import grid_size, grid_values, grid_values_for_space


def test_uniform_is_spaced_linearly_including_both_bounds():
    assert grid_values(space.uniform(0, 1), 5) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert grid_values(space.uniform(-2, 2), 3) == pytest.approx([-2.0, 0.0, 2.0])


def test_loguniform_is_spaced_geometrically():
    values = grid_values(space.loguniform(1e-4, 1e-1), 4)
    assert values == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert ratios == pytest.approx([10.0, 10.0, 10.0])


def test_float_grid_values_are_plain_python_floats():
    for dim in (space.uniform(0, 1), space.loguniform(1e-3, 1), space.quniform(0, 1, 0.5)):
        assert all(type(v) is float for v in grid_values(dim, 3))


def test_integer_grid_values_are_plain_python_ints():
    for dim in (space.randint(0, 100), space.qrandint(0, 64, 8), space.lograndint(1, 1000)):
        assert all(type(v) is int for v in grid_values(dim, 4))


def test_grid_points_1_takes_the_midpoint():
    assert grid_values(space.uniform(0, 1), 1) == pytest.approx([0.5])
    # Log dimensions take the geometric midpoint.
    assert grid_values(space.loguniform(1e-4, 1e-2), 1) == pytest.approx([1e-3])
    # randint(0, 3) covers 0, 1, 2: the midpoint is 1.
    assert grid_values(space.randint(0, 3), 1) == [1]


def test_quniform_points_are_snapped_to_q():
    # linspace(0, 1.2, 4) = 0, 0.4, 0.8, 1.2; nearest multiples of 0.3: 0, 0.3, 0.9, 1.2.
    assert grid_values(space.quniform(0, 1.2, 0.3), 4) == pytest.approx([0.0, 0.3, 0.9, 1.2])


def test_quniform_snapping_removes_duplicates():
    # linspace(0, 1, 5) = 0, .25, .5, .75, 1; snapped to 0.5 (half to even): 0, 0, .5, 1, 1.
    assert grid_values(space.quniform(0, 1, 0.5), 5) == pytest.approx([0.0, 0.5, 1.0])


def test_qloguniform_is_geometric_then_snapped():
    # geomspace(1, 100, 3) = 1, 10, 100 (all multiples of q=1).
    assert grid_values(space.qloguniform(1, 100, 1), 3) == pytest.approx([1.0, 10.0, 100.0])


def test_randint_duplicates_are_removed():
    # randint(0, 3) holds 0, 1, 2 only: ten points collapse to three.
    assert grid_values(space.randint(0, 3), 10) == [0, 1, 2]


def test_randint_never_reaches_the_exclusive_upper_bound():
    assert max(grid_values(space.randint(0, 10), 5)) == 9
    assert max(grid_values(space.lograndint(1, 10), 5)) == 9


def test_randint_points_are_rounded():
    # linspace(0, 9, 4) = 0, 3, 6, 9.
    assert grid_values(space.randint(0, 10), 4) == [0, 3, 6, 9]
    # linspace(0, 10, 3) = 0, 5, 10.
    assert grid_values(space.randint(0, 11), 3) == [0, 5, 10]


def test_qrandint_is_snapped_to_multiples_of_q_and_includes_upper():
    # linspace(16, 512, 5) = 16, 140, 264, 388, 512 -> /16 = 1, 8.75, 16.5, 24.25, 32
    # -> rounded (half to even) 1, 9, 16, 24, 32 -> x16.
    assert grid_values(space.qrandint(16, 512, 16), 5) == [16, 144, 256, 384, 512]


def test_qrandint_snapping_stays_inside_the_bounds():
    # linspace(0, 10, 3) = 0, 5, 10 -> /4 = 0, 1.25, 2.5 -> 0, 1, 2 (half to even):
    # 12 is never produced.
    values = grid_values(space.qrandint(0, 10, 4), 3)
    assert values == [0, 4, 8]
    assert all(0 <= v <= 10 and v % 4 == 0 for v in values)


def test_lograndint_is_geometric():
    assert grid_values(space.lograndint(1, 101), 3) == [1, 10, 100]


def test_categorical_and_grid_dimensions_give_their_values_whatever_grid_points():
    assert grid_values(space.choice(["a", "b", "c"]), 1) == ["a", "b", "c"]
    assert grid_values(space.grid([3, 1, 2]), 10) == [3, 1, 2]


def test_grid_values_rejects_unknown_domains():
    with pytest.raises(TypeError):
        grid_values(object(), 3)  # type: ignore[arg-type]


SPACE = {
    "lr": space.loguniform(1e-3, 1e-1),
    "dim": space.choice([16, 32, 64]),
    "epochs": 10,
    "opt": {"name": "adam", "beta": space.uniform(0.8, 0.9), "layers": space.randint(1, 3)},
    "act": space.grid(["relu", "tanh"]),
}


def test_grid_values_for_space_keys_every_dimension_by_path_in_definition_order():
    values = grid_values_for_space(SPACE, 3)
    assert list(values) == [("lr",), ("dim",), ("opt", "beta"), ("opt", "layers"), ("act",)]
    assert values[("lr",)] == pytest.approx([1e-3, 1e-2, 1e-1])
    assert values[("dim",)] == [16, 32, 64]
    assert values[("opt", "beta")] == pytest.approx([0.8, 0.85, 0.9])
    assert values[("opt", "layers")] == [1, 2]
    assert values[("act",)] == ["relu", "tanh"]


def test_constants_are_not_grid_dimensions():
    values = grid_values_for_space(SPACE, 3)
    assert ("epochs",) not in values
    assert ("opt", "name") not in values


def test_grid_size_is_the_product_of_value_counts():
    # lr 3 x dim 3 x beta 3 x layers 2 (randint(1, 3) holds 1, 2) x act 2; constants count once.
    assert grid_size(SPACE, 3) == 3 * 3 * 3 * 2 * 2
    # With one point per continuous dimension only the categoricals multiply: dim 3 x act 2.
    assert grid_size(SPACE, 1) == 3 * 2


def test_grid_size_uses_deduplicated_counts():
    # randint(0, 3) gives 3 values however many points are asked for; uniform gives 10.
    assert grid_size({"a": space.randint(0, 3), "b": space.uniform(0, 1)}, 10) == 3 * 10


def test_grid_size_of_constants_only_is_one():
    assert grid_size({"epochs": 3, "opt": {"name": "sgd"}}, 5) == 1


def test_expansion_is_deterministic():
    first = grid_values_for_space(SPACE, 4)
    second = grid_values_for_space(dict(SPACE), 4)
    assert first == second
    assert list(first) == list(second)


@pytest.mark.parametrize("points", [2, 3, 7])
def test_float_grids_are_sorted_and_hit_both_bounds(points):
    for dim in (space.uniform(-3, 5), space.loguniform(1e-5, 2.0)):
        values = grid_values(dim, points)
        assert len(values) == points
        assert values == sorted(values)
        assert math.isclose(values[0], dim.lower) and math.isclose(values[-1], dim.upper)
