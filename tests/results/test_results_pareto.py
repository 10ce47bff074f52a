"""A multi-objective run in the store: its objectives, the Pareto set `best` prints and `show` marks,
feasible trials only under constraints; one-objective runs keep their output. No Ray: the store is
written by RunWriter alone, with hand-computed expectations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from raysweep.cli._main import raysweep
from raysweep.results import (
    Objective,
    RunWriter,
    config_columns,
    non_dominated,
    parse_condition,
    pareto_set,
    run_objectives,
    stable_trial_id,
    to_json,
)

from ._store import run_record, write_run

# (val_ndcg max, model_mb min, feasible): Pareto set by hand: t0 (best ndcg), t2, t3 (smallest);
# t1 is dominated by t0 (less ndcg, more mb), t4 by t2; t5 would dominate all but is infeasible.
TRIALS = [(0.40, 100.0, True), (0.35, 120.0, True), (0.30, 50.0, True), (0.20, 10.0, True),
          (0.25, 60.0, True), (0.50, 5.0, False)]


def _write(root, sweep="mo", run="r1", objectives=(("val_ndcg", "max"), ("model_mb", "min")),
           feasible=True):
    writer = RunWriter(root, sweep=sweep, run_id=run, flush_interval_s=60)
    record = {**run_record(sweep, run, mode=objectives[0][1], status="finished"),
              "metric": objectives[0][0], "objectives_json": json.dumps([list(o) for o in objectives])}
    writer.write_run(record)
    ids = []
    for k, (ndcg, mb, ok) in enumerate(TRIALS):
        config = {"dim": 8 * (k + 1)}
        tid = stable_trial_id(sweep, config, k)
        ids.append(tid)
        writer.add_trial({"trial_id": tid, "trial_index": k, "config_json": to_json(config),
                          **config_columns(config), "metric": objectives[0][0], "status": "completed",
                          "metric_last": ndcg, "metric_best": ndcg, "iterations": 1, "attempts": 1,
                          "last.val_ndcg": ndcg, "last.model_mb": mb,
                          "feasible": ok if feasible else None})
    writer.close()
    return ids


def _best(root, *args):
    return CliRunner().invoke(raysweep, ["best", "mo", "--results", str(root), *args])


def test_best_prints_the_feasible_pareto_set_as_json(tmp_path):
    ids = _write(str(tmp_path))
    out = _best(tmp_path)
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [  # by the first objective, best first
        {"trial_id": ids[0], "config": {"dim": 8}, "values": {"val_ndcg": 0.40, "model_mb": 100.0}},
        {"trial_id": ids[2], "config": {"dim": 24}, "values": {"val_ndcg": 0.30, "model_mb": 50.0}},
        {"trial_id": ids[3], "config": {"dim": 32}, "values": {"val_ndcg": 0.20, "model_mb": 10.0}},
    ]
    # --where first, then the set; --metric/--mode pick one best as for one objective
    where = json.loads(_best(tmp_path, "--where", "last.model_mb <= 60").output)
    assert [m["trial_id"] for m in where] == [ids[2], ids[3]]
    one = json.loads(_best(tmp_path, "--metric", "model_mb", "--mode", "min").output)
    assert one == {"dim": 48}  # the smallest, infeasible one: --metric ranks every trial, as before
    refused = _best(tmp_path, "--checkpoint")
    assert refused.exit_code == 2 and "--checkpoint needs --metric M --mode" in refused.output


def test_without_constraints_every_trial_is_a_candidate(tmp_path):
    ids = _write(str(tmp_path), feasible=False)
    assert [m["trial_id"] for m in json.loads(_best(tmp_path).output)] == [ids[5]]  # dominates all


def test_show_marks_the_pareto_members_first(tmp_path):
    ids = _write(str(tmp_path))
    out = CliRunner().invoke(raysweep, ["show", "mo", "--results", str(tmp_path)])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if any(i in line for i in ids)]
    assert [next(i for i in ids if i in line) for line in lines] == \
        [ids[0], ids[2], ids[3], ids[5], ids[1], ids[4]]
    assert [("*" in line.split()) for line in lines] == [True, True, True, False, False, False]
    assert "Pareto set first" in out.output and "max val_ndcg, min model_mb" in out.output


def test_one_objective_best_and_show_are_unchanged(tmp_path):
    write_run(str(tmp_path), "single", "r1")
    out = CliRunner().invoke(raysweep, ["best", "single", "--results", str(tmp_path)])
    assert out.exit_code == 0 and json.loads(out.output) == {"lr": 0.001, "opt": {"dim": 48}}
    shown = CliRunner().invoke(raysweep, ["show", "single", "--results", str(tmp_path)])
    assert "top 10 by max score" in shown.output and "pareto" not in shown.output


def test_run_objectives_reads_the_column_or_the_older_metric_and_mode():
    assert run_objectives({"objectives_json": '[["a", "max"], ["b", "min"]]', "metric": "a",
                           "mode": "max"}) == (Objective("a", "max"), Objective("b", "min"))
    assert run_objectives({"metric": "loss", "mode": "min"}) == (Objective("loss", "min"),)
    assert run_objectives({"objectives_json": None, "metric": "loss", "mode": "min"}) == \
        (Objective("loss", "min"),)
    assert run_objectives({"metric": "loss", "mode": "sideways"}) == ()


def test_pareto_set_ignores_non_finite_values_and_keeps_ties():
    frame = pd.DataFrame({"trial_id": ["a", "b", "c", "d"], "trial_index": [0, 1, 2, 3],
                          "config_json": ["{}"] * 4, "last.x": [1.0, 1.0, np.nan, 0.5],
                          "last.y": [1.0, 1.0, 0.0, np.inf]})
    members = pareto_set(frame, [Objective("x", "min"), Objective("y", "min")])
    assert [m["trial_id"] for m in members] == ["a", "b"]  # equal points are both on the front
    points = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    assert non_dominated(points).tolist() == [True, True, False, True]


@pytest.mark.parametrize(("text", "latency", "expected"), [
    ("latency_ms <= 5", [3.0, 5.0, 8.0, None], [-2.0, 0.0, 3.0, 1.0]),
    ("latency_ms > 5", [3.0, 8.0], [2.0, -3.0]),
    ("latency_ms < 5 and latency_ms > 1", [3.0, 8.0], [0.0, 1.0]),  # not one inequality: 0 / 1
])
def test_a_condition_gives_optunas_constraint_values(text, latency, expected):
    condition = parse_condition(text)
    frame = pd.DataFrame({"latency_ms": latency})
    violation = condition.violation(frame).tolist()
    assert [v if v > 1e-9 or v <= 0 else 0.0 for v in violation] == pytest.approx(expected)
    assert condition.mask(frame).tolist() == [v <= 0 for v in violation]
    assert condition.names() == ["latency_ms"]
