"""`raysweep runs`, `show` and `best` on a store built by the writer (no Ray)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from click.testing import CliRunner

from raysweep import results as R
from raysweep.cli._main import raysweep
from raysweep.cli._results import best_cmd, runs_cmd, show_cmd

from ._store import run_record, write_run


def _store(tmp_path):
    root = str(tmp_path)
    write_run(root, "mf", "r1", offset=0)
    write_run(root, "mf", "r2", offset=2, scale=2.0)
    write_run(root, "mlp", "r3", offset=1, mode="min", finish=False)
    return root


def test_runs_lists_every_run_newest_first(tmp_path):
    root = _store(tmp_path)
    out = CliRunner().invoke(runs_cmd, ["--results", root], terminal_width=200)
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if " r" in line and "│" in line]
    assert [line.split("│")[2].strip() for line in lines] == ["r2", "r3", "r1"]
    assert "24 max score" in out.output and "1 min score" in out.output
    assert "running" in out.output and "3 done" in out.output


def test_runs_env_var_and_sweep_filter(tmp_path, monkeypatch):
    root = _store(tmp_path)
    monkeypatch.setenv("RAYSWEEP_RESULTS", root)
    out = CliRunner().invoke(runs_cmd, ["--sweep", "mlp"], terminal_width=200)
    assert out.exit_code == 0 and "r3" in out.output and "r1" not in out.output


def test_show_sweep_uses_latest_run_and_ranks(tmp_path):
    root = _store(tmp_path)
    out = CliRunner().invoke(show_cmd, ["mf", "-k", "2", "--results", root], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "mf / r2" in out.output
    rows = [line for line in out.output.splitlines() if line.startswith("│ ")]
    assert [r.split("│")[4].strip() for r in rows] == ["24", "16"]


def test_show_run_id_with_min_mode(tmp_path):
    root = _store(tmp_path)
    out = CliRunner().invoke(show_cmd, ["r3", "--results", root], terminal_width=200)
    rows = [line for line in out.output.splitlines() if line.startswith("│ ")]
    assert [r.split("│")[4].strip() for r in rows] == ["1", "2", "3"]


def test_best_prints_pasteable_json(tmp_path):
    root = _store(tmp_path)
    out = CliRunner().invoke(best_cmd, ["mf", "--results", root])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"lr": 0.001, "opt": {"dim": 48}}
    only_r1 = CliRunner().invoke(best_cmd, ["mf", "--run", "r1", "--results", root])
    assert json.loads(only_r1.output) == {"lr": 0.001, "opt": {"dim": 48}}


def test_unknown_targets_are_bad_input_with_a_suggestion(tmp_path):
    root = _store(tmp_path)
    for args in (["best", "mff"], ["show", "mff"], ["show", "r22"], ["best", "mf", "--run", "r11"],
                 ["show", "--errors", "ml"]):
        out = CliRunner().invoke(raysweep, [*args, "--results", root])
        assert out.exit_code == 2, (args, out.output)
        assert "Did you mean" in out.output and "raysweep runs" in out.output, out.output
    out = CliRunner().invoke(raysweep, ["show", "zzzzzz", "--results", root])
    assert out.exit_code == 2 and "Did you mean" not in out.output


def test_a_results_root_that_is_a_file_is_bad_input(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text("not a directory")
    for args in (["runs"], ["show", "x"], ["best", "x"]):
        out = CliRunner().invoke(raysweep, [*args, "--results", str(path)])
        assert out.exit_code == 2, (args, out.output)
        assert "is a file, not a directory" in out.output


def _errored_run(root: str, status: str):
    writer = R.RunWriter(root, sweep="e", run_id="re", flush_interval_s=60)
    writer.write_run({**run_record("e", "re"), "status": status})
    errors = [("ValueError", "bad lr", "Traceback A\nValueError: bad lr"),
              ("ValueError", "bad lr", "Traceback A\nValueError: bad lr"),
              ("RuntimeError", "oom", "Traceback B\nRuntimeError: oom")]
    for k, (etype, msg, tb) in enumerate(errors):
        writer.add_trial({"trial_id": f"t{k}", "trial_index": k, "status": "errored",
                          "error_type": etype, "error_message": msg, "error_traceback": tb,
                          "config_json": "{}"})
    writer.add_trial({"trial_id": "t9", "trial_index": 9, "status": "completed", "config_json": "{}"})
    writer.close()


def test_error_groups_count_distinct_errors(tmp_path):
    _errored_run(str(tmp_path), "failed")
    groups = R.error_groups(R.load_trials(str(tmp_path)))
    assert list(groups.columns) == ["error_type", "error_message", "n_trials", "trial_ids"]
    assert groups.values.tolist() == [["ValueError", "bad lr", 2, ["t0", "t1"]],
                                      ["RuntimeError", "oom", 1, ["t2"]]]
    assert R.error_groups(R.load_trials(str(tmp_path / "none"))).empty


def test_show_errors_prints_each_distinct_traceback_once(tmp_path):
    _errored_run(str(tmp_path), "failed")
    out = CliRunner().invoke(raysweep, ["show", "re", "--errors", "--results", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "3 errored trial(s), 2 distinct error(s)" in out.output
    assert "ValueError: bad lr  (2 trial(s))" in out.output and "trials: t0, t1" in out.output
    assert out.output.count("Traceback A") == 1 and out.output.count("Traceback B") == 1


def test_show_on_an_ended_run_never_says_yet(tmp_path):
    _errored_run(str(tmp_path), "failed")
    out = CliRunner().invoke(raysweep, ["show", "e", "--results", str(tmp_path)])
    assert out.exit_code == 0 and "yet" not in out.output
    assert "No trial has reported a finite score; the run is failed." in out.output


def test_show_on_a_live_run_says_yet(tmp_path):
    writer = R.RunWriter(str(tmp_path), sweep="e", run_id="re")
    writer.write_run(run_record("e", "re"))
    out = CliRunner().invoke(raysweep, ["show", "e", "--results", str(tmp_path)])
    assert "No trial has reported a finite score yet." in out.output
    writer.close()


def test_runs_marks_crashed_runs_and_hints_resume(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    writer = R.RunWriter(str(tmp_path), sweep="e", run_id="rc")
    writer.write_run({**run_record("e", "rc"), "driver_host": socket.gethostname(),
                      "driver_pid": dead.pid})
    write_run(str(tmp_path), "mf", "r1")
    interrupted = R.RunWriter(str(tmp_path), sweep="mf", run_id="ri")
    interrupted.write_run({**run_record("mf", "ri"), "status": "interrupted"})
    out = CliRunner().invoke(raysweep, ["runs", "--results", str(tmp_path)])
    assert "Run ri was interrupted: continue it with `raysweep resume ri`" in out.output
    assert out.exit_code == 0 and "crashed" in out.output
    assert "Run rc crashed (its driver is gone): continue it with `raysweep resume rc`" in out.output
    assert "resume r1" not in out.output
    show = CliRunner().invoke(raysweep, ["show", "rc", "--results", str(tmp_path)])
    assert "raysweep resume rc" in show.output and "yet" not in show.output


def test_runs_on_empty_root(tmp_path):
    out = CliRunner().invoke(runs_cmd, ["--results", str(tmp_path / "none")])
    assert out.exit_code == 0 and "No runs under" in out.output


def test_error_groups_ignore_what_names_one_trial(tmp_path):
    """Ray's copies of one failure differ in trial names, actor ids and pids: one group."""
    writer = R.RunWriter(str(tmp_path), sweep="e", run_id="re", flush_interval_s=60)
    writer.write_run({**run_record("e", "re"), "status": "failed"})
    for k in range(3):
        message = (f"The actor died unexpectedly: actor_id={k:02x}b350da9a0dcb5f29c3760201000000, pid={4000 + k}, "
                   f"ip=127.0.0.1, trial train_ab12c_{k:05d} (raysweep id t{k}xxxxx)")
        writer.add_trial({"trial_id": f"t{k}xxxxx", "trial_index": k, "status": "errored",
                          "error_type": "ActorDiedError", "error_message": message,
                          "config_json": "{}"})
    writer.add_trial({"trial_id": "t9", "trial_index": 9, "status": "errored",
                      "error_type": "ValueError", "error_message": "bad lr 0.6369616873214543",
                      "config_json": "{}"})
    writer.close()
    groups = R.error_groups(R.load_trials(str(tmp_path)))
    assert groups["n_trials"].tolist() == [3, 1]
    assert groups.loc[0, "error_message"] == ("The actor died unexpectedly: actor_id=<id>, pid=<pid>, "
                                              "ip=<ip>, trial <trial> (raysweep id <trial>)")
    assert groups.loc[0, "trial_ids"] == ["t0xxxxx", "t1xxxxx", "t2xxxxx"]
    assert groups.loc[1, "error_message"] == "bad lr 0.6369616873214543"  # numbers are kept
