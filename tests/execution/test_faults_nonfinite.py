"""A NaN or inf sweep metric errors its trial at once (issue 9 item 5), checked against the trainable's
own log: never the best, never a number to TPE, never kept running by ASHA, never retried."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep

from ._fault_trainables import diverges

pytestmark = pytest.mark.slow


def _sweep(name, log, searcher, **kw) -> Sweep:
    return Sweep(name=name, trainable=diverges, space={"x": space.uniform(0.0, 1.0), "log": str(log)},
                 metric="loss", mode="min", searcher=searcher, num_samples=8, resources={"cpu": 1},
                 **kw)


def _ground_truth(log: Path) -> dict[float, list[dict]]:
    reports: dict[float, list[dict]] = {}
    for line in log.read_text().splitlines():
        row = json.loads(line)
        reports.setdefault(row["x"], []).append(row)
    return reports


def _check_against_log(root, name, log):
    truth = _ground_truth(log)
    trials = results.load_trials(str(root), sweeps=name)
    bad = {x: rows for x, rows in truth.items()
           if any(not math.isfinite(float(r["value"].strip("'"))) for r in rows)}
    assert bad, "the seed must give some diverging configs"
    for _, trial in trials.iterrows():
        x = json.loads(trial["config_json"])["x"]
        rows = truth[x]
        first_bad = next((r for r in rows if not math.isfinite(float(r["value"]))), None)
        if first_bad is None:
            assert trial["status"] != "errored"
            continue
        # Stopped at once: the trainable never reported past the non-finite iteration, ran once.
        assert rows[-1] is first_bad and len({r["pid"] for r in rows}) == 1
        assert [r["iteration"] for r in rows] == list(range(1, first_bad["iteration"] + 1))
        assert trial["status"] == "errored"
        expected = f"loss was {first_bad['value']} at iteration {first_bad['iteration']}"
        assert trial["error_message"] == expected
        assert trial["attempts"] == 1
    return trials


def test_random_asha_sweep_errors_non_finite_trials(ray_session, tmp_path):
    log = tmp_path / "reports.jsonl"
    sweep = _sweep("nan_random", log, searchers.random(seed=3), max_failures=2,
                   scheduler=schedulers.asha(max_t=4, grace_period=1, reduction_factor=2))
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    trials = _check_against_log(tmp_path, sweep.name, log)
    # A trial's best is over what it reported before diverging: finite, never the NaN or -inf.
    assert trials["metric_best"].dropna().map(math.isfinite).all()
    assert summary.best_value is not None and math.isfinite(summary.best_value)
    assert summary.best_value == pytest.approx(trials["metric_best"].min())
    assert any(g["error_type"] == "NonFiniteMetricError" for g in summary.error_groups)


def test_tpe_never_learns_a_non_finite_loss(ray_session, tmp_path):
    import hyperopt
    from ray.tune.search.hyperopt import HyperOptSearch

    log = tmp_path / "reports.jsonl"
    sweep = _sweep("nan_tpe", log, searchers.tpe(seed=5, n_initial_points=4), scheduler="fifo")
    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    trials = _check_against_log(tmp_path, sweep.name, log)
    assert (trials["status"] == "errored").any()
    assert summary.best_value is not None and math.isfinite(summary.best_value)
    # The searcher state Tune saved at the end of the run: what hyperopt learned from each trial.
    searcher = HyperOptSearch()
    searcher.restore_from_dir(summary.ray_dir)
    docs = searcher._hpopt_trials._dynamic_trials  # .trials hides the errored ones
    assert len(docs) == 8
    losses = [d["result"].get("loss") for d in docs if "loss" in d["result"]]
    assert losses and all(math.isfinite(v) for v in losses)
    errored = [d for d in docs if d["state"] == hyperopt.JOB_STATE_ERROR]
    assert len(errored) == (trials["status"] == "errored").sum()
    assert all("loss" not in d["result"] for d in errored)
