"""Every shipped sweep validates at every size, and runs end to end at the tiny size."""

from __future__ import annotations

import importlib

import pytest

from raysweep import ConfigError, results
from raysweep.sweep import load_sweep

SWEEPS = [
    "recsys_mf_grid",
    "recsys_mf_random_asha",
    "recsys_mf_tpe_asha",
    "recsys_mf_optuna_asha",
    "quickstart",
    "digits_mlp_random_asha",
    "digits_mlp_tpe_asha",
    "arima_grid",
    "recsys_twotower_optuna_asha",
    "recsys_twotower_ddp",
    "recsys_mf_pbt",
    "recsys_twotower_pbt",
    "recsys_mf_multiobj",
]


@pytest.mark.parametrize("size", ["tiny", "small", "full"])
@pytest.mark.parametrize("name", SWEEPS)
def test_sweep_validates(repo, monkeypatch, name, size):
    monkeypatch.setenv("RAYSWEEP_SIZE", size)
    sweep = load_sweep(repo / "sweeps" / f"{name}.py").sweep
    assert sweep.name == name
    # 4 trials at least; a Ray Train sweep's trials each start a worker group: 2 at tiny
    assert sweep.n_trials >= (2 if sweep.trainer is not None and size == "tiny" else 4)
    assert sweep.tags["size"] == ("small" if name == "quickstart" and size != "tiny" else size)


def test_recsys_sweeps_share_one_space(repo, monkeypatch):
    monkeypatch.setenv("RAYSWEEP_SIZE", "full")
    spaces = {
        name: load_sweep(repo / "sweeps" / f"{name}.py").sweep.space_json()
        for name in SWEEPS[:4]
    }
    assert len(set(spaces.values())) == 1


def test_bad_size_is_a_config_error(monkeypatch):
    import search_spaces

    monkeypatch.setenv("RAYSWEEP_SIZE", "huge")
    with pytest.raises(ConfigError, match="'RAYSWEEP_SIZE' parameter"):
        search_spaces.size()


def test_two_tower_sweep_tunes_on_the_bpr_mf_split(repo, monkeypatch):
    for size in ("tiny", "small", "full"):
        monkeypatch.setenv("RAYSWEEP_SIZE", size)
        spaces = [load_sweep(repo / "sweeps" / f"{name}.py").sweep.space
                  for name in ("recsys_mf_optuna_asha", "recsys_twotower_optuna_asha")]
        assert spaces[0]["data"] == spaces[1]["data"] and spaces[0]["epochs"] == spaces[1]["epochs"]


def test_import_needs_neither_sklearn_nor_statsmodels():
    module = importlib.import_module("raysweep.workloads")
    assert {"train_bpr_mf", "train_digits_mlp", "train_arima"} <= set(module.__all__)


@pytest.mark.slow
@pytest.mark.parametrize("name", SWEEPS)
def test_sweep_runs_end_to_end_tiny(ray_session, repo, tmp_path, monkeypatch, name):
    from raysweep.execution import run_sweep

    monkeypatch.setenv("RAYSWEEP_SIZE", "tiny")
    loaded = load_sweep(repo / "sweeps" / f"{name}.py")
    assert loaded.sweep.tags["size"] == "tiny"  # the module read the variable: a smoke-sized sweep
    summary = run_sweep(loaded, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished", summary.errors
    trials = results.load_trials(str(tmp_path), sweeps=name)
    assert len(trials) == loaded.sweep.n_trials
    assert (trials["status"] != "errored").all(), list(trials["error_message"].dropna())
    assert trials["metric_best"].notna().all()
    assert summary.best_value is not None


def test_multiobj_sweep_trades_ndcg_against_size_over_wider_dims(repo, monkeypatch):
    from search_spaces import recsys

    monkeypatch.setenv("RAYSWEEP_SIZE", "full")
    sweep = load_sweep(repo / "sweeps" / "recsys_mf_multiobj.py").sweep
    assert [(o.metric, o.mode) for o in sweep.objectives] == [("val_ndcg", "max"), ("model_mb", "min")]
    assert sweep.is_multi_objective and (sweep.metric, sweep.mode) == ("val_ndcg", "max")
    shared = load_sweep(repo / "sweeps" / "recsys_mf_optuna_asha.py").sweep.space
    assert {k: v for k, v in sweep.space.items() if k != "dim"} == \
           {k: v for k, v in shared.items() if k != "dim"}
    assert sweep.space["dim"] != shared["dim"] and recsys.MULTIOBJECTIVE_DIMS == [4, 8, 16, 32, 64, 128]


def test_multiobjective_space_widens_dim_only_and_leaves_the_shared_space_alone():
    from search_spaces import recsys

    before = repr(recsys.SPACE)
    for size in ("tiny", "small", "full"):
        wide, shared = recsys.multiobjective_space_for(size), recsys.space_for(size)
        assert set(wide) == set(shared)
        assert {k: v for k, v in wide.items() if k != "dim"} == \
               {k: v for k, v in shared.items() if k != "dim"}
        assert list(wide["dim"].values) == recsys.MULTIOBJECTIVE_DIMS
    assert repr(recsys.SPACE) == before and list(recsys.SPACE["dim"].values) == [16, 32, 64]
