"""`raysweep plan`'s cost estimate: the ASHA rung model against Ray's own brackets, and the estimate
on hand-built stores with known iteration times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from raysweep import Sweep, schedulers, searchers, space
from raysweep.cli._main import raysweep as cli
from raysweep.results import RunWriter, to_json
from raysweep.sweep import asha_expected_iterations, estimate_cost, estimate_vs_actual, trainable_name

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def train(config):  # never run: the estimate reads the store only
    raise NotImplementedError


def other_train(config):
    raise NotImplementedError


def _sweep(name="est", trainable=train, scheduler="fifo", n=4, dims=("x",)):
    return Sweep(name=name, trainable=trainable, space={d: space.uniform(0.0, 1.0) for d in dims},
                 metric="loss", mode="min", searcher=searchers.random(seed=0), scheduler=scheduler,
                 num_samples=n)


def _ray_bracket_mean_iterations(n, max_t, grace, rf, seed):
    """Trials one after another through Ray's own ``_Bracket``, each rung value iid uniform."""
    from ray.tune.schedulers.async_hyperband import _Bracket

    class T:
        def __init__(self, i):
            self.trial_id = str(i)

    rng = np.random.default_rng(seed)
    bracket = _Bracket(grace, max_t, rf, 0)
    total = 0
    for i in range(n):
        trial, ran = T(i), max_t
        for it in range(1, max_t + 1):
            if bracket.on_result(trial, it, float(rng.random())) == "STOP":
                ran = it
                break
        total += ran
    return total / n


@pytest.mark.parametrize(("n", "max_t", "grace", "rf"), [(24, 8, 1, 3), (64, 27, 1, 3), (10, 16, 2, 2)])
def test_rung_model_matches_rays_asha_brackets(n, max_t, grace, rf):
    simulated = np.mean([_ray_bracket_mean_iterations(n, max_t, grace, rf, seed) for seed in range(400)])
    model = asha_expected_iterations(n, max_t, grace, rf)
    assert model == pytest.approx(simulated, rel=0.03)
    assert 0 < model < max_t


def test_rung_model_limits():
    # Many trials: each rung passes 1/rf of them (rungs 1 and 3 of max_t 8, rf 3).
    limit = 2 / 3 * 1 + 2 / 9 * 3 + 1 / 9 * 8
    assert asha_expected_iterations(100_000, 8, 1, 3) == pytest.approx(limit, rel=1e-3)
    assert asha_expected_iterations(1, 8, 1, 3) == 8  # the first trial is never stopped
    assert asha_expected_iterations(5, 8, 1, 3, cap=4) <= 4


def _write(root, sweep_name, run, *, trainable="tests.sweep.test_estimate.train", dims=("x",),
           scheduler="fifo", scheduler_params="{}", times=(), wall_s=9.0, offset=0):
    """A finished run: trial k reports time_this_iter_s = times[k][i] at iteration i + 1."""
    started = T0 + timedelta(minutes=offset)
    row = {"status": "finished", "started_at": started, "ended_at": started + timedelta(seconds=wall_s),
           "metric": "loss", "mode": "min", "scheduler": scheduler,
           "scheduler_params": scheduler_params,
           "space_json": to_json({d: {"type": "uniform", "lower": 0, "upper": 1} for d in dims}),
           "trainable": trainable, "cluster_resources": json.dumps({"CPU": 2.0}),
           "resources_per_trial": json.dumps({"cpu": 1}), "n_trials": len(times)}
    with RunWriter(str(root), sweep=sweep_name, run_id=run) as writer:
        writer.write_run(row)
        for k, seconds in enumerate(times):
            tid = f"t{k}"
            writer.add_trial({"trial_id": tid, "trial_index": k, "status": "completed",
                              "config_json": to_json({"x": k / 10}), "iterations": len(seconds)})
            for i, s in enumerate(seconds, start=1):
                writer.add_iteration({"trial_id": tid, "attempt": 1, "training_iteration": i,
                                      "time_this_iter_s": s, "timestamp": started})


def test_estimate_from_known_iteration_times(tmp_path):
    _write(tmp_path, "est", "r1", times=[(2.0, 1.0, 1.0), (4.0, 1.0, 3.0)], wall_s=9.0)
    est = estimate_cost(_sweep(n=4), str(tmp_path), trials_at_once=2)
    assert est is not None and est.runs == ("r1",)
    # first iterations 2 and 4 (mean 3), later ones 1, 1, 1, 3 (mean 1.5), 3 iterations per trial
    assert est.iterations_per_trial == 3
    assert est.compute_s == pytest.approx(4 * (3 + 2 * 1.5))
    # the earlier run took 9 s for 12 s of compute over 2 trials at once: overhead 1.5
    assert est.wall_overhead == pytest.approx(1.5)
    assert est.wall_s == pytest.approx(24 / 2 * 1.5)
    assert est.iteration_s_median == pytest.approx(1.5)
    record = est.record()
    assert record["estimate_compute_s"] == pytest.approx(24) and json.loads(record["estimate_runs"]) == ["r1"]


