"""MOASHA called directly, as Tune's driver loop calls it, in simulated time (no Ray cluster).

Each trial's objective values are a known function of (trial, iteration): the decisions are
checked against a replay of the rungs computed from those values with the pure ranking, and a
hand-ranked rung is checked end to end. The rows reach the store through the writer.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ray.tune.schedulers import TrialScheduler

from raysweep import ConfigError, results, schedulers
from raysweep.execution.tune._asha import recording_scheduler
from raysweep.execution.tune._guard import NonFiniteGuard
from raysweep.execution.tune._mo_rank import promotes, rank_rung
from raysweep.execution.tune._moasha import MOASHA, MonotoneConstraint, make_mo_asha, milestones

OBJECTIVES = (("err", "min"), ("acc", "max"))


@dataclass
class FakeTrial:
    trial_id: str


N = 24
_RNG = random.Random(11)
SKILL = [(_RNG.random(), _RNG.random()) for _ in range(N)]


def truth(i: int, it: int, skill: list | None = None) -> dict:
    """Trial i's result at iteration ``it``: both objectives improve with the iteration."""
    a, b = (skill or SKILL)[i]
    return {"training_iteration": it, "err": round(a + 1.0 / it, 9), "acc": round(b - 1.0 / it, 9)}


def _drive(scheduler, *, n: int = N, max_t: int = 9, ends_at: dict | None = None,
           skill: list | None = None):
    trials = [FakeTrial(f"t{i:02d}") for i in range(n)]
    for trial in trials:
        scheduler.on_trial_add(None, trial)
    live, actions = list(range(n)), {}
    for it in range(1, max_t + 1):
        still = []
        for i in live:
            result = truth(i, it, skill)
            action = scheduler.on_trial_result(None, trials[i], result)
            actions[(trials[i].trial_id, it)] = action
            if action == TrialScheduler.STOP or (ends_at or {}).get(trials[i].trial_id) == it:
                scheduler.on_trial_complete(None, trials[i], {**result, "done": True})
            else:
                still.append(i)
        live = still
    return actions


def _replay(rows: list[dict], rf: float) -> None:
    """Each compared row's decision is the pure ranking of its rung's earlier values and its own."""
    rungs: dict[float, list[list[float]]] = {}
    modes = [d for _, d in OBJECTIVES]
    for row in rows:
        if row["decision"] == "completed" and row["position"] is None:
            continue
        i, it = int(row["ray_trial_id"][1:]), int(row["time_value"])
        values = [truth(i, it)["err"], truth(i, it)["acc"]]
        assert json.loads(row["values_json"]) == dict(zip(["err", "acc"], values, strict=True))
        earlier = rungs.setdefault(row["milestone"], [])
        ranking = rank_rung([*earlier, values], modes)
        assert row["rung_size"] == len(earlier)
        assert row["position"] == ranking.position(len(earlier))
        assert row["nd_rank"] == ranking.fronts[len(earlier)]
        if row["decision"] != "completed":
            assert (row["decision"] == "promoted") == promotes(row["position"], len(earlier) + 1, rf)
        earlier.append(values)


def test_decisions_are_the_pure_ranking_of_each_rung():
    scheduler = make_mo_asha(schedulers.asha(max_t=9, grace_period=1, reduction_factor=3), OBJECTIVES)
    actions = _drive(scheduler)
    rows = scheduler.drain()
    assert scheduler.drain() == []
    decided = {(r["ray_trial_id"], r["time_value"]): r["decision"] for r in rows}
    for (trial, it), action in actions.items():
        row = decided.get((trial, float(it)))
        if action == TrialScheduler.STOP:
            assert row in ("stopped", "completed")  # completed: at max_t
        elif row is not None:
            assert row == "promoted"
    stopped = {r["ray_trial_id"] for r in rows if r["decision"] == "stopped"}
    assert stopped and stopped == scheduler.stopped_early
    assert {r["milestone"] for r in rows} == {1.0, 3.0, 9.0}
    assert all(r["metric"] == "err" and r["cutoff"] is None for r in rows)
    assert all(json.loads(r["objectives_json"]) == [list(p) for p in OBJECTIVES] for r in rows)
    _replay(rows, 3)
    # Every trial stopped at a rung ran no further; the survivors ran to max_t.
    last = {t: max(it for (tt, it) in actions if tt == t) for t, _ in actions}
    for r in rows:
        if r["decision"] == "stopped":
            assert last[r["ray_trial_id"]] == r["time_value"]
        if r["decision"] == "completed":
            assert last[r["ray_trial_id"]] == 9 == r["milestone"]


