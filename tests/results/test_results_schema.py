"""Schema v2: one source of truth for columns and row types; v1 files still read."""

from __future__ import annotations

import typing

import pyarrow as pa
import pyarrow.parquet as pq

from raysweep import results as R
from raysweep.results import _schema
from tests.results._store import run_record, write_run

V2_RUN = {"driver_host", "driver_pid", "resumes", "job_id", "submitted_from", "warm_start_runs",
          "n_warm_start"}


def test_row_types_and_column_dicts_agree():
    for row_type, columns in ((R.RunRow, _schema.RUN_COLUMNS), (R.TrialRow, _schema.TRIAL_COLUMNS),
                              (R.IterationRow, _schema.ITERATION_COLUMNS)):
        hints = typing.get_type_hints(row_type)
        assert set(hints) - {"sweep", "run"} == set(columns)
        assert {"sweep", "run"} <= set(hints)
    assert R.SCHEMA_VERSION == 2
    assert V2_RUN <= set(_schema.RUN_COLUMNS)
    assert _schema.RUN_COLUMNS["driver_pid"] == pa.int64()
    assert "node_ip" in _schema.TRIAL_COLUMNS and "node_ip" in _schema.ITERATION_COLUMNS


def test_reserved_columns_cover_partitions_and_iteration_columns():
    assert isinstance(R.RESERVED_COLUMNS, frozenset)
    assert {"sweep", "run", "attempt", "trial_id", "training_iteration", "node_ip"} <= R.RESERVED_COLUMNS
    assert "score" not in R.RESERVED_COLUMNS


def test_v2_columns_round_trip(tmp_path):
    writer = R.RunWriter(str(tmp_path), sweep="s", run_id="r", flush_interval_s=60)
    writer.write_run({**run_record("s", "r"), "driver_host": "h1", "driver_pid": 4242,
                      "resumes": 1, "warm_start_runs": '["a","b"]', "n_warm_start": 7})
    writer.add_trial({"trial_id": "t", "trial_index": 0, "status": "running", "node_ip": "10.0.0.1",
                      "node_id": "ab" * 28})
    writer.add_iteration({"trial_id": "t", "attempt": 1, "training_iteration": 1,
                          "node_ip": "10.0.0.1", "score": 1.0})
    writer.close()
    run = R.list_runs(str(tmp_path)).iloc[0]
    assert (run["driver_host"], run["driver_pid"], run["resumes"], run["n_warm_start"]) == (
        "h1", 4242, 1, 7)
    assert R.load_trials(str(tmp_path)).loc[0, "node_ip"] == "10.0.0.1"
    assert R.load_iterations(str(tmp_path)).loc[0, "node_ip"] == "10.0.0.1"


def test_schema_v1_files_read_with_null_v2_columns(tmp_path):
    write_run(str(tmp_path), "s", "r1", n_trials=2, n_iter=2)
    v2_only = {"runs": V2_RUN, "trials": {"node_ip"}, "iterations": {"node_ip"}}
    for dataset, names in v2_only.items():  # rewrite every file as schema v1 wrote it
        for path in (tmp_path / dataset).rglob("*.parquet"):
            table = pq.read_table(path, partitioning=None)
            pq.write_table(table.drop_columns([n for n in names if n in table.column_names]), path)
    runs = R.list_runs(str(tmp_path))
    assert V2_RUN <= set(runs.columns)
    assert runs[sorted(V2_RUN)].isna().all().all()
    trials = R.load_trials(str(tmp_path))
    assert len(trials) == 2 and trials["node_ip"].isna().all()
    iters = R.load_iterations(str(tmp_path))
    assert len(iters) == 4 and iters["node_ip"].isna().all()
