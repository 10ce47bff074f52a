"""Compare results across sweeps: compute first (DataFrames and typed records), render second.

Load runs with :func:`load` (or :meth:`Comparison.from_frames`), compute tables and curves, and
draw them with :func:`write_report` (plotly builders in ``raysweep.compare._figures``).
:mod:`raysweep.compare` never imports Ray and reads results only through :mod:`raysweep.results`.
"""

from typing import Any

from ._anytime import (
    AXES,
    anytime_best,
    cost_to_target,
    retrained_iterations,
    running_best,
    target_values,
)
from ._hypervolume import hypervolume
from ._load import Comparison, load
from ._multiobjective import (
    compare_hypervolumes,
    hypervolume_bands,
    hypervolume_curves,
    hypervolume_seed_bands,
    objectives_of,
    reference_point,
    run_fronts,
    run_hypervolumes,
)
from ._params import (
    best_params,
    best_trials,
    marginal_effects,
    param_names,
    top_trials,
    topk_overlap,
    topk_ranges,
)
from ._pareto import pareto_front, parse_pareto
from ._stats import GroupComparison, compare_groups, paired_comparison, seed_bands
from ._summary import learning_curves, population_exploits, run_summary, rung_cutoffs

_LAZY = {"render_report", "report_figures", "write_report"}


def __getattr__(name: str) -> Any:
    """The report functions, imported on first use: ``raysweep compare`` never needs plotly."""
    if name in _LAZY:
        from . import _report

        return getattr(_report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AXES",
    "Comparison",
    "GroupComparison",
    "anytime_best",
    "best_params",
    "best_trials",
    "compare_groups",
    "compare_hypervolumes",
    "cost_to_target",
    "hypervolume",
    "hypervolume_bands",
    "hypervolume_curves",
    "hypervolume_seed_bands",
    "learning_curves",
    "load",
    "marginal_effects",
    "objectives_of",
    "paired_comparison",
    "param_names",
    "pareto_front",
    "parse_pareto",
    "population_exploits",
    "reference_point",
    "render_report",
    "report_figures",
    "retrained_iterations",
    "run_fronts",
    "run_hypervolumes",
    "run_summary",
    "rung_cutoffs",
    "running_best",
    "seed_bands",
    "target_values",
    "top_trials",
    "topk_overlap",
    "topk_ranges",
    "write_report",
]
