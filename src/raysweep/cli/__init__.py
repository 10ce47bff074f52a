"""The ``raysweep`` command-line interface (click); rendering only, the work is done by the library."""

from raysweep.cli._main import main, raysweep

__all__ = ["main", "raysweep"]
