"""The search-space DSL: one space serves grid, random, TPE and Optuna search.

>>> from raysweep import space
>>> SPACE = {"lr": space.loguniform(1e-4, 1e-1), "dim": space.choice([16, 32, 64]),
...          "opt": {"beta": space.uniform(0.8, 0.99)}, "epochs": 10}

Plain Python: nothing here imports Ray. ``raysweep.execution`` converts spaces into Ray Tune domains or
hyperopt expressions.
"""

from raysweep.space._api import (
    choice,
    grid,
    lograndint,
    loguniform,
    qloguniform,
    qrandint,
    quniform,
    randint,
    uniform,
)
from raysweep.space._conditional import Conditional, branch_columns, conditional_paths
from raysweep.space._domains import Categorical, Domain, Float, Integer
from raysweep.space._grid import (
    crossed_cells,
    grid_cells_of,
    grid_size,
    grid_values,
    grid_values_for_space,
)
from raysweep.space._ray import from_ray, is_ray_domain
from raysweep.space._tree import flatten, space_problems, space_to_json, unflatten, validate_space

__all__ = [
    "Categorical",
    "Conditional",
    "Domain",
    "Float",
    "Integer",
    "branch_columns",
    "choice",
    "conditional_paths",
    "crossed_cells",
    "flatten",
    "from_ray",
    "grid",
    "grid_cells_of",
    "grid_size",
    "grid_values",
    "grid_values_for_space",
    "is_ray_domain",
    "lograndint",
    "loguniform",
    "qloguniform",
    "qrandint",
    "quniform",
    "randint",
    "space_problems",
    "space_to_json",
    "unflatten",
    "uniform",
    "validate_space",
]
