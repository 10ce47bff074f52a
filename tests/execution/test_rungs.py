"""ASHA's rung decisions in the store (``rungs`` dataset) on a real sweep, against ground truth.

The trainable logs every report to a file before reporting it; the rung rows are checked against
that log (values, how far each trial ran) and against ASHA's documented rule (the cutoff of the
k-th trial at a rung is the (1 - 1/rf) percentile of the k values recorded there before it).
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep

from ._rung_trainables import rising

pytestmark = pytest.mark.slow

MAX_T, GRACE, RF = 9, 1, 3


def _run(tmp_path, mode: str):
    log = tmp_path / "reports.jsonl"
    sweep = Sweep(
        name=f"rungs_{mode}", trainable=rising, metric="score", mode=mode,
        space={"x": space.uniform(0.0, 1.0), "iters": MAX_T, "log": str(log)},
        searcher=searchers.random(seed=3), num_samples=12, resources={"cpu": 1},
        scheduler=schedulers.asha(max_t=MAX_T, grace_period=GRACE, reduction_factor=RF),
    )
    summary = run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
    assert summary.status == "finished"
    root = str(tmp_path / "results")
    truth: dict[float, dict[int, float]] = defaultdict(dict)
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        truth[entry["x"]][entry["iteration"]] = entry["score"]
    trials = results.load_trials(root, sweeps=sweep.name)
    x_of = {t: json.loads(c)["x"] for t, c in zip(trials["trial_id"], trials["config_json"],
                                                   strict=True)}
    return results.load_rungs(root, sweeps=sweep.name), trials, truth, x_of


@pytest.mark.parametrize("mode", ["max", "min"])
def test_rung_rows_agree_with_asha_and_the_report_log(ray_session, tmp_path, mode):
    rungs, trials, truth, x_of = _run(tmp_path, mode)
    assert len(trials) == 12 and set(rungs["trial_id"]) == set(trials["trial_id"])
    assert set(rungs["decision"]) <= set(results.RUNG_DECISIONS)
    assert (rungs["metric"] == "score").all() and (rungs["time_attr"] == "training_iteration").all()
    # Exactly one row per (trial, rung): the keys are unique.
    assert not rungs.duplicated(["trial_id", "milestone"]).any()

    # 1. Every decision agrees with its value and cutoff, per mode.
    worse = rungs["value"] < rungs["cutoff"] if mode == "max" else rungs["value"] > rungs["cutoff"]
    stopped = rungs[rungs["decision"] == "stopped"]
    promoted = rungs[rungs["decision"] == "promoted"]
    assert len(stopped) > 0 and len(promoted) > 0
    assert stopped["cutoff"].notna().all() and worse[stopped.index].all()
    assert not worse[promoted.index].fillna(False).any()

    # 2. The cutoffs are ASHA's rule over the values recorded at the rung before the trial.
    compared = rungs[rungs["decision"].isin(["stopped", "promoted"])]
    for _, rung in compared.groupby(["bracket", "milestone"]):
        rung = rung.sort_values("rung_size")
        assert list(rung["rung_size"]) == list(range(len(rung)))
        signed = (1.0 if mode == "max" else -1.0) * rung["value"].to_numpy()
        for k, cutoff in enumerate(rung["cutoff"]):
            if k == 0:
                assert np.isnan(cutoff)
            else:
                expected = np.nanpercentile(signed[:k], (1 - 1 / RF) * 100)
                assert cutoff == pytest.approx((1.0 if mode == "max" else -1.0) * expected)

    # 3. Against the ground-truth log.
    status = dict(zip(trials["trial_id"], trials["status"], strict=True))
    for trial_id, rows in rungs.groupby("trial_id"):
        reported = truth[x_of[trial_id]]
        last = max(reported)
        for row in rows.itertuples():
            assert row.value == pytest.approx(reported[int(row.time_value)])
        final = rows.sort_values("milestone").iloc[-1]
        if final["decision"] == "stopped":
            # No report beyond the milestone, except the one Tune may have had in flight.
            assert last <= final["milestone"] + 1
            assert status[trial_id] == "early_stopped"
        else:
            assert final["decision"] == "completed" and final["milestone"] == MAX_T
            assert last == MAX_T and status[trial_id] == "completed"
        # A row at every rung the trial reached (milestones 1, 3; 9 = max_t is the completion).
        reached = {m for m in (1.0, 3.0, 9.0) if m <= max(k for k in reported if k <= final["milestone"])}
        assert set(rows["milestone"]) == reached


def test_rungs_after_ctrl_c_and_resume_are_exactly_once(ray_address, tmp_path):
    """A run interrupted mid-way and resumed keeps one row per (trial, rung), each consistent."""
    import signal

    from raysweep.execution import resume_run

    from . import _resume_harness as H

    project, root = tmp_path / "project", tmp_path / "results"
    _, log_dir = H.write_sweep(project, "rungs_resume", n=6, iters=MAX_T, sleep=0.1,
                               scheduler=f"schedulers.asha(max_t={MAX_T}, grace_period={GRACE}, "
                                         f"reduction_factor={RF})")
    driver = H.cli("run", "rungs_resume", "--results", str(root), "--no-progress", cwd=project,
                   address=ray_address)
    try:
        H.wait_for(driver, root, ended=2)
        driver.send_signal(signal.SIGINT)
        code, out = H.finish(driver, timeout=60)
        assert code == 130, out
    finally:
        H.kill_group(driver)
    before = results.load_rungs(str(root))
    assert not before.empty
    summary = resume_run("rungs_resume", results_root=str(root), progress=False)
    assert summary.status == "finished"

    _check_rungs_against_log(root, H.read_log(log_dir))


def _check_rungs_against_log(root, log):
    """One row per (trial, rung); decisions agree with their cutoffs (min mode); values are what the
    trainable reported last; a trial's final row matches its status and how far it ran (log)."""
    rungs = results.load_rungs(str(root))
    trials = results.load_trials(str(root))
    assert not rungs.duplicated(["trial_id", "milestone"]).any()
    assert set(rungs["trial_id"]) == set(trials["trial_id"])
    # Decisions agree with their cutoffs (min mode: stopped means value > cutoff).
    stopped = rungs[rungs["decision"] == "stopped"]
    assert (stopped["value"] > stopped["cutoff"]).all()
    promoted = rungs[rungs["decision"] == "promoted"]
    assert not (promoted["value"] > promoted["cutoff"]).fillna(False).any()
    # Against the log: values are what the trainable reported; the final row matches the status.
    by_ray = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    status = dict(zip(trials["trial_id"], trials["status"], strict=True))
    reported = log.drop_duplicates(["trial", "it"], keep="last").set_index(["trial", "it"])["value"]
    for trial_id, rows in rungs.groupby("trial_id"):
        for row in rows.itertuples():
            assert row.value == pytest.approx(reported[(by_ray[trial_id], int(row.time_value))])
        final = rows.sort_values("milestone").iloc[-1]
        ran = log.loc[log["trial"] == by_ray[trial_id], "it"].max()
        if final["decision"] == "stopped":
            assert status[trial_id] == "early_stopped" and ran <= final["milestone"] + 1
        else:
            assert final["decision"] == "completed" and status[trial_id] == "completed"
            assert final["milestone"] == MAX_T and ran == MAX_T
    return rungs, trials


