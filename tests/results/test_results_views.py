"""One objective: rankings follow the run's Objective; no silent 'max' for a run without one."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from raysweep import StorageError
from raysweep import results as R

from ._store import run_record, write_run


def _trials(values):
    return pd.DataFrame({"trial_id": [f"t{i}" for i in range(len(values))],
                         "trial_index": range(len(values)), "metric_best": values})


def test_best_trial_never_ranks_non_finite_values():
    trials = _trials([float("nan"), 3.0, float("inf"), 1.0, None, float("-inf")])
    assert list(R.best_trial(trials, R.Objective("loss", "min"), k=5)["metric_best"]) == [1.0, 3.0]
    assert list(R.best_trial(trials, R.Objective("acc", "max"), k=5)["metric_best"]) == [3.0, 1.0]
    with pytest.raises(StorageError, match="Objective"):
        R.best_trial(trials, "max")  # type: ignore[arg-type]


def test_a_run_without_a_valid_mode_has_no_best_and_cannot_be_ranked(tmp_path):
    root = str(tmp_path)
    write_run(root, "s", "good")
    writer = R.RunWriter(root, sweep="s", run_id="bad", flush_interval_s=60)
    writer.write_run({**run_record("s", "bad", offset=1), "mode": "maximise", "status": "finished"})
    writer.add_trial({"trial_id": "x", "trial_index": 0, "status": "completed", "metric_best": 5.0,
                      "config_json": "{}"})
    writer.close()
    overview = R.runs_overview(root).set_index("run")
    assert overview.loc["good", "best_value"] == 12.0
    assert math.isnan(overview.loc["bad", "best_value"])  # shown without a best, not as 'max'
    assert overview.loc["bad", "n_completed"] == 1
    with pytest.raises(StorageError, match=r"no valid objective.*'maximise'"):
        R.top_trials(root, "bad")
    with pytest.raises(StorageError, match="no valid objective"):
        R.best_config("s", root=root)
    assert R.best_config("s", root=root, run="good")[0] == {"lr": 0.001, "opt": {"dim": 48}}


def test_best_config_refuses_runs_with_different_objectives(tmp_path):
    root = str(tmp_path)
    write_run(root, "s", "r1", mode="max")
    write_run(root, "s", "r2", mode="min", offset=1)
    with pytest.raises(StorageError, match=r"different objectives.*--run"):
        R.best_config("s", root=root)
    assert R.best_config("s", root=root, run="r2")[0] == {"lr": 0.1, "opt": {"dim": 16}}
