"""End-to-end runs on the session's real local Ray: every searcher with ASHA, errors, budgets."""

from __future__ import annotations

import json

import pytest

from raysweep import ClusterError, ExecutionError, Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep

from ._trainables import always_fails, quadratic, reports_wrong_metric

pytestmark = pytest.mark.slow

SPACE = {
    "x": space.uniform(0.0, 1.0),
    "width": space.qrandint(16, 64, 16),
    "depth": space.lograndint(1, 9),
    "opt": {"lr": space.loguniform(1e-4, 1e-1), "kind": space.choice(["adam", "sgd"])},
    "layers": space.grid([[8], [8, 8]]),
    "iters": 6,
}
#: The grid's cells: under random and TPE search, Ray's rule runs ``num_samples`` trials per cell.
CELLS = 2


def _sweep(searcher, name, **kw) -> Sweep:
    defaults = dict(
        name=name, trainable=quadratic, space=SPACE, metric="loss", mode="min", searcher=searcher,
        scheduler=schedulers.asha(max_t=6, grace_period=1, reduction_factor=2),
        num_samples=None if getattr(searcher, "name", searcher) == "grid" else 8,
        resources={"cpu": 1},
    )
    return Sweep(**{**defaults, **kw})


def _check_configs(trials):
    for cfg in trials["config_json"].map(json.loads):
        assert 0.0 <= cfg["x"] <= 1.0
        assert cfg["width"] in (16, 32, 48, 64)
        assert isinstance(cfg["depth"], int) and 1 <= cfg["depth"] <= 8
        assert 1e-4 <= cfg["opt"]["lr"] <= 1e-1
        assert cfg["opt"]["kind"] in ("adam", "sgd")
        assert cfg["layers"] in ([8], [8, 8])
        assert cfg["iters"] == 6


@pytest.mark.parametrize(
    ("searcher", "expected_trials"),
    [(searchers.grid(grid_points=2), 2 * 2 * 2 * 2 * 2 * 2), (searchers.random(seed=1), 8 * CELLS),
     (searchers.tpe(seed=1, n_initial_points=4), 8 * CELLS)],
    ids=["grid", "random", "tpe"],
)
def test_each_searcher_with_asha_end_to_end(ray_session, tmp_path, searcher, expected_trials):
    sweep = _sweep(searcher, f"e2e_{searcher.name}")
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)

    assert summary.status == "finished" and summary.exit_code == 0
    trials = results.load_trials(str(tmp_path), sweeps=sweep.name)
    assert len(trials) == expected_trials == summary.counts["trials"]
    assert set(trials["status"]) <= {"completed", "early_stopped"}
    # ASHA with rf=2 over 6 iterations stops some trials early, and none runs past max_t.
    assert (trials["status"] == "early_stopped").any()
    assert trials["iterations"].max() == 6
    assert summary.best_value == pytest.approx(trials["metric_best"].min())
    _check_configs(trials)
    per_cell = trials["config_json"].map(lambda c: len(json.loads(c)["layers"])).value_counts()
    assert sorted(per_cell) == [expected_trials // CELLS] * CELLS
    runs = results.list_runs(str(tmp_path), sweeps=sweep.name)
    assert runs.loc[0, "status"] == "finished"
    assert runs.loc[0, "searcher"] == searcher.name


def test_random_search_is_deterministic_for_a_seed(ray_session, tmp_path):
    configs = []
    for attempt in range(2):
        sweep = _sweep(searchers.random(seed=7), f"det_{attempt}", scheduler="fifo", num_samples=5,
                       max_concurrent=1)
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
        trials = results.load_trials(str(tmp_path), sweeps=sweep.name).sort_values("trial_index")
        configs.append(list(trials["config_json"]))
    assert configs[0] == configs[1]
    assert len(set(configs[0])) == 5 * CELLS


def test_every_trial_erroring_fails_the_run(ray_session, tmp_path):
    sweep = _sweep(searchers.random(seed=0), "all_errors", trainable=always_fails, num_samples=3,
                   scheduler="fifo")
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "failed" and summary.exit_code == 1
    assert summary.counts["errored"] == 3 * CELLS
    assert any("bad x=" in e for e in summary.errors)
    trials = results.load_trials(str(tmp_path), sweeps="all_errors")
    assert set(trials["status"]) == {"errored"}
    assert trials["error_message"].str.contains("bad x=").all()
    assert not trials["error_message"].str.contains("\x1b").any()


def test_a_metric_never_reported_is_a_clear_error(ray_session, tmp_path):
    sweep = _sweep(searchers.random(seed=0), "wrong_metric", trainable=reports_wrong_metric,
                   num_samples=2, scheduler="fifo")
    with pytest.raises(ExecutionError, match="wrong_metric"):
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    runs = results.list_runs(str(tmp_path), sweeps="wrong_metric")
    assert runs.loc[0, "status"] == "failed"


def test_trial_larger_than_any_node_fails_before_launch(ray_session, tmp_path):
    sweep = _sweep(searchers.random(seed=0), "too_big", num_samples=1, resources={"cpu": 4})
    with pytest.raises(ClusterError, match="needs"):
        run_sweep(sweep, results_root=str(tmp_path), progress=False)
    sweep = _sweep(searchers.random(seed=0), "needs_gpu", num_samples=1,
                   resources={"cpu": 1, "gpu": 1})
    with pytest.raises(ClusterError, match="GPU"):
        run_sweep(sweep, results_root=str(tmp_path), progress=False)


def test_time_budget_ends_the_sweep(ray_session, tmp_path):
    sweep = _sweep(searchers.random(seed=0), "budget", num_samples=10_000, scheduler="fifo",
                   time_budget_s=3)
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"
    # The budget, not the trial count, ended it: far fewer trials than asked for, all stored.
    assert 0 < summary.counts["trials"] < 10_000
    assert len(results.load_trials(str(tmp_path), sweeps="budget")) == summary.counts["trials"]


def test_results_root_may_be_a_filesystem_uri(ray_session, tmp_path):
    """The store and Ray's files go through pyarrow filesystems: a file:// URI works like s3:// would."""
    root = f"file://{tmp_path}/store"
    sweep = _sweep(searchers.random(seed=0), "uri_root", num_samples=2, scheduler="fifo")
    summary = run_sweep(sweep, results_root=root, progress=False)
    assert summary.status == "finished" and summary.results_root == root
    assert len(results.load_trials(root, sweeps="uri_root")) == 2 * CELLS
    assert len(results.load_trials(str(tmp_path / "store"), sweeps="uri_root")) == 2 * CELLS
    assert (tmp_path / "store" / "_ray" / "uri_root").is_dir()


def test_a_run_says_the_warnings_validate_and_plan_say(ray_session, tmp_path):
    """TPE's start-up trials are the whole budget: the run prints it before it starts, and runs."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    sweep = _sweep(searchers.tpe(seed=0, n_initial_points=4), "all_startup", num_samples=2,
                   scheduler="fifo")
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False,
                        console=Console(file=buffer, width=300))
    assert summary.status == "finished"
    (warning,) = sweep.definition_warnings()
    assert "every trial is random" in warning
    assert "warning: " + warning.split(":")[0] in buffer.getvalue()