def test_a_hand_ranked_rung_through_the_scheduler():
    """The rung of test_mo_rank: A(1,5) B(2,2) C(5,1) D(3,3) E(4,4), then X(1.5,1.5), both
    minimised, reduction factor 3, all at the first rung (iteration 1).

    One at a time, each against the rung so far: A alone (position 0 of 1: kept); B vs A: both on
    front 0, A seeds the net, B second: position 1 of 2, 1 < 2/3 is false: stopped. C vs A, B:
    front 0 {A, B, C}, rescaled A(0,1) B(.25,.25) C(1,0): A, then C (farthest): position 1 of 3,
    1 < 1 false: stopped. D vs A, B, C: front 1 alone, position 3 of 4 (kept: 0, 1): stopped.
    E: front 2, position 4 of 5: stopped. X: order A, C, X, B, D, E (test_mo_rank), position 2 of
    6, 2 < 2 false: stopped although on the first front.
    """
    scheduler = MOASHA((("f1", "min"), ("f2", "min")), max_t=9, grace_period=1, reduction_factor=3)
    points = {"A": (1, 5), "B": (2, 2), "C": (5, 1), "D": (3, 3), "E": (4, 4), "X": (1.5, 1.5)}
    got = {}
    for name, (f1, f2) in points.items():
        trial = FakeTrial(name)
        scheduler.on_trial_add(None, trial)
        got[name] = scheduler.on_trial_result(None, trial, {"training_iteration": 1, "f1": f1, "f2": f2})
    assert got == {"A": "CONTINUE", "B": "STOP", "C": "STOP", "D": "STOP", "E": "STOP", "X": "STOP"}
    rows = {r["ray_trial_id"]: r for r in scheduler.drain()}
    assert [(rows[k]["nd_rank"], rows[k]["position"], rows[k]["rung_size"]) for k in "ABCDEX"] == [
        (0, 0, 0), (0, 1, 1), (0, 1, 2), (1, 3, 3), (2, 4, 4), (0, 2, 5)]


def test_trials_that_end_on_their_own_and_the_rung_fields_they_keep():
    scheduler = make_mo_asha(schedulers.asha(max_t=9, grace_period=1, reduction_factor=3), OBJECTIVES)
    best = min(range(N), key=lambda i: SKILL[i][0] - SKILL[i][1])  # never stopped: first, best
    order = [best, *[i for i in range(N) if i != best]]
    # the best trial arrives first (t00): kept at every rung, it ends on its own at iteration 5
    _drive(scheduler, ends_at={"t00": 5}, skill=[SKILL[i] for i in order])
    rows = [r for r in scheduler.drain() if r["ray_trial_id"] == "t00"]
    assert [(r["milestone"], r["decision"]) for r in rows] == [
        (1.0, "promoted"), (3.0, "promoted"), (5.0, "completed")]
    assert rows[-1]["position"] is None and rows[-1]["time_value"] == 5.0


def test_a_monotone_constraint_stops_a_trial_at_once():
    budget = MonotoneConstraint("time_total_s", "<=", 2.5)
    scheduler = MOASHA(OBJECTIVES, max_t=9, grace_period=1, reduction_factor=3, constraints=[budget])
    trial = FakeTrial("t")
    scheduler.on_trial_add(None, trial)
    actions = [scheduler.on_trial_result(None, trial, {**truth(0, it), "time_total_s": float(it)})
               for it in (1, 2, 3)]
    assert actions == ["CONTINUE", "CONTINUE", "STOP"]
    row = scheduler.drain()[-1]
    assert (row["decision"], row["time_value"], row["constraint"]) == ("stopped", 3.0,
                                                                       "time_total_s <= 2.5")
    assert "t" in scheduler.stopped_early
    # a result without the objectives still breaks a constraint it carries
    other = FakeTrial("u")
    scheduler.on_trial_add(None, other)
    assert scheduler.on_trial_result(None, other, {"training_iteration": 1,
                                                   "time_total_s": 9.0}) == "STOP"
    row = scheduler.drain()[-1]
    assert row["constraint"] == "time_total_s <= 2.5" and row["value"] is None
    assert json.loads(row["values_json"]) == {"err": None, "acc": None}
    assert not MonotoneConstraint("m", ">=", 1).violated({})  # no value: not violated
    with pytest.raises(ConfigError, match="'op'"):
        MonotoneConstraint("m", "<", 1)


def test_missing_objectives_are_not_compared_and_tune_properties_agree():
    scheduler = MOASHA(OBJECTIVES, max_t=9, grace_period=1, reduction_factor=3)
    trial = FakeTrial("t")
    scheduler.on_trial_add(None, trial)
    with pytest.warns(RuntimeWarning, match="reported no 'acc'"):
        assert scheduler.on_trial_result(None, trial, {"training_iteration": 1, "err": 0.1}) == "CONTINUE"
    assert scheduler.drain() == []
    assert scheduler.set_search_properties("err", "min")
    assert scheduler.set_search_properties(["err", "acc"], ["min", "max"])
    assert scheduler.set_search_properties(None, None)
    assert not scheduler.set_search_properties("loss", "min")
    assert scheduler.metric == "err"
    # NonFiniteGuard wraps it in a real run: the rung callback still finds it.
    assert recording_scheduler(NonFiniteGuard(scheduler, "err")) is scheduler
    with pytest.raises(ConfigError, match="objectives"):
        MOASHA((("a", "min"), ("a", "max")))


