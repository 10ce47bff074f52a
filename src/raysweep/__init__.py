"""raysweep: hyperparameter sweeps at cluster scale on Ray Tune, with every result in Parquet.

>>> from raysweep import Sweep, space, searchers, schedulers
"""

from importlib.metadata import PackageNotFoundError, version

from raysweep import schedulers, searchers, space, warm_start
from raysweep._errors import (
    ClusterError,
    ConfigError,
    ExecutionError,
    RaysweepError,
    StorageError,
    SweepNotFoundError,
)
from raysweep.sweep import Sweep, load_sweep

try:
    __version__ = version("raysweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "ClusterError",
    "ConfigError",
    "ExecutionError",
    "RaysweepError",
    "StorageError",
    "Sweep",
    "SweepNotFoundError",
    "__version__",
    "load_sweep",
    "schedulers",
    "searchers",
    "space",
    "warm_start",
]
