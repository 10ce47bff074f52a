"""Sweep definitions: the :class:`Sweep` record, loading sweep modules, and planning. No Ray here."""

from raysweep.sweep._cells import NewCells, grid_cells, new_cells
from raysweep.sweep._estimate import (
    Estimate,
    asha_expected_iterations,
    estimate_cost,
    estimate_vs_actual,
    trainable_name,
)
from raysweep.sweep._loader import (
    LoadedSweep,
    is_sweep_module,
    list_sweeps,
    load_sweep,
    resolve_sweep_path,
)
from raysweep.sweep._plan import Dimension, NodePlan, Plan, make_plan, pack_trials, trials_on_node
from raysweep.sweep._sweep import Sweep
from raysweep.sweep._trainer import TrainerFacts, describe_trainer

__all__ = [
    "Dimension",
    "Estimate",
    "LoadedSweep",
    "NewCells",
    "NodePlan",
    "Plan",
    "Sweep",
    "TrainerFacts",
    "asha_expected_iterations",
    "describe_trainer",
    "estimate_cost",
    "estimate_vs_actual",
    "grid_cells",
    "is_sweep_module",
    "list_sweeps",
    "load_sweep",
    "make_plan",
    "new_cells",
    "pack_trials",
    "resolve_sweep_path",
    "trainable_name",
    "trials_on_node",
]