def test_history_is_the_sweep_else_the_same_trainable_with_a_shared_dimension(tmp_path):
    _write(tmp_path, "cousin", "c1", trainable=trainable_name(_sweep()), dims=("x", "y"),
           times=[(1.0, 1.0)], offset=1)
    _write(tmp_path, "stranger", "s1", trainable="elsewhere.train", times=[(50.0, 50.0)], offset=2)
    _write(tmp_path, "disjoint", "d1", trainable=trainable_name(_sweep()), dims=("z",),
           times=[(70.0,)], offset=3)
    est = estimate_cost(_sweep(), str(tmp_path), trials_at_once=1)
    assert est is not None and est.runs == ("c1",) and est.sweeps == ("cousin",)
    _write(tmp_path, "est", "r1", times=[(3.0, 3.0)], offset=4)
    assert estimate_cost(_sweep(), str(tmp_path)).runs == ("r1",)  # the sweep's own runs first
    assert estimate_cost(_sweep(), str(tmp_path), runs=["s1"]).runs == ("s1",)
    assert estimate_cost(_sweep(name="nobody", trainable=other_train), str(tmp_path)) is None


def test_asha_estimate_is_calibrated_by_earlier_runs_under_the_same_asha(tmp_path):
    asha = schedulers.asha(max_t=3, grace_period=1, reduction_factor=3)
    # 4 trials, every one ran 3 iterations: more than the rung model expects for 4 trials
    _write(tmp_path, "est", "r1", times=[(1.0, 1.0, 1.0)] * 4, scheduler="asha",
           scheduler_params=json.dumps(asha.params()))
    est = estimate_cost(_sweep(scheduler=asha, n=4), str(tmp_path))
    model = asha_expected_iterations(4, 3, 1, 3)
    assert model < 3 and est.iterations_per_trial == pytest.approx(3.0)
    assert "x %.2f" % (3 / model) in est.iterations_rule
    n40 = estimate_cost(_sweep(scheduler=asha, n=40), str(tmp_path)).iterations_per_trial
    assert n40 == pytest.approx(asha_expected_iterations(40, 3, 1, 3) * 3 / model)


def test_estimate_vs_actual_line():
    assert estimate_vs_actual(100.0, 50.0, 110.0, 40.0) == \
        "compute 100 s planned, 110 s actual (+10%); wall 50 s planned, 40 s actual (-20%)"
    assert estimate_vs_actual(None, None, 3.0, 1.0) is None


def test_plan_without_history_says_so(tmp_path, repo):
    result = CliRunner().invoke(cli, ["plan", str(repo / "sweeps" / "quickstart.py"), "--results",
                                      str(tmp_path / "nothing"), "--num-cpus", "2"])
    assert result.exit_code == 0, result.output
    assert "history" in result.output and "none: no results store" in result.output


def test_hyperband_estimate_comes_from_its_brackets(tmp_path):
    band = schedulers.hyperband(max_t=4, reduction_factor=2)
    # history: FIFO trials of 6 iterations (1 s each, 2 s the first), longer than max_t
    _write(tmp_path, "est", "r1", times=[(2.0, 1.0, 1.0, 1.0, 1.0, 1.0)] * 2)
    est = estimate_cost(_sweep(scheduler=band, n=6), str(tmp_path))
    # brackets: 3 trials to 4; 3 to 2 of which 2 go on to 4  ->  (3*4 + 2*4 + 2) / 6
    assert est.iterations_per_trial == pytest.approx(band.expected_iterations(6)) \
        == pytest.approx(22 / 6)
    assert est.compute_s == pytest.approx(6 * (2.0 + (22 / 6 - 1) * 1.0))
    assert "HyperBand brackets (max_t=4, reduction_factor=2)" in est.iterations_rule
    assert f"up to {band.expected_iterations(6, resumed=False):.2f} when they report none" \
        in est.iterations_rule
    # a trainable ending by itself at 3 caps every milestone
    _write(tmp_path, "est", "r2", times=[(2.0, 1.0, 1.0)] * 2, offset=1)
    capped = estimate_cost(_sweep(scheduler=band, n=6), str(tmp_path), runs=["r2"])
    assert capped.iterations_per_trial == pytest.approx(band.expected_iterations(6, cap=3))


def test_an_asha_run_stored_before_later_parameters_still_calibrates(tmp_path):
    asha = schedulers.asha(max_t=3, grace_period=1, reduction_factor=3)
    older = {k: v for k, v in asha.params().items() if k not in ("metric", "stop_on_violation")}
    _write(tmp_path, "est", "r1", times=[(1.0, 1.0, 1.0)] * 4, scheduler="asha",
           scheduler_params=json.dumps(older))
    assert estimate_cost(_sweep(scheduler=asha, n=4), str(tmp_path)).iterations_per_trial == \
        pytest.approx(3.0)
