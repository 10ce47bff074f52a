"""The three datasets read with plain pandas, pyarrow.dataset, polars and DuckDB: no raysweep code."""

from __future__ import annotations

import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from raysweep.results import RunWriter, config_columns

from ._store import write_run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results.md"

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


def _docs_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    return next(b for b in blocks if b.startswith(marker))


# What each sweep's trials were given: sweep -> [(trial_id, config)]. Sweep "b" has a column "a"
# lacks (depth), lacks one "a" has (opt.dim), and an integer where "a" has a float (lr).
CONFIGS = {
    "a": [(f"a{k}", {"lr": 10.0 ** -(k + 1), "opt": {"dim": 16 * (k + 1)}}) for k in range(3)],
    "b": [(f"b{k}", {"lr": k + 1, "depth": 3 + k, "act": "relu"}) for k in range(2)],
}


def _cross_sweep_store(root: str) -> None:
    for sweep, trials in CONFIGS.items():
        writer = RunWriter(root, sweep=sweep, run_id=f"run-{sweep}", flush_interval_s=60)
        for k, (tid, config) in enumerate(trials):
            writer.add_trial({"trial_id": tid, "trial_index": k, "status": "completed",
                              **config_columns(config), "metric_best": float(k)})
        writer.close()


def _same_as_written(frame: pd.DataFrame) -> None:
    assert len(frame) == 5
    for sweep, trials in CONFIGS.items():
        for tid, config in trials:
            row = frame[frame["trial_id"] == tid]
            assert len(row) == 1, tid
            row = row.iloc[0]
            assert (str(row["sweep"]), str(row["run"])) == (sweep, f"run-{sweep}")
            for name, expected in config_columns(config).items():
                assert row[name] == expected, (tid, name)
            missing = {"config.lr", "config.opt.dim", "config.depth", "config.act"} - set(
                config_columns(config))
            for name in missing:
                assert row[name] is None or (isinstance(row[name], float) and math.isnan(row[name]))


def test_cross_sweep_trials_read_the_documented_way_in_pyarrow_pandas_polars(tmp_path):
    root = str(tmp_path)
    _cross_sweep_store(root)
    # The naive ways lose data: this is why the documented way exists.
    assert "config.depth" not in pd.read_parquet(f"{root}/trials").columns
    scope: dict = {"root": root}
    exec(_docs_block("# cross-sweep read"), scope)
    _same_as_written(scope["table"].to_pandas())
    _same_as_written(scope["frame"])
    _same_as_written(scope["lazy"].collect().to_pandas())


def test_cross_sweep_trials_in_duckdb_with_union_by_name(tmp_path):
    root = str(tmp_path)
    _cross_sweep_store(root)
    frame = duckdb.sql(f"SELECT * FROM read_parquet('{root}/trials/*/*/*.parquet', "
                       "hive_partitioning = true, union_by_name = true)").df()
    frame = frame.astype(object).where(frame.notna(), None)
    _same_as_written(frame)


@pytest.mark.parametrize("dataset", ["iterations", "runs"])
def test_the_documented_way_reads_the_other_datasets_too(tmp_path, dataset):
    root = str(tmp_path)
    write_run(root, "mf", "r1")
    write_run(root, "mlp", "r2", mode="min")
    block = _docs_block("# cross-sweep read").replace('f"{root}/trials"', f'f"{{root}}/{dataset}"')
    scope: dict = {"root": root}
    exec(block, scope)
    expected = len(pd.read_parquet(f"{root}/{dataset}"))
    assert scope["table"].num_rows == len(scope["frame"]) == expected
    assert scope["lazy"].collect().height == expected
