"""Pareto front (`compare --pareto`) and ASHA rung cutoffs in the report, on a hand-built store."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from raysweep import ConfigError, compare
from raysweep.cli._main import raysweep
from raysweep.results import RunWriter, config_columns, stable_trial_id, to_json

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NAN = float("nan")
# name -> (sweep, val_ndcg (max), epoch_seconds (min) or None when never reported)
POINTS = {
    "A": ("s1", 0.50, 3.0),   # front: the best ndcg
    "B": ("s1", 0.45, 2.0),   # front
    "C": ("s2", 0.45, 2.0),   # front: equal to B (neither dominates the other)
    "D": ("s1", 0.40, 2.5),   # dominated by B
    "E": ("s2", 0.30, 0.5),   # front: the fastest
    "F": ("s2", 0.30, 0.8),   # dominated by E
    "G": ("s1", NAN, 0.1),    # NaN: never on the front, although the fastest
    "H": ("s2", 0.60, None),  # no epoch_seconds: never a candidate, although the best ndcg
    "I": ("s2", 0.20, 0.5),   # dominated by E (equal seconds, worse ndcg)
}
FRONT = {"A", "B", "C", "E"}


def _write(root: str) -> dict[str, str]:
    ids = {}
    for sweep in ("s1", "s2"):
        writer = RunWriter(root, sweep=sweep, run_id=f"{sweep}-run")
        run = {"status": "finished", "metric": "val_ndcg", "mode": "max", "searcher": "random",
               "scheduler": "asha", "started_at": T0, "ended_at": T0 + timedelta(minutes=5)}
        writer.write_run(run)
        for k, (name, (owner, ndcg, seconds)) in enumerate(POINTS.items()):
            if owner != sweep:
                continue
            config = {"name": name}
            tid = ids[name] = stable_trial_id(sweep, config, k)
            for i in (1, 2, 3):
                value = ndcg * i / 3  # rises to ndcg at iteration 3
                writer.add_iteration({"trial_id": tid, "attempt": 1, "training_iteration": i,
                                      "timestamp": T0 + timedelta(seconds=10 * k + i),
                                      "val_ndcg": value})
            last = {"last.val_ndcg": ndcg}
            if seconds is not None:
                last["last.epoch_seconds"] = seconds
            writer.add_trial({"trial_id": tid, "trial_index": k, "status": "completed",
                              "config_json": to_json(config), **config_columns(config),
                              "metric": "val_ndcg", "metric_best": ndcg, "metric_last": ndcg,
                              "iterations": 3, "trial_seconds": 3.0, **last,
                              "started_at": T0, "ended_at": T0 + timedelta(seconds=3)})
        if sweep == "s1":  # ASHA rungs of s1: two decisions at milestone 1 (A first, then D)
            for size, (name, decision, cutoff) in enumerate([("A", "promoted", None),
                                                             ("D", "stopped", 0.16)]):
                writer.add_rung({"trial_id": ids[name], "bracket": 0, "milestone": 1.0,
                                 "time_attr": "training_iteration", "time_value": 1.0,
                                 "metric": "val_ndcg", "value": POINTS[name][1] / 3,
                                 "cutoff": cutoff, "rung_size": size, "decision": decision,
                                 "timestamp": T0 + timedelta(seconds=size)})
        writer.write_run(run)
        writer.close()
    return ids


@pytest.fixture
def store(tmp_path):
    root = str(tmp_path)
    return root, _write(root)


def test_pareto_front_known_answer_with_ties_and_nan(store):
    root, ids = store
    comp = compare.load(["s1", "s2"], root)
    front = compare.pareto_front(comp, "val_ndcg:max,epoch_seconds:min")
    names = {v: k for k, v in ids.items()}
    on = {names[t] for t in front.loc[front["on_front"], "trial_id"]}
    assert on == FRONT
    assert {names[t] for t in front["trial_id"]} == set(POINTS) - {"G", "H"}  # no candidate
    # Front first, best val_ndcg first; values as stored.
    assert names[front["trial_id"].iloc[0]] == "A"
    row = front[front["trial_id"] == ids["E"]].iloc[0]
    assert row["val_ndcg"] == pytest.approx(0.30) and row["epoch_seconds"] == 0.5
    assert row["config"] == {"name": "E"} and row["label"] in comp.labels
    # The same front with the metrics swapped, and with a stored column as a metric.
    swapped = compare.pareto_front(comp, [("epoch_seconds", "min"), ("val_ndcg", "max")])
    assert set(swapped.loc[swapped["on_front"], "trial_id"]) == {ids[n] for n in FRONT}
    assert all(math.isfinite(v) for v in swapped["epoch_seconds"])


@pytest.mark.parametrize("spec", ["val_ndcg:max", "val_ndcg:best,epoch_seconds:min",
                                  "val_ndcg,epoch_seconds:min", "val_ndcg:max,val_ndcg:min"])
def test_bad_pareto_specs_are_rejected(spec):
    with pytest.raises(ConfigError, match="The 'pareto' parameter of compare must be"):
        compare.parse_pareto(spec)


def test_compare_cli_prints_the_front_and_rejects_bad_input(store):
    root, ids = store
    out = CliRunner().invoke(raysweep, ["compare", "s1", "s2", "--results", root,
                                        "--pareto", "val_ndcg:max,epoch_seconds:min"],
                             terminal_width=250)
    assert out.exit_code == 0, out.output
    assert "Pareto front (val_ndcg:max,epoch_seconds:min): 4 of 7 trials" in out.output
    for name in POINTS:
        assert (ids[name] in out.output) == (name in FRONT), name
    bad = CliRunner().invoke(raysweep, ["compare", "s1", "--results", root,
                                        "--pareto", "val_ndcg:max,epoch_secs:min"])
    assert bad.exit_code == 2 and "epoch_seconds" in bad.output


def test_report_draws_the_front_and_the_rung_cutoffs(store, tmp_path):
    root, ids = store
    comp = compare.load(["s1", "s2"], root)
    cutoffs = compare.rung_cutoffs(comp)
    assert len(cutoffs) == 1
    row = cutoffs.iloc[0]
    assert (row["run"], row["milestone"], row["cutoff"]) == ("s1-run", 1.0, 0.16)
    assert (row["n_promoted"], row["n_stopped"]) == (1, 1)
    figures = compare.report_figures(comp, n_boot=50, pareto="val_ndcg:max,epoch_seconds:min")
    cut = [t for t in figures["learning"].data if t.name and t.name.endswith("ASHA cutoff")]
    assert len(cut) == 1 and list(cut[0].y) == [0.16] and list(cut[0].x) == [1.0]
    front = next(t for t in figures["pareto"].data if t.name == "Pareto front")
    assert sorted(front.x) == pytest.approx([0.30, 0.45, 0.45, 0.50])  # x: val_ndcg
    out = CliRunner().invoke(raysweep, ["report", "s1", "s2", "--results", root, "-o",
                                        str(tmp_path / "r.html"), "--pareto",
                                        "val_ndcg:max,epoch_seconds:min"])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text()
    assert "Pareto front: val_ndcg (max), epoch_seconds (min)" in page
    assert "4 of 7 trials are on the front" in page
    assert all(ids[n] in page for n in FRONT)
