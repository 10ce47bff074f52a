"""``checkpoint_path`` in the trials dataset: ``best_checkpoint``, ``best --checkpoint`` and ``show``'s
``ckpt`` column on stores built by the writer (no Ray), older files without the column included."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from raysweep import StorageError
from raysweep import results as R
from raysweep.cli._results import best_cmd, show_cmd
from raysweep.results._views import checkpoint_location

from ._store import write_run


def _with_checkpoints(root: str, ids: list[str], paths: dict[int, str]) -> None:
    """Give trial k (0-based) of run r1 the stored ``checkpoint_path`` ``paths[k]``."""
    writer = R.RunWriter(root, sweep="mf", run_id="r1", flush_interval_s=60)
    trials = R.load_trials(root, sweeps="mf")
    for k, path in paths.items():
        row = trials[trials["trial_id"] == ids[k]].iloc[0]
        keep = {c: row[c] for c in ("trial_id", "trial_index", "status", "config_json", "metric",
                                    "metric_best", "metric_last", "iterations", "attempts")}
        keep.update(R.config_columns(json.loads(row["config_json"])))
        writer.add_trial({**keep, "trial_index": int(keep["trial_index"]),
                          "iterations": int(keep["iterations"]), "attempts": int(keep["attempts"]),
                          "checkpoint_path": path})
    writer.close()


def test_best_checkpoint_joins_the_root_and_show_marks_the_trials_with_one(tmp_path):
    root = str(tmp_path)
    ids = write_run(root, "mf", "r1")  # trial 2 is the best (score max)
    _with_checkpoints(root, ids, {2: "_ray/mf/r1/t2/checkpoint_000003", 0: "/elsewhere/ckpt"})
    location, trial = R.best_checkpoint("mf", root=root)
    assert location == f"{root}/_ray/mf/r1/t2/checkpoint_000003"
    assert trial["trial_id"] == ids[2]
    out = CliRunner().invoke(best_cmd, ["mf", "--checkpoint", "--results", root])
    assert out.exit_code == 0 and out.output == f"{location}\n"
    out = CliRunner().invoke(best_cmd, ["mf", "--checkpoint", "--json", "--results", root])
    assert json.loads(out.output)["checkpoint"] == location
    # --where picks another trial: its own checkpoint (an absolute one stays as stored).
    assert R.best_checkpoint("mf", root=root, where="config.lr > 0.05")[0] == "/elsewhere/ckpt"
    with pytest.raises(StorageError, match="has no checkpoint"):
        R.best_checkpoint("mf", root=root, where="config.lr < 0.05 and config.lr > 0.005")

    show = CliRunner().invoke(show_cmd, ["mf", "--results", root], terminal_width=200)
    assert show.exit_code == 0, show.output
    rows = {r.split("│")[2].strip(): r.split("│")[7].strip()
            for r in show.output.splitlines() if r.startswith("│ ")}
    assert rows == {ids[0]: "yes", ids[1]: "-", ids[2]: "yes"}
    every = CliRunner().invoke(show_cmd, ["mf", "--all-runs", "--results", root],
                               terminal_width=200)
    assert every.exit_code == 0 and "ckpt" in every.output and "yes" in every.output


def test_files_without_the_column_read_as_no_checkpoint(tmp_path):
    root = str(tmp_path)
    write_run(root, "mf", "r1")
    for path in (tmp_path / "trials").rglob("*.parquet"):  # as written before checkpoint_path
        table = pq.read_table(path, partitioning=None)
        pq.write_table(table.drop_columns(["checkpoint_path"]), path)
    assert R.load_trials(root)["checkpoint_path"].isna().all()
    with pytest.raises(StorageError, match=r"has no checkpoint.*Sweep\(checkpoint=") as info:
        R.best_checkpoint("mf", root=root)
    assert "tune.report(metrics, checkpoint=tune.Checkpoint.from_directory" in str(info.value)
    out = CliRunner().invoke(best_cmd, ["mf", "--checkpoint", "--results", root])
    assert out.exit_code != 0 and isinstance(out.exception, StorageError)
    show = CliRunner().invoke(show_cmd, ["mf", "--results", root], terminal_width=200)
    assert show.exit_code == 0 and "ckpt" in show.output


def test_a_relative_checkpoint_path_becomes_a_uri_under_an_s3_root():
    stored = "_ray/mf/r1/t/checkpoint_000001"
    assert checkpoint_location("s3://bucket/team/results/", stored) == \
        f"s3://bucket/team/results/{stored}"
    assert checkpoint_location("s3://b/r", "gs://other/ckpt") == "gs://other/ckpt"
    assert checkpoint_location("s3://b/r", None) is None
    assert checkpoint_location("s3://b/r", float("nan")) is None
