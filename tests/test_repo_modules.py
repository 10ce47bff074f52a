"""Every sweep module under sweeps/ and every search space under search_spaces/ imports and validates."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from raysweep import Sweep, load_sweep
from raysweep.space import Domain, flatten, validate_space
from raysweep.sweep import make_plan

REPO = Path(__file__).resolve().parent.parent
SWEEPS = sorted(p for p in (REPO / "sweeps").glob("*.py") if not p.name.startswith("_"))
SPACES = sorted(p for p in (REPO / "search_spaces").glob("*.py") if not p.name.startswith("_"))


def test_the_repository_ships_sweeps_and_spaces():
    assert (REPO / "sweeps" / "quickstart.py") in SWEEPS
    assert SPACES


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_sweep_module_loads_and_validates(path):
    loaded = load_sweep(str(path))
    assert isinstance(loaded.sweep, Sweep)
    plan = make_plan(loaded.sweep, cluster_cpus=2, cluster_gpus=0)
    assert plan.n_trials >= 1 and plan.trials_at_once >= 1  # it fits on this 2-core machine


@pytest.mark.parametrize("path", SPACES, ids=[p.stem for p in SPACES])
def test_search_space_module_holds_valid_spaces(path):
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    module = importlib.import_module(f"search_spaces.{path.stem}")
    spaces = [v for k, v in vars(module).items() if k.isupper() and _is_space(v)]
    assert spaces, f"{path.name} defines no UPPER_CASE dict with raysweep.space dimensions"
    for space in spaces:
        validate_space(space)


def _is_space(value) -> bool:
    try:
        return isinstance(value, dict) and any(isinstance(v, Domain) for v in flatten(value).values())
    except Exception:  # noqa: BLE001 - not a space-shaped dict (e.g. a table of sizes)
        return False