# A sweep whose Ctrl-C comes in the very Tune step in which ASHA stops a trial below max_t: Tune has
# just held that STOP until the trial's checkpoint (reported with the result) is saved, and its loop
# ends before the save is processed. The callback raises SIGINT (raysweep's first Ctrl-C) and SIGUSR1
# (Tune's interrupt, which raysweep's _ForwardInterrupt would raise at the next step's start) once.
_CARRIED_MODULE = """
import json, os, signal, tempfile
from ray import tune
from raysweep import Sweep, schedulers, searchers, space

LOG_DIR, FIRED = {log_dir!r}, {fired!r}


def trainable(config):
    trial = tune.get_context().get_trial_id()
    start = 1
    ckpt = tune.get_checkpoint()
    if ckpt is not None:
        with ckpt.as_directory() as d, open(os.path.join(d, "state.json")) as fh:
            start = json.load(fh)["it"] + 1
    for it in range(start, {max_t} + 1):
        v = round(config["x"] + (2 - 2 * config["x"]) / it, 12)
        with open(os.path.join(LOG_DIR, trial + ".log"), "a") as fh:
            fh.write(json.dumps({{"trial": trial, "pid": os.getpid(), "it": it, "value": v,
                                 "x": config["x"]}}) + "\\n")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "state.json"), "w") as fh:
                json.dump({{"it": it}}, fh)
            tune.report({{"loss": v}}, checkpoint=tune.Checkpoint.from_directory(d))


class CtrlCAtAStop(tune.Callback):
    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get("done") and result["training_iteration"] < {max_t} and not os.path.exists(FIRED):
            open(FIRED, "w").close()
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGUSR1)


SWEEP = Sweep(
    name="carried", trainable=trainable, space={{"x": space.grid({xs})}}, metric="loss", mode="min",
    searcher=searchers.grid(), max_concurrent=1, resources={{"cpu": 1}}, seed=3,
    scheduler=schedulers.asha(max_t={max_t}, grace_period={grace}, reduction_factor={rf}),
    callbacks=[CtrlCAtAStop()],
)
"""


