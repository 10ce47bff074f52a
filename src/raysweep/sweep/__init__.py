"""Sweep definitions: the :class:`Sweep` record, loading sweep modules, and planning. No Ray here."""

from raysweep.sweep._loader import LoadedSweep, list_sweeps, load_sweep, resolve_sweep_path
from raysweep.sweep._plan import Dimension, Plan, make_plan
from raysweep.sweep._sweep import Sweep

__all__ = [
    "Dimension",
    "LoadedSweep",
    "Plan",
    "Sweep",
    "list_sweeps",
    "load_sweep",
    "make_plan",
    "resolve_sweep_path",
]
