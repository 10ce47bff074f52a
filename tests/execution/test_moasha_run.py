"""MO-ASHA on a real sweep: the stored rung decisions against the trainable's ground-truth log.

A two-objective ``Sweep(metric=[...], mode=[...])`` with ``schedulers.asha(...)`` runs MO-ASHA
through the real path: the launch builds it, Tune calls it, ``RungCallback`` writes its decisions,
the store keeps them.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep
from raysweep.execution.tune._mo_rank import promotes, rank_rung

from ._rung_trainables import two_objectives

pytestmark = pytest.mark.slow

MAX_T, GRACE, RF = 9, 1, 3
OBJECTIVES = (("err", "min"), ("mb", "min"))


def test_stored_decisions_are_the_ranking_of_the_logged_values(ray_session, tmp_path):
    log, root = tmp_path / "reports.jsonl", str(tmp_path / "results")
    sweep = Sweep(
        name="moasha_run", trainable=two_objectives, metric=["err", "mb"], mode=["min", "min"],
        space={"x": space.uniform(0.0, 1.0), "y": space.uniform(0.0, 1.0), "iters": MAX_T,
               "log": str(log)},
        searcher=searchers.random(seed=5), num_samples=12, resources={"cpu": 1},
        scheduler=schedulers.asha(max_t=MAX_T, grace_period=GRACE, reduction_factor=RF),
    )
    assert run_sweep(sweep, results_root=root, progress=False).status == "finished"
    truth: dict[float, dict[int, tuple[float, float]]] = defaultdict(dict)
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        truth[entry["x"]][entry["iteration"]] = (entry["err"], entry["mb"])
    trials = results.load_trials(root, sweeps=sweep.name)
    x_of = {t: json.loads(c)["x"] for t, c in zip(trials["trial_id"], trials["config_json"],
                                                   strict=True)}
    status = dict(zip(trials["trial_id"], trials["status"], strict=True))
    rungs = results.load_rungs(root, sweeps=sweep.name)
    assert len(trials) == 12 and set(rungs["trial_id"]) == set(trials["trial_id"])
    assert not rungs.duplicated(["trial_id", "milestone"]).any()
    assert (rungs["objectives_json"] == json.dumps([list(p) for p in OBJECTIVES],
                                                   separators=(",", ":"))).all()

    # Every row's values are what the trainable logged at that time value.
    for row in rungs.itertuples():
        logged = truth[x_of[row.trial_id]][int(row.time_value)]
        assert json.loads(row.values_json) == {"err": logged[0], "mb": logged[1]}
        assert row.value == logged[0] and row.metric == "err"

    # Each rung, in the order its trials reached it: the pure ranking decides as stored.
    compared = rungs[rungs["decision"].isin(["promoted", "stopped"])]
    assert (compared["decision"] == "stopped").any() and (compared["decision"] == "promoted").any()
    for _, rung in compared.groupby(["bracket", "milestone"]):
        rung = rung.sort_values("rung_size")
        assert list(rung["rung_size"]) == list(range(len(rung)))
        earlier: list[tuple[float, float]] = []
        for row in rung.itertuples():
            values = truth[x_of[row.trial_id]][int(row.time_value)]
            ranking = rank_rung([*earlier, values], ["min", "min"])
            assert row.position == ranking.position(len(earlier))
            assert row.nd_rank == ranking.fronts[len(earlier)]
            kept = promotes(int(row.position), len(earlier) + 1, RF)
            assert row.decision == ("promoted" if kept else "stopped")
            earlier.append(values)

    # How far each trial ran, from the log, agrees with its last decision and its status.
    for trial_id, rows in rungs.groupby("trial_id"):
        ran = max(truth[x_of[trial_id]])
        final = rows.sort_values("milestone").iloc[-1]
        if final["decision"] == "stopped":
            assert ran <= final["milestone"] + 1 and status[trial_id] == "early_stopped"
        else:
            assert final["decision"] == "completed" and final["milestone"] == MAX_T
            assert ran == MAX_T and status[trial_id] == "completed"

    # compare reads the same run: each trial's final point from the store is its last logged
    # report, and the run's hypervolume is that of the logged final points.
    from raysweep import compare

    comp = compare.load([sweep.name], root)
    fronts = compare.run_fronts(comp, OBJECTIVES)
    for row in fronts.itertuples():
        logged = truth[x_of[row.trial_id]]
        assert (row.err, row.mb) == logged[max(logged)]
    finals = [truth[x][max(truth[x])] for x in truth]
    reference = compare.reference_point(comp, OBJECTIVES)
    assert compare.run_hypervolumes(comp, OBJECTIVES)["hypervolume"].iloc[0] == pytest.approx(
        compare.hypervolume(finals, reference))


def test_a_monotone_constraint_stops_a_trial_at_its_first_violating_result(ray_session, tmp_path):
    # mb = 1 - x + y / 2 is fixed by the config: a trial over 0.8 at its first report is over it at
    # every report, so MO-ASHA stops it there, and the store says why.
    log, root = tmp_path / "reports.jsonl", str(tmp_path / "results")
    sweep = Sweep(
        name="moasha_bound", trainable=two_objectives, metric=["err", "mb"], mode=["min", "min"],
        space={"x": space.uniform(0.0, 1.0), "y": space.uniform(0.0, 1.0), "iters": 4, "log": str(log)},
        searcher=searchers.random(seed=11), num_samples=8, resources={"cpu": 1},
        constraints=["mb <= 0.8"],
        scheduler=schedulers.asha(max_t=4, grace_period=2, reduction_factor=2,
                                  stop_on_violation=["mb <= 0.8"]),
    )
    assert run_sweep(sweep, results_root=root, progress=False).status == "finished"
    ran: dict[float, list[tuple[int, float]]] = defaultdict(list)
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        ran[entry["x"]].append((entry["iteration"], entry["mb"]))
    trials = results.load_trials(root, sweeps=sweep.name)
    rungs = results.load_rungs(root, sweeps=sweep.name)
    over = 0
    for trial in trials.itertuples():
        reports = ran[json.loads(trial.config_json)["x"]]
        mb = reports[0][1]
        mine = rungs[rungs["trial_id"] == trial.trial_id]
        if mb > 0.8:
            over += 1
            assert [it for it, _ in reports] == [1]  # stopped at its first, violating, result
            assert (trial.status, trial.iterations, trial.feasible) == ("early_stopped", 1, False)
            assert list(mine["decision"]) == ["stopped"] and list(mine["constraint"]) == ["mb <= 0.8"]
        else:
            assert mine["constraint"].isna().all() and trial.feasible
    assert 0 < over < len(trials)  # the seed gives both kinds
