"""Writer and reader without Ray: round trip, exactly-once, pruning, corruption, schema evolution."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import pytest

from raysweep import ConfigError, StorageError, SweepNotFoundError
from raysweep import results as R

from ._store import T0, write_run


def test_round_trip_columns_and_types(tmp_path):
    ids = write_run(str(tmp_path), "mf", "r1", n_trials=3, n_iter=4)
    trials = R.load_trials(str(tmp_path))
    assert list(trials["trial_id"]) == ids
    assert list(trials["trial_index"]) == [0, 1, 2]
    assert set(trials["status"]) == {"completed"}
    assert list(trials["metric_best"]) == [4.0, 8.0, 12.0]
    assert list(trials["config.opt.dim"]) == [16, 32, 48]
    assert trials["config.lr"].dtype == "float64"
    assert list(trials.columns[:3]) == ["sweep", "run", "trial_id"]
    iters = R.load_iterations(str(tmp_path))
    assert len(iters) == 12
    assert str(iters["timestamp"].dtype) == "datetime64[us, UTC]"
    assert iters.groupby("trial_id")["training_iteration"].apply(list).tolist() == [[1, 2, 3, 4]] * 3
    runs = R.list_runs(str(tmp_path))
    assert runs.loc[0, "status"] == "finished" and runs.loc[0, "run"] == "r1"


def test_close_compacts_to_one_file_per_dataset(tmp_path):
    write_run(str(tmp_path), "mf", "r1")
    for dataset in ("trials", "iterations", "runs"):
        files = list((tmp_path / dataset / "sweep=mf" / "run=r1").glob("*.parquet"))
        assert len(files) == 1, (dataset, files)
    assert not list(tmp_path.rglob("*.tmp"))


def test_stable_trial_id_depends_on_sweep_config_and_index():
    a = R.stable_trial_id("s", {"a": 1, "b": {"c": 2}}, 3)
    assert a == R.stable_trial_id("s", {"b": {"c": 2}, "a": 1}, 3)  # key order irrelevant
    assert a != R.stable_trial_id("s", {"a": 1, "b": {"c": 2}}, 4)
    assert a != R.stable_trial_id("t", {"a": 1, "b": {"c": 2}}, 3)
    assert len(a) == 16


def test_exactly_once_across_attempts_and_writers(tmp_path):
    root = str(tmp_path)
    first = R.RunWriter(root, sweep="s", run_id="r", flush_interval_s=60)
    for i in (1, 2, 3):
        first.add_iteration({"trial_id": "t", "attempt": 1, "training_iteration": i,
                             "timestamp": T0 + timedelta(seconds=i), "score": float(i)})
    first.flush()  # a crash here; a resumed process retries the trial from scratch
    second = R.RunWriter(root, sweep="s", run_id="r", flush_interval_s=60)
    for i in (1, 2):
        second.add_iteration({"trial_id": "t", "attempt": 2, "training_iteration": i,
                              "timestamp": T0 + timedelta(minutes=5, seconds=i),
                              "score": 10.0 * i})
    second.flush()
    before = R.load_iterations(root)
    # attempt 2 restarted from scratch: attempt 1's iteration 3 is superseded, not mixed in
    assert before[["training_iteration", "attempt", "score"]].values.tolist() == [
        [1, 2, 10.0], [2, 2, 20.0]]
    second.close()
    after = R.load_iterations(root)
    assert after[["training_iteration", "attempt", "score"]].values.tolist() == (
        before[["training_iteration", "attempt", "score"]].values.tolist())
    assert len(list((tmp_path / "iterations").rglob("*.parquet"))) == 1


def test_trial_row_upsert_keeps_latest(tmp_path):
    writer = R.RunWriter(str(tmp_path), sweep="s", run_id="r", flush_interval_s=60)
    writer.add_trial({"trial_id": "t", "trial_index": 0, "status": "running"})
    writer.flush()
    writer.add_trial({"trial_id": "t", "trial_index": 0, "status": "errored",
                      "error_type": "ValueError"})
    writer.flush()
    trials = R.load_trials(str(tmp_path))
    assert trials[["status", "error_type"]].values.tolist() == [["errored", "ValueError"]]


def test_partition_pruning_reads_only_selected(tmp_path):
    root = str(tmp_path)
    write_run(root, "a", "r1", offset=0)
    write_run(root, "a", "r2", offset=1, scale=2)
    write_run(root, "b", "r3", offset=2)
    # A corrupt file in a partition that is not selected must not even be opened.
    (tmp_path / "trials" / "sweep=b" / "run=r3" / "zz-corrupt.parquet").write_bytes(b"junk")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        only_a = R.load_trials(root, sweeps="a")
        r2 = R.load_trials(root, sweeps=["a"], runs="r2")
    assert set(only_a["sweep"]) == {"a"} and set(only_a["run"]) == {"r1", "r2"}
    assert set(r2["run"]) == {"r2"} and r2["metric_best"].max() == 24.0
    assert R.load_trials(root, sweeps="nope").empty
    runs = R.list_runs(root)
    assert list(runs["run"]) == ["r3", "r2", "r1"]  # newest first
    assert R.latest_run("a", root=root) == "r2"
    with pytest.raises(SweepNotFoundError, match=r"Did you mean 'a'.*raysweep runs"):
        R.latest_run("A", root=root)


def test_corrupt_and_truncated_files_are_skipped_with_a_warning(tmp_path):
    root = str(tmp_path)
    write_run(root, "s", "r1", finish=False)
    part = tmp_path / "iterations" / "sweep=s" / "run=r1"
    good = sorted(part.glob("*.parquet"))[0]
    (part / "x-truncated.parquet").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (part / "y-garbage.parquet").write_bytes(b"PAR1 not really")
    (part / ".hidden.parquet.tmp").write_bytes(b"half written")
    with pytest.warns(R.ResultsWarning) as record:
        iters = R.load_iterations(root)
    assert len(record) == 2
    assert len(iters) == 12


def test_schema_evolution_metric_appears_later_and_types_promote(tmp_path):
    writer = R.RunWriter(str(tmp_path), sweep="s", run_id="r", flush_interval_s=60)
    writer.add_iteration({"trial_id": "t", "attempt": 1, "training_iteration": 1, "loss": 1})
    writer.add_trial({"trial_id": "t", "trial_index": 0, "status": "running", "config.x": 3})
    writer.flush()
    writer.add_iteration({"trial_id": "t", "attempt": 1, "training_iteration": 2, "loss": 0.5,
                          "acc": 0.9})
    writer.add_trial({"trial_id": "u", "trial_index": 1, "status": "running", "config.x": "abc"})
    writer.flush()
    iters = R.load_iterations(str(tmp_path))
    assert iters["acc"].isna().tolist() == [True, False]
    assert iters["loss"].tolist() == [1.0, 0.5]
    trials = R.load_trials(str(tmp_path))
    assert trials["config.x"].tolist() == ["3", "abc"]  # int vs str conflict: falls back to str
    writer.close()
    assert R.load_iterations(str(tmp_path))["acc"].isna().tolist() == [True, False]


def test_load_iterations_columns(tmp_path):
    write_run(str(tmp_path), "s", "r")
    iters = R.load_iterations(str(tmp_path), columns=["score", "missing"])
    assert list(iters.columns) == ["sweep", "run", "trial_id", "training_iteration", "score"]


def test_resolve_root(tmp_path, monkeypatch):
    monkeypatch.setenv("RAYSWEEP_RESULTS", str(tmp_path / "env"))
    assert R.resolve_root() == str(tmp_path / "env")
    assert R.resolve_root(tmp_path / "arg") == str(tmp_path / "arg")
    assert R.resolve_root("s3://bucket/prefix/") == "s3://bucket/prefix"
    monkeypatch.delenv("RAYSWEEP_RESULTS")
    monkeypatch.chdir(tmp_path)
    assert R.resolve_root() == str(tmp_path / "results")


@pytest.mark.parametrize(("location", "expected"), [
    ("/data/results/_ray/s/r", Path("/data/results/_ray/s/r")),
    ("results/_ray", Path("results/_ray")),
    ("file:///data/results/_ray/s/r", Path("/data/results/_ray/s/r")),
    ("file://localhost/data/a%20b", Path("/data/a b")),
    ("s3://bucket/prefix/_ray/s/r", None),
    ("s3://bucket/p?endpoint_override=127.0.0.1:9000&scheme=http", None),
    ("gs://bucket/p", None),
])
def test_local_path_never_turns_a_uri_into_a_local_path(location, expected):
    """``Path("s3://b/x")`` is ``s3:/b/x``, a local path: local_path says there is none."""
    assert R.local_path(location) == expected


@pytest.mark.parametrize("bad", ["", "a/b", "../x", "sweep=1", None])
def test_bad_partition_names_are_rejected(tmp_path, bad):
    with pytest.raises(StorageError, match="'sweep' parameter"):
        R.RunWriter(str(tmp_path), sweep=bad, run_id="r")


def test_bad_flush_interval(tmp_path):
    with pytest.raises(StorageError, match="flush_interval_s"):
        R.RunWriter(str(tmp_path), sweep="s", run_id="r", flush_interval_s=0)


def test_closed_writer_refuses_writes(tmp_path):
    writer = R.RunWriter(str(tmp_path), sweep="s", run_id="r")
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(StorageError, match="closed"):
        writer.add_trial({"trial_id": "t"})


def test_empty_store_reads_as_empty_frames(tmp_path):
    assert R.list_runs(str(tmp_path)).empty
    assert R.load_trials(str(tmp_path)).empty
    assert "training_iteration" in R.load_iterations(str(tmp_path)).columns


def test_strip_ansi_and_config_columns():
    assert R.strip_ansi("\x1b[31mboom\x1b[0m done") == "boom done"
    assert R.config_columns({"a": {"b": 1}, "c": (1, 2)}) == {"config.a.b": 1, "config.c": [1, 2]}


def test_a_file_as_results_root_is_bad_input_before_anything_is_written(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text("x")
    for root in (path, path / "sub"):
        with pytest.raises(ConfigError, match="is a file, not a directory"):
            R.RunWriter(str(root), sweep="s", run_id="r")  # what `raysweep run` opens first
        with pytest.raises(ConfigError, match="is a file, not a directory"):
            R.list_runs(str(root))
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "trials").write_text("x")
    with pytest.raises(ConfigError, match="trials"):
        R.load_trials(str(tmp_path / "ok"))
