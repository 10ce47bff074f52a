"""The public API of every raysweep package, pinned (as httpx's tests/test_exported_members.py does).

Adding or removing a public name is a deliberate change: update the expected list here with it.
``__all__`` follows ruff's RUF022 order: CONSTANTS, then Classes, then everything else, each sorted.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import subprocess
import sys

import pytest

EXPECTED = {
    "raysweep": [
        "ClusterError", "ConfigError", "ExecutionError", "RaysweepError", "StorageError", "Sweep",
        "SweepNotFoundError", "__version__", "callbacks", "checkpoints", "load_sweep", "schedulers",
        "searchers", "space", "warm_start",
    ],
    "raysweep.callbacks": [
        "WANDB_MODES", "CallbackSpec", "MLflow", "TensorBoard", "Wandb", "mlflow", "tensorboard",
        "wandb",
    ],
    "raysweep.checkpoints": ["ORDERS", "Keep", "from_value", "keep"],
    "raysweep.space": [
        "Categorical", "Conditional", "Domain", "Float", "Integer", "branch_columns", "choice",
        "conditional_paths", "crossed_cells", "flatten", "from_ray", "grid", "grid_cells_of",
        "grid_size", "grid_values", "grid_values_for_space", "is_ray_domain", "lograndint",
        "loguniform", "qloguniform", "qrandint", "quniform", "randint", "space_problems",
        "space_to_json", "unflatten", "uniform", "validate_space",
    ],
    "raysweep.searchers": [
        "TPE_DEFAULT_MAX_CONCURRENT", "BOHBSearch", "GridSearch", "NSGA2Search", "OptunaSearch",
        "RandomSearch", "SearcherSpec", "TPESearch", "bohb", "from_name", "grid", "nsga2", "optuna",
        "random", "tpe",
        "tpe_startup_rule",
    ],
    "raysweep.warm_start": [
        "Seeds", "WarmStart", "category_index", "collect", "from_runs", "in_domain", "inside",
    ],
    "raysweep.schedulers": [
        "ASHA", "FIFO", "HyperBand", "HyperBandBracket", "HyperBandForBOHB", "PB2", "PBT",
        "SchedulerSpec", "asha", "fifo", "from_name", "hyperband", "hyperband_for_bohb", "pb2", "pbt",
    ],
    "raysweep.sweep": [
        "Dimension", "Estimate", "LoadedSweep", "NewCells", "NodePlan", "Plan", "Sweep", "TrainerFacts",
        "asha_expected_iterations", "describe_trainer", "estimate_cost", "estimate_vs_actual",
        "grid_cells", "is_sweep_module", "list_sweeps", "load_sweep", "make_plan", "new_cells",
        "pack_trials", "resolve_sweep_path", "trainable_name", "trials_on_node",
    ],
    # Layers above the core (storage, comparison, execution, workloads).
    "raysweep.results": [
        "HEARTBEAT_TIMEOUT_S", "MODES", "POPULATION_SCHEDULERS", "RESERVED_COLUMNS",
        "RUNG_DECISIONS", "RUN_STATUSES", "SCHEMA_VERSION", "TRIAL_STATUSES", "Condition", "IterationRow",
        "Objective", "PerturbationRow", "ResultsWarning", "RunRow", "RunStatus", "RunWriter",
        "RungDecision", "RungRow", "TrialRow", "TrialStatus", "best_checkpoint", "best_config",
        "best_pareto", "best_schedule", "best_trial", "config_columns", "driver_alive", "effective_curve",
        "error_groups", "filter_trials", "frame_of", "group_message", "is_population", "latest_run",
        "lineage", "list_runs", "load_iterations", "load_perturbations", "load_rungs", "load_trials",
        "local_path", "non_dominated", "objective_values", "pareto_mask", "pareto_set",
        "parse_condition", "resolve_root", "resolve_run", "run_objectives", "runs_overview", "schedule",
        "schedule_of", "stable_trial_id", "strip_ansi", "to_json", "top_trials", "top_trials_pareto",
        "trial_schedule", "where_columns",
    ],
    "raysweep.compare": [
        "AXES", "Comparison", "GroupComparison", "anytime_best", "best_params", "best_trials",
        "compare_groups", "compare_hypervolumes", "cost_to_target", "hypervolume",
        "hypervolume_bands", "hypervolume_curves", "hypervolume_seed_bands", "learning_curves",
        "load", "marginal_effects", "objectives_of",
        "paired_comparison", "param_names", "pareto_front", "parse_pareto", "population_exploits",
        "reference_point", "render_report", "report_figures", "retrained_iterations", "run_fronts",
        "run_hypervolumes", "run_summary", "rung_cutoffs",
        "running_best", "seed_bands", "target_values", "top_trials", "topk_overlap",
        "topk_ranges", "write_report",
    ],
    "raysweep.execution": [
        "EXIT_CODES", "RunSummary", "SubmitRequest", "build_submit_request", "check_sweep",
        "check_trainable_data",
        "extend_run", "live_nodes",
        "new_run_id",
        "replay_run", "resume_run", "run_sweep", "submit_sweep",
    ],
    "raysweep.workloads": [
        "ArimaFitError", "TwoTower", "TwoTowerConfig", "digits_epochs", "fit_arima",
        "load_digits_split", "load_series", "train_arima", "train_bpr_mf", "train_digits_mlp",
        "train_two_tower", "train_two_tower_per_worker",
    ],
    "raysweep.workloads.recsys": [
        "BPRMF", "DEFAULT_DATA", "BPRConfig", "Evaluator", "Interactions", "PopularityModel",
        "Split", "TwoTower", "TwoTowerConfig", "TwoTowerTrainer", "generate_interactions",
        "leave_last_out", "load_movielens", "load_split", "ndcg_at_k", "rank_metrics", "recall_at_k",
        "time_split", "train_bpr_mf", "train_epochs", "train_two_tower", "train_two_tower_per_worker",
        "two_tower_epochs",
    ],
}


def isort_key(name: str) -> tuple[int, str]:
    """RUF022's "isort-style" order (no names here contain digits, so natural = plain sort)."""
    if name.upper() == name:
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_all_is_the_sorted_expected_list(module_name):
    module = importlib.import_module(module_name)
    assert module.__all__ == sorted(EXPECTED[module_name], key=isort_key)


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_every_exported_name_exists(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("module_name", sorted(EXPECTED))
def test_exported_callables_have_docstrings(module_name):
    module = importlib.import_module(module_name)
    undocumented = [
        name for name in module.__all__
        if callable(getattr(module, name)) and not _has_own_docstring(getattr(module, name))
    ]
    assert undocumented == []


def _has_own_docstring(obj: object) -> bool:
    """A docstring someone wrote: not empty, not dataclass's generated signature, not Enum's default."""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    if not doc:
        return False
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return False
    return not (isinstance(obj, type) and issubclass(obj, enum.Enum) and doc == "An enumeration.")


def test_the_docstring_check_rejects_generated_docstrings():
    @dataclasses.dataclass
    class Plain:
        x: int

    class Colour(enum.Enum):
        RED = 1

    assert not _has_own_docstring(Plain)
    assert not _has_own_docstring(Colour)
    assert _has_own_docstring(_has_own_docstring)


def test_top_level_re_exports_are_the_same_objects():
    import raysweep
    from raysweep import _errors, sweep

    assert raysweep.Sweep is sweep.Sweep
    assert raysweep.load_sweep is sweep.load_sweep
    for name in ("ClusterError", "ConfigError", "ExecutionError", "RaysweepError", "StorageError",
                 "SweepNotFoundError"):
        assert getattr(raysweep, name) is getattr(_errors, name)
    assert raysweep.space is importlib.import_module("raysweep.space")
    assert isinstance(raysweep.__version__, str) and raysweep.__version__


def test_the_core_imports_without_ray():
    code = (
        "import sys\n"
        "import raysweep, raysweep.space, raysweep.searchers, raysweep.schedulers, raysweep.sweep\n"
        "leaked = sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == ""
