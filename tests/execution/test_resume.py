"""`raysweep resume` after a SIGKILLed driver or a Ctrl-C, checked against the trainable's own log."""

from __future__ import annotations

import signal
import time

import pytest

from raysweep.execution import resume_run

from . import _resume_harness as H

pytestmark = pytest.mark.slow

N, ITERS = 6, 5


def _kill_then_resume(tmp_path, address, name, *, checkpoint, sig, via_cli=True, **sweep):
    """The driver joins the session's Ray at ``address``: SIGKILL kills the driver (and Ray ends its
    job's trials), as an embedded Ray dies with its driver; the resume starts a new job."""
    project, root = tmp_path / "project", tmp_path / "results"
    _, log_dir = H.write_sweep(project, name, n=N, iters=ITERS, checkpoint=checkpoint, **sweep)
    clock = time.monotonic()
    driver = H.cli("run", name, "--results", str(root), "--no-progress", cwd=project,
                   address=address)
    try:
        H.wait_for(driver, root, ended=2)
        if sig == signal.SIGKILL:
            H.kill_group(driver)
            code = -9
        else:
            driver.send_signal(sig)
            code, out = H.finish(driver, timeout=60)
            assert code == 130, out
    finally:
        H.kill_group(driver)
    runs, trials_before, _ = H.store(root)
    log_before = H.read_log(log_dir)
    ended_before = trials_before[trials_before["status"].isin(["completed", "errored"])]
    assert len(runs) == 1 and len(ended_before) >= 2
    run_id = runs.loc[0, "run"]
    killed_at = time.monotonic() - clock

    if via_cli:
        resumed = H.cli("resume", run_id, "--results", str(root), "--no-progress", cwd=project,
                        address=address)
        code, out = H.finish(resumed)
        assert code == 0, out
    else:  # the Python API, on this test session's Ray (one Ray start less)
        summary = resume_run(name, results_root=str(root), progress=False)
        assert summary.run_id == run_id and summary.status == "finished"
        assert summary.counts["trials"] == N
        code = summary.exit_code
    facts = H.check_against_log(root, log_dir, n=N, iters=ITERS, ended_before=ended_before,
                                log_before=log_before)
    return {**facts, "code": code, "killed_after_s": killed_at,
            "total_s": time.monotonic() - clock}


def test_driver_sigkill_then_raysweep_resume_with_checkpoints(ray_address, tmp_path):
    facts = _kill_then_resume(tmp_path, ray_address, "killed_tpe", checkpoint=True,
                              sig=signal.SIGKILL)
    print("measured:", facts)


def test_driver_sigkill_then_resume_without_checkpoints(ray_address, tmp_path):
    facts = _kill_then_resume(tmp_path, ray_address, "killed_nockpt", checkpoint=False,
                              sig=signal.SIGKILL, via_cli=False)
    print("measured:", facts)


def test_ctrl_c_then_resume(ray_address, tmp_path):
    facts = _kill_then_resume(tmp_path, ray_address, "interrupted_tpe", checkpoint=True,
                              sig=signal.SIGINT, via_cli=False)
    print("measured:", facts)


def test_constraints_after_a_resume_read_what_a_trial_reported_before_the_crash(ray_address,
                                                                                  tmp_path):
    """``size`` is reported at each trial's first iteration only: a trial resumed from a later
    checkpoint never reports it again, and its constraint still reads it (no "never reported"
    error); ``time_total_s``, one of Tune's counters, is readable too. Feasibility is checked
    against each trial's logged x."""
    _kill_then_resume(tmp_path, ray_address, "resumed_constraints", checkpoint=True,
                      sig=signal.SIGKILL, via_cli=False, size_once=True,
                      constraints=("size <= 0.5", "time_total_s <= 600"))
    _, trials, _ = H.store(tmp_path / "results")
    x = {row["trial"]: row["x"] for _, row in H.read_log(tmp_path / "project" / "logs").iterrows()}
    assert len(trials) == N and trials["feasible"].notna().all()
    for _, row in trials.iterrows():
        assert bool(row["feasible"]) == (x[row["ray_trial_id"]] <= 0.5), row["ray_trial_id"]