@pytest.mark.parametrize(("stopped_x", "stop_at"), [(0.2, 1), (0.95, 3)],
                         ids=["stop-at-rung-1-restarts", "stop-at-rung-3-restores-its-checkpoint"])
def test_a_stop_tune_carried_across_ctrl_c_is_stored_early_stopped(ray_session, tmp_path, stopped_x,
                                                                   stop_at):
    """Ctrl-C while a trial's STOP waits for its checkpoint save: Tune's snapshot keeps the STOP, and
    the resumed run executes it at the trial's next save. The store says early_stopped at that rung,
    with the first driver's decision, as the trainable's log shows it ran (ground truth).

    loss = x + (2 - 2x) / it. The first trial (x=0.5) runs to max_t; x=0.2 is worse at rung 1 and
    stops there (no checkpoint registered yet: the resumed attempt restarts from iteration 1);
    x=0.95 is better at rung 1 and worse at rung 3 (restored from its checkpoint at iteration 2).
    The last trial (x=0.4) runs after the resume.
    """
    import glob

    from raysweep.execution import resume_run
    from raysweep.sweep import load_sweep

    from . import _resume_harness as H

    log_dir, root = tmp_path / "logs", tmp_path / "results"
    log_dir.mkdir()
    path = tmp_path / "project" / "carried.py"
    path.parent.mkdir()
    path.write_text(_CARRIED_MODULE.format(log_dir=str(log_dir), fired=str(tmp_path / "fired"),
                                           max_t=MAX_T, grace=GRACE, rf=RF, xs=[0.5, stopped_x, 0.4]))
    first = run_sweep(load_sweep(str(path)), results_root=str(root), progress=False)
    assert first.status == "interrupted"
    stopped = H.read_log(log_dir).query("x == @stopped_x")
    ray_id = stopped["trial"].iloc[0]
    assert list(stopped["it"]) == list(range(1, stop_at + 1))
    # The state this test is about: Tune's last snapshot still holds that trial's STOP.
    state = sorted(glob.glob(str(root / "_ray" / "carried" / "*" / "experiment_state-*.json")))[-1]
    with open(state) as handle:
        held = json.load(handle)["runner_data"]["_cached_trial_decisions"]
    assert held == {ray_id: "STOP"}

    summary = resume_run("carried", results_root=str(root), progress=False)
    assert summary.status == "finished"
    log = H.read_log(log_dir)
    # Ground truth: the resumed attempt ran from its checkpoint to the stopping iteration, no further.
    rerun = [*range(1, stop_at + 1), stop_at]
    assert list(log.loc[log["trial"] == ray_id, "it"]) == rerun
    rungs, trials = _check_rungs_against_log(root, log)
    assert len(trials) == 3 and set(log["trial"]) == set(trials["ray_trial_id"])
    row = trials.set_index("ray_trial_id").loc[ray_id]
    assert row["status"] == "early_stopped" and row["iterations"] == stop_at
    assert bool(row["stopped_by_scheduler"])
    final = rungs[rungs["trial_id"] == row["trial_id"]].sort_values("milestone").iloc[-1]
    assert final["decision"] == "stopped" and final["milestone"] == stop_at
    assert final["cutoff"] == final["cutoff"]  # the first driver's cutoff, not a restarted rung's NaN
    # Every stored iteration once, equal to the last value the trainable reported for it.
    iterations = results.load_iterations(str(root))
    assert not iterations.duplicated(["trial_id", "training_iteration"]).any()
    last = log.drop_duplicates(["trial", "it"], keep="last").set_index(["trial", "it"])["value"]
    ray_of = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    assert len(iterations) == len(last)
    for it in iterations.itertuples():
        assert it.loss == last[(ray_of[it.trial_id], int(it.training_iteration))]
