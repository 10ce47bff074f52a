"""The three datasets read with plain pandas, pyarrow.dataset and DuckDB: no raysweep code."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from ._store import write_run

BEST_PER_SWEEP = """
SELECT t.sweep,
       CASE WHEN any_value(r.mode) = 'max' THEN max(t.metric_best)
            ELSE min(t.metric_best) END AS best_value
FROM read_parquet('{root}/trials/*/*/*.parquet', hive_partitioning = true,
                  union_by_name = true) AS t
JOIN read_parquet('{root}/runs/*/*/*.parquet', hive_partitioning = true,
                  union_by_name = true) AS r
  USING (sweep, run)
GROUP BY t.sweep
ORDER BY t.sweep
"""


def _store(tmp_path):
    root = str(tmp_path)
    write_run(root, "mf_tpe", "r1", offset=0)
    write_run(root, "mf_tpe", "r2", offset=1, scale=3.0)
    write_run(root, "mlp", "r3", offset=2, mode="min", scale=0.5)
    return root


def test_plain_pandas_reads_every_dataset(tmp_path):
    root = _store(tmp_path)
    trials = pd.read_parquet(f"{root}/trials")
    assert len(trials) == 9 and set(trials["sweep"].astype(str)) == {"mf_tpe", "mlp"}
    iters = pd.read_parquet(f"{root}/iterations", filters=[("sweep", "=", "mlp")])
    assert len(iters) == 12 and set(iters["run"].astype(str)) == {"r3"}
    runs = pd.read_parquet(f"{root}/runs")
    assert sorted(runs["run"].astype(str)) == ["r1", "r2", "r3"]


def test_pyarrow_dataset_with_hive_partitioning(tmp_path):
    root = _store(tmp_path)
    part = ds.partitioning(pa.schema([("sweep", pa.string()), ("run", pa.string())]),
                           flavor="hive")
    table = ds.dataset(f"{root}/iterations", format="parquet", partitioning=part).to_table(
        filter=(ds.field("sweep") == "mf_tpe") & (ds.field("run") == "r2"))
    assert table.num_rows == 12
    assert max(table.column("score").to_pylist()) == 36.0
    runs = ds.dataset(f"{root}/runs", partitioning=part).to_table()
    assert set(runs.column("status").to_pylist()) == {"finished"}


def test_duckdb_best_value_per_sweep(tmp_path):
    root = _store(tmp_path)
    rows = duckdb.sql(BEST_PER_SWEEP.format(root=root)).fetchall()
    # mf_tpe: max over r1 (best 12) and r2 (best 36); mlp minimises: min over 0.5 * (k+1) * 1
    assert rows == [("mf_tpe", 36.0), ("mlp", 0.5)]
