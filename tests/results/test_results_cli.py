"""`raysweep runs`, `show` and `best` on a store built by the writer (no Ray)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from raysweep.cli._results import best_cmd, runs_cmd, show_cmd

from ._store import write_run


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


def test_unknown_targets_fail_with_a_storage_error(tmp_path):
    root = _store(tmp_path)
    out = CliRunner().invoke(best_cmd, ["nope", "--results", root])
    assert out.exit_code != 0 and "raysweep runs" in str(out.exception)
    out = CliRunner().invoke(show_cmd, ["nope", "--results", root])
    assert out.exit_code != 0 and "raysweep runs" in str(out.exception)


def test_runs_on_empty_root(tmp_path):
    out = CliRunner().invoke(runs_cmd, ["--results", str(tmp_path / "none")])
    assert out.exit_code == 0 and "No runs under" in out.output
