"""`best --where` and `--metric/--mode`: selection under constraints on a hand-built store (no Ray)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from raysweep import ConfigError, results
from raysweep.cli._main import raysweep
from raysweep.results import RunWriter, config_columns, stable_trial_id, to_json

from ._store import run_record

# (dim, opt, val_ndcg, epoch_seconds): the unconstrained best is dim=64 (0.50, but 3.0 s/epoch).
TRIALS = [
    (16, "adam", 0.30, 0.5),
    (32, "adam", 0.42, 1.5),
    (32, "sgd", 0.45, 2.5),
    (64, "adam", 0.50, 3.0),
    (8, "sgd", float("nan"), 0.1),  # diverged: never selected
    (16, "sgd", 0.40, None),  # never reported epoch_seconds: fails every constraint on it
]


@pytest.fixture
def store(tmp_path):
    root = str(tmp_path)
    writer = RunWriter(root, sweep="mf", run_id="r1")
    writer.write_run({**run_record("mf", "r1"), "metric": "val_ndcg", "mode": "max"})
    for k, (dim, opt, ndcg, seconds) in enumerate(TRIALS):
        config = {"dim": dim, "opt": opt}
        last = {"last.val_ndcg": ndcg}
        if seconds is not None:
            last["last.epoch_seconds"] = seconds
        writer.add_trial({"trial_id": stable_trial_id("mf", config, k), "trial_index": k,
                          "status": "completed", "config_json": to_json(config),
                          **config_columns(config), "metric": "val_ndcg", "metric_best": ndcg,
                          "metric_last": ndcg, "iterations": 3 + k, "trial_seconds": 10.0 * k,
                          **last})
    writer.write_run({**run_record("mf", "r1"), "metric": "val_ndcg", "mode": "max",
                      "status": "finished"})
    writer.close()
    return root


def _best(root, *args):
    out = CliRunner().invoke(raysweep, ["best", "mf", "--results", root, *args])
    return out.exit_code, out.output


def test_where_selects_the_best_trial_under_the_constraint(store):
    assert results.best_config("mf", root=store)[0] == {"dim": 64, "opt": "adam"}
    config, row = results.best_config("mf", root=store,
                                      where="last.epoch_seconds < 2 and config.dim <= 32")
    assert config == {"dim": 32, "opt": "adam"} and row["metric_best"] == 0.42
    code, output = _best(store, "--where", "last.epoch_seconds < 2.6 and config.opt == 'sgd'")
    assert code == 0 and json.loads(output) == {"dim": 32, "opt": "sgd"}
    # Namespaces: best.<sweep metric>, trial columns, `in`, not, arithmetic, backticks.
    assert json.loads(_best(store, "--where", "best.val_ndcg < 0.45 and iterations >= 4")[1]) == \
        {"dim": 32, "opt": "adam"}
    assert json.loads(_best(store, "--where", "config.dim in [16, 8]")[1]) == \
        {"dim": 16, "opt": "sgd"}
    assert json.loads(_best(store, "--where", "not config.dim >= 32")[1]) == \
        {"dim": 16, "opt": "sgd"}
    assert json.loads(_best(store, "--where", "`last.epoch_seconds` * 2 < 1.5")[1]) == \
        {"dim": 16, "opt": "adam"}


def test_a_missing_value_never_satisfies_a_constraint(store):
    trials = results.load_trials(store, sweeps="mf")
    kept = results.filter_trials(trials, "last.epoch_seconds > 0 or last.epoch_seconds <= 0")
    assert sorted(kept["config.dim"]) == [8, 16, 32, 32, 64]  # the trial without it is out
    assert len(results.filter_trials(trials, "last.epoch_seconds != 1.5")) == 4


def test_metric_and_mode_rank_by_another_column(store):
    code, output = _best(store, "--metric", "epoch_seconds", "--mode", "min")
    assert code == 0 and json.loads(output) == {"dim": 8, "opt": "sgd"}
    code, output = _best(store, "--metric", "val_ndcg", "--mode", "min",
                         "--where", "config.opt == 'adam'")
    assert json.loads(output) == {"dim": 16, "opt": "adam"}
    config, _ = results.best_config("mf", root=store, metric="trial_seconds", mode="max")
    assert config == {"dim": 16, "opt": "sgd"}


@pytest.mark.parametrize(("where", "message"), [
    ("config.dm <= 32", "Did you mean 'config.dim'"),
    ("last.epoch_secs < 2", "Did you mean 'last.epoch_seconds'"),
    ("config.dim <", "not a valid expression"),
    ("config.dim", "must be a condition"),
    ("__import__('os').system('true')", "is not allowed"),
    ("config.dim.__class__ == 1", "not a stored column"),
    ("[c for c in config.dim]", "is not allowed"),
])
def test_bad_expressions_are_exit_2_with_a_clear_message(store, where, message):
    code, output = _best(store, "--where", where)
    assert code == 2, output
    assert "The 'where' parameter of best must be" in output and message in " ".join(output.split())
    with pytest.raises(ConfigError):
        results.filter_trials(pd.DataFrame({"config.dim": [1]}), where)


def test_a_metric_without_a_mode_or_unknown_is_exit_2(store):
    code, output = _best(store, "--metric", "epoch_seconds")
    assert code == 2 and "--mode" in output
    code, output = _best(store, "--metric", "epoch_secs", "--mode", "min")
    assert code == 2 and "epoch_seconds" in output


def test_no_trial_satisfies_the_constraint(store):
    code, output = _best(store, "--where", "config.dim > 100")
    assert code == 1 and "among the trials where config.dim > 100" in " ".join(output.split())