def test_save_and_restore_keep_the_rungs(tmp_path):
    scheduler = make_mo_asha(schedulers.asha(max_t=9, grace_period=1, reduction_factor=3), OBJECTIVES)
    _drive(scheduler, n=6, max_t=2)
    scheduler.save(str(tmp_path / "s.pkl"))
    fresh = MOASHA(OBJECTIVES)
    fresh.restore(str(tmp_path / "s.pkl"))
    assert fresh.brackets == scheduler.brackets and fresh.stopped_early == scheduler.stopped_early


def test_brackets_follow_rays_asha_layout():
    assert milestones(1, 9, 3, 0) == [1, 3, 9]
    assert milestones(1, 9, 3, 1) == [3, 9]
    assert milestones(2, 100, 4, 0) == [2, 8, 32]
    scheduler = MOASHA(OBJECTIVES, max_t=9, grace_period=1, reduction_factor=3, brackets=2, seed=1)
    for i in range(40):
        scheduler.on_trial_add(None, FakeTrial(f"t{i}"))
    assert set(scheduler.trial_bracket.values()) == {0, 1}
    again = MOASHA(OBJECTIVES, max_t=9, grace_period=1, reduction_factor=3, brackets=2, seed=1)
    for i in range(40):
        again.on_trial_add(None, FakeTrial(f"t{i}"))
    assert again.trial_bracket == scheduler.trial_bracket  # seeded


def test_rows_reach_the_store_and_old_files_read_with_null_columns(tmp_path):
    from tests.results._store import run_record

    scheduler = make_mo_asha(schedulers.asha(max_t=9, grace_period=1, reduction_factor=3), OBJECTIVES)
    _drive(scheduler, n=8)
    root = str(tmp_path)
    with results.RunWriter(root, sweep="s", run_id="r1") as writer:
        writer.write_run(run_record("s", "r1"))
        for event in scheduler.drain():
            writer.add_rung({"trial_id": event.pop("ray_trial_id"), **event})
    rungs = results.load_rungs(root, sweeps="s")
    assert rungs["objectives_json"].notna().all() and rungs["values_json"].notna().all()
    compared = rungs[rungs["position"].notna()]
    assert len(compared) and (compared["position"] >= compared["nd_rank"]).all()
    # A file of the rungs dataset written before these columns existed reads them as null.
    old = pa.table({"trial_id": ["z"], "bracket": [0], "milestone": [1.0], "time_attr": ["it"],
                    "time_value": [1.0], "metric": ["err"], "value": [0.5], "cutoff": [None],
                    "rung_size": [0], "decision": ["promoted"],
                    "timestamp": pa.array([pd.Timestamp("2026-01-01", tz="UTC")],
                                          type=pa.timestamp("us", tz="UTC"))})
    directory = tmp_path / "rungs" / "sweep=s" / "run=r0"
    directory.mkdir(parents=True)
    pq.write_table(old, directory / "old.parquet")
    both = results.load_rungs(root, sweeps="s")
    z = both[both["trial_id"] == "z"].iloc[0]
    assert pd.isna(z["objectives_json"]) and pd.isna(z["nd_rank"]) and z["decision"] == "promoted"


def test_make_scheduler_builds_moasha_for_several_objectives():
    """The launch's make_scheduler: ASHA's spec and a sweep with several objectives give MOASHA
    (``Sweep.objectives`` is the multi-objective contract's; a stand-in carries it here until the
    Sweep has it), one objective keeps Ray's ASHA."""
    from types import SimpleNamespace

    from raysweep.execution.tune._asha import RecordingASHA
    from raysweep.execution.tune._convert import make_scheduler
    from raysweep.results import Objective

    spec = schedulers.asha(max_t=27, grace_period=3, reduction_factor=3, brackets=2)
    several = SimpleNamespace(scheduler_spec=spec, seed=4,
                              objectives=(Objective("err", "min"), Objective("acc", "max")))
    built = make_scheduler(several)
    assert isinstance(built, MOASHA) and built.objectives == OBJECTIVES
    assert (built.time_attr, built.max_t, built.reduction_factor) == ("training_iteration", 27, 3)
    assert [[m for m, _ in b] for b in built.brackets] == [[27, 9, 3], [27, 9]]
    one = SimpleNamespace(scheduler_spec=spec, seed=4, objectives=(Objective("err", "min"),))
    assert isinstance(make_scheduler(one), RecordingASHA)
