"""A PBT member's schedule from the trials and perturbations datasets (no Ray): the recursion through
the exploits a member descends from, as of when it copied; ``raysweep best`` and ``show --lineage``
on a hand-built PBT store with known answers. The real-Ray check is tests/execution/test_pbt_replay.py.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from raysweep import StorageError, results
from tests._cli import invoke

from ._store import T0, run_record


def _exploit(trial, source, at, copied, lr, seconds, op="* 1.2"):
    return {"trial_id": trial, "source_trial_id": source, "time_attr": "training_iteration",
            "time_value": float(at), "training_iteration": at, "source_training_iteration": copied,
            "metric": "loss", "value": 9.0, "source_value": 1.0,
            "config_before_json": json.dumps({"lr": 0.0}), "source_config_json": json.dumps(
                {"lr": lr / 1.2}), "config_json": json.dumps({"lr": lr}), "resampled": "[]",
            "perturbed": '["lr"]', "operations_json": json.dumps({"lr": op}),
            "timestamp": T0 + timedelta(seconds=seconds)}


#: a, b, c start with lr 1, 2, 3 and train 10 iterations. At t=10 s b copies a's checkpoint of 4
#: (lr 1.2 from 5 on); at t=20 s c copies b's of 6 (so c descends from a up to 4, b from 5 to 6:
#: lr 3.6 from 7 on); at t=30 s b copies c's of 8, after c copied it: c's history is not affected.
#: At t=40 s a copies c's checkpoint of 10, its last iteration: nothing trained under lr 9.
EXPLOITS = [_exploit("b", "a", 4, 4, 1.2, 10), _exploit("c", "b", 6, 6, 3.6, 20),
            _exploit("b", "c", 8, 8, 4.32, 30), _exploit("a", "c", 10, 10, 9.0, 40)]


def _trials():
    return pd.DataFrame({"trial_id": ["a", "b", "c"], "iterations": [10, 10, 10],
                         "config_json": [json.dumps({"lr": v}) for v in (1.0, 2.0, 3.0)]})


def _entries(schedule):
    return [(s["from_iteration"], s["config"]["lr"], s["trial_id"]) for s in schedule]


def test_a_schedule_follows_the_exploits_it_descends_from_as_of_each_copy():
    trials, perts = _trials(), pd.DataFrame(EXPLOITS)
    assert _entries(results.trial_schedule(trials, perts, "c")) == \
        [(1, 1.0, "a"), (5, 1.2, "b"), (7, 3.6, "c")]
    # b's exploit of c at 8 (t=30 s) happened after c's copy (t=20 s) and after c's own exploit
    assert _entries(results.trial_schedule(trials, perts, "b")) == \
        [(1, 1.0, "a"), (5, 1.2, "b"), (7, 3.6, "c"), (9, 4.32, "b")]
    # a copied at its last iteration: its weights are c's, the new lr never trained
    assert _entries(results.trial_schedule(trials, perts, "a")) == \
        [(1, 1.0, "a"), (5, 1.2, "b"), (7, 3.6, "c")]
    # without exploits, a member's schedule is its initial config
    assert _entries(results.trial_schedule(trials, perts.head(0), "c")) == [(1, 3.0, "c")]
    with pytest.raises(StorageError, match="'zz' is not a trial"):
        results.trial_schedule(trials, perts, "zz")


def test_a_copy_of_a_member_that_had_just_copied_descends_from_that_members_source():
    # b copies a's checkpoint of 4 at t=10 s; before b trained, c copies b's checkpoint (still a's)
    trials = _trials()
    perts = pd.DataFrame([_exploit("b", "a", 4, 4, 1.2, 10), _exploit("c", "b", 4, 4, 3.6, 11)])
    assert _entries(results.trial_schedule(trials, perts, "c")) == [(1, 1.0, "a"), (5, 3.6, "c")]


def _store(root, scheduler="pbt"):
    writer = results.RunWriter(root, sweep="mf", run_id="r1", flush_interval_s=60)
    writer.write_run({**run_record("mf", "r1", status="finished", mode="min"),
                      "metric": "loss", "scheduler": scheduler})
    for k, (trial, lr) in enumerate((("a", 1.0), ("b", 2.0), ("c", 3.0))):
        config = {"lr": lr}
        writer.add_trial({"trial_id": trial, "trial_index": k, "status": "completed",
                          "config_json": json.dumps(config), **results.config_columns(config),
                          "metric": "loss", "metric_best": [0.5, 0.4, 0.1][k], "iterations": 10})
        for i in range(1, 11):
            writer.add_iteration({"trial_id": trial, "attempt": 1, "training_iteration": i,
                                  "timestamp": T0 + timedelta(seconds=i), "loss": 10.0 * k + i})
    if scheduler == "pbt":
        for row in EXPLOITS:
            writer.add_perturbation(row)
    writer.close()


def test_best_prints_the_best_members_schedule_on_a_pbt_run(tmp_path, monkeypatch):
    root = str(tmp_path)
    _store(root)
    out = invoke(monkeypatch, "best", "mf", "--results", root, no_ray=True)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert (record["trial_id"], record["run"], record["value"]) == ("c", "r1", 0.1)
    assert _entries(record["schedule"]) == [(1, 1.0, "a"), (5, 1.2, "b"), (7, 3.6, "c")]
    assert record == results.best_schedule("mf", root=root)
    # the stored values along it: each iteration from the member that trained it
    curve = results.effective_curve(root, "r1")
    assert curve["value"].tolist() == [1, 2, 3, 4, 15, 16, 27, 28, 29, 30]
    assert curve["trial_id"].tolist() == ["a"] * 4 + ["b"] * 2 + ["c"] * 4


def test_best_of_a_run_that_is_not_pbt_prints_its_config_as_before(tmp_path, monkeypatch):
    root = str(tmp_path)
    _store(root, scheduler="fifo")
    out = invoke(monkeypatch, "best", "mf", "--results", root, no_ray=True)
    assert out.returncode == 0 and json.loads(out.stdout) == {"lr": 3.0}
    assert results.best_schedule("mf", root=root) is None


def test_show_lineage_prints_every_exploit(tmp_path, monkeypatch):
    root = str(tmp_path)
    _store(root)
    frame, run = results.lineage(root, "r1")
    assert run["run"] == "r1"
    assert frame["changes"].tolist()[:2] == ["lr: 1 -> 1.2 (* 1.2)", "lr: 3 -> 3.6 (* 1.2)"]  # source -> new
    out = invoke(monkeypatch, "show", "r1", "--lineage", "--results", root, no_ray=True)
    assert out.returncode == 0, out.stderr
    assert "4 PBT exploit(s)" in out.stdout
    rows = [line for line in out.stdout.splitlines() if "lr:" in line]
    assert len(rows) == 4 and all(" -> " in line for line in rows)
    cells = [c.strip() for c in rows[1].split("\u2502") if c.strip()]
    assert cells[:4] == ["6", "c", "6", "b"]  # at, copier, copied iteration, source
    _store(str(tmp_path / "plain"), scheduler="fifo")
    plain = invoke(monkeypatch, "show", "r1", "--lineage", "--results", str(tmp_path / "plain"),
                   no_ray=True)
    assert "no PBT exploit recorded (scheduler: fifo)" in plain.stdout
    # the top-trials view of a PBT run says its configs are the starting ones, and where to look
    top = invoke(monkeypatch, "show", "r1", "--results", root, no_ray=True)
    assert "the configs are those the members started with" in " ".join(top.stdout.split())
    assert "the configs are those" not in invoke(
        monkeypatch, "show", "r1", "--results", str(tmp_path / "plain"), no_ray=True).stdout
