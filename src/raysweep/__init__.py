"""raysweep: hyperparameter sweeps at cluster scale on Ray Tune, with every result in Parquet.

>>> from raysweep import Sweep, space, searchers, schedulers, callbacks, checkpoints
"""

from typing import Any

from raysweep import callbacks, checkpoints, schedulers, searchers, space, warm_start
from raysweep._errors import (
    ClusterError,
    ConfigError,
    ExecutionError,
    RaysweepError,
    StorageError,
    SweepNotFoundError,
)
from raysweep.sweep import Sweep, load_sweep


def __getattr__(name: str) -> Any:
    # __version__ is looked up on first use: importlib.metadata costs every CLI command ~60 ms.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("raysweep")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            value = "0.0.0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ClusterError",
    "ConfigError",
    "ExecutionError",
    "RaysweepError",
    "StorageError",
    "Sweep",
    "SweepNotFoundError",
    "__version__",
    "callbacks",
    "checkpoints",
    "load_sweep",
    "schedulers",
    "searchers",
    "space",
    "warm_start",
]
