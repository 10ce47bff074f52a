"""The ONLY place in raysweep that touches private names of Ray, Ray Tune, HyperOpt or Optuna.

Every access is a named function with a docstring saying what it needs from which library and why.
When what it needs is missing, it raises :class:`~raysweep.ExecutionError` naming the Ray version
found and the versions raysweep supports, or, where a feature can degrade, warns once.
``tests/test_layers.py`` fails if a private name of these libraries appears anywhere else, and
``tests/execution/test_internals_contract.py`` checks, without starting Ray, that every private name
used here exists with the shape expected.
"""

from raysweep.execution._internals._jobs import cluster_ray_version
from raysweep.execution._internals._versions import (
    SUPPORTED_RAY,
    ray_version,
    require_supported_ray,
    unsupported_ray,
)

__all__ = [
    "SUPPORTED_RAY",
    "cluster_ray_version",
    "ray_version",
    "require_supported_ray",
    "unsupported_ray",
]
