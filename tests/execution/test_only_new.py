"""`raysweep run SWEEP --only-new`: a widened grid runs only its new (and errored) cells, checked
against the trainable's own log; `show --all-runs` and `best` see every run as one."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from raysweep import ConfigError
from raysweep.cli._main import raysweep as cli
from raysweep.execution import run_sweep
from raysweep.results import stable_trial_id

from . import _resume_harness as H

ITERS = 2
FAIL = 'if config["x"] == 1.0 and os.path.exists(os.path.join(LOG_DIR, "FAIL")): raise ValueError("boom")'


def _grid(project, points):
    return H.write_sweep(project, "cells", n=1, iters=ITERS, sleep=0.02, checkpoint=False,
                         searcher=f"searchers.grid(grid_points={points})", fail=FAIL)


@pytest.mark.slow
def test_a_widened_grid_runs_only_its_new_and_errored_cells(tmp_path, ray_session):
    project, root = tmp_path / "project", tmp_path / "results"
    path, log_dir = _grid(project, 2)  # x in {0.0, 1.0}; x=1.0 errors in the first run
    (log_dir / "FAIL").write_text("")
    first = run_sweep(str(path), results_root=str(root), progress=False)
    assert first.counts["trials"] == 2 and first.counts["errored"] == 1
    (log_dir / "FAIL").unlink()
    log_before = H.read_log(log_dir)

    path, _ = _grid(project, 3)  # widened: x in {0.0, 0.5, 1.0}
    plan = CliRunner().invoke(cli, ["plan", str(path), "--results", str(root), "--num-cpus", "2"])
    assert plan.exit_code == 0 and "2 of 3 cells would run (1 completed" in plan.output, plan.output
    second = run_sweep(str(path), results_root=str(root), progress=False, only_new=True)

    runs, trials, _ = H.store(root)
    log = H.read_log(log_dir)
    mine = trials[trials["run"] == second.run_id]
    xs = sorted(json.loads(c)["x"] for c in mine["config_json"])
    assert xs == [0.5, 1.0] and set(mine["status"]) == {"completed"}
    row = runs.set_index("run").loc[second.run_id]
    assert int(row["n_skipped_cells"]) == 1 and int(row["n_trials"]) == 2
    # The plan's estimate (from the first run) is stored with the run and set against the actual.
    assert json.loads(row["estimate_runs"]) == [first.run_id] and row["estimate_compute_s"] > 0
    assert row["trainable"].endswith(".trainable")
    assert second.estimate is not None and "planned" in second.estimate and "actual" in second.estimate
    # Ground truth: the cell x=0.0 ran once, in the first run only; the new ones ran once each.
    new_log = log.iloc[len(log_before):]
    assert sorted(new_log["x"].unique()) == [0.5, 1.0]
    assert (new_log.groupby("trial").size() == ITERS).all() and len(new_log) == 2 * ITERS
    assert (log["x"] == 0.0).sum() == ITERS
    # Content-addressed ids: the same cell has the same id in both runs.
    ids = trials.groupby("config_json")["trial_id"].nunique()
    assert (ids == 1).all()
    cell = json.loads(mine[mine["config_json"].str.contains('"x":1.0')]["config_json"].iloc[0])
    assert set(trials[trials["config_json"].str.contains('"x":1.0')]["trial_id"]) == {
        stable_trial_id("cells", cell, 0)}

    # Nothing left: no run starts, no run row is written.
    third = run_sweep(str(path), results_root=str(root), progress=False, only_new=True)
    assert third.run_id == "" and third.counts["trials"] == 0
    assert len(H.store(root)[0]) == 2
    out = CliRunner().invoke(cli, ["run", str(path), "--results", str(root), "--only-new",
                                   "--no-progress"])
    assert out.exit_code == 0 and "nothing to run" in out.output and "--all-runs" in out.output

    # Every run of the sweep as one: the union of the grid, best over it.
    shown = CliRunner().invoke(cli, ["show", "cells", "--all-runs", "--results", str(root), "-k", "9"])
    assert shown.exit_code == 0, shown.output
    assert first.run_id in shown.output and second.run_id in shown.output
    assert "3 completed, 1 errored" in shown.output
    best = CliRunner().invoke(cli, ["best", "cells", "--all-runs", "--results", str(root)])
    assert best.exit_code == 0 and json.loads(best.output)["x"] == 0.5  # loss (x - 0.3)^2 + 1/it


def test_only_new_refuses_a_sweep_that_is_not_a_grid(tmp_path):
    path, _ = H.write_sweep(tmp_path / "project", "notgrid")
    with pytest.raises(ConfigError, match="only grid sweeps have cells"):
        run_sweep(str(path), results_root=str(tmp_path / "results"), only_new=True)
    out = CliRunner().invoke(cli, ["run", str(path), "--only-new", "--results", str(tmp_path)])
    assert out.exit_code == 2 and "raysweep extend" in out.output
