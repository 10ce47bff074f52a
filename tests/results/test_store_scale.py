"""The store-scale paths on a reduced store (3 runs x 300 trials x 20 iterations, no Ray).

Built with the writer from ``_scale_store`` (the same data as ``benchmarks/store_scale.py``);
every figure is checked against the values the generator reported (its ground truth), never
against raysweep's own view. Compaction is made to split (``rows_per_file=2000``) so the
multi-file layout of a 10,000-trial run is exercised.
"""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from raysweep import compare
from raysweep import results as R
from raysweep.cli._compare import compare_cmd, report_cmd
from raysweep.cli._results import best_cmd, runs_cmd, show_cmd
from raysweep.compare._downsample import FULL_CURVES_MAX, report_curves

from . import _scale_store as S

TRIALS, ITERS, ROWS_PER_FILE = 300, 20, 2000
RUNS = (("recsys_0", "run000"), ("recsys_1", "run001"), ("recsys_0", "run002"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    truth = {}
    for i, (sweep, run) in enumerate(RUNS):
        truth[run] = S.write_run(str(root), sweep, run, trials=TRIALS, iters=ITERS, seed=100 + i,
                                 offset_min=i, flush_rows=1000, rows_per_file=ROWS_PER_FILE)
    return root, truth


def _ranked(truth: dict) -> list[str]:
    """Trial ids best first (max mode), ties by creation order."""
    order = {tid: k for k, tid in enumerate(truth["trial_ids"])}
    return sorted(truth["best"], key=lambda t: (-truth["best"][t], order[t]))


def _files(root: Path, dataset: str, sweep: str, run: str) -> list[Path]:
    return sorted((root / dataset / f"sweep={sweep}" / f"run={run}").glob("*.parquet"))


def test_compaction_leaves_a_few_range_files_that_raw_readers_agree_with(store):
    root, truth = store
    rows = sum(len(c) for c in truth["run000"]["curves"].values())
    files = _files(root, "iterations", "recsys_0", "run000")
    assert truth["run000"]["files_before_compaction"] >= 10  # part files while it ran
    assert len(files) == math.ceil(rows / ROWS_PER_FILE) == 3
    assert [f.name.rsplit("-", 1)[-1] for f in files] == ["001of003.parquet", "002of003.parquet",
                                                          "003of003.parquet"]
    assert len(_files(root, "trials", "recsys_0", "run000")) == 1
    # Raw pyarrow sees exactly one row per key, in key order across the range files.
    raw = [pq.read_table(f, columns=["trial_id", "training_iteration"]) for f in files]
    keys = [(t, i) for table in raw for t, i in zip(table["trial_id"].to_pylist(),
                                                    table["training_iteration"].to_pylist(),
                                                    strict=True)]
    assert len(keys) == len(set(keys)) == rows
    assert keys == sorted(keys)


def test_iterations_read_back_exactly(store):
    root, truth = store
    its = R.load_iterations(str(root), sweeps="recsys_0", runs="run000", columns=["score"])
    assert set(its.columns) >= {"trial_id", "training_iteration", "score"}
    assert "loss" not in its and "hostname" not in its  # only the columns asked for
    for tid, group in its.groupby("trial_id"):
        curve = truth["run000"]["curves"][tid]
        assert group["training_iteration"].tolist() == list(range(1, len(curve) + 1))
        np.testing.assert_array_equal(group["score"].to_numpy(), curve)
    assert its["trial_id"].nunique() == TRIALS


def test_runs_show_best_against_the_generated_values(store):
    root, truth = store
    overview = R.runs_overview(str(root)).set_index("run")
    for _, run in RUNS:
        errored = len(truth[run]["errored"])
        assert overview.loc[run, "n_completed"] == TRIALS - errored
        assert overview.loc[run, "n_errored"] == errored == TRIALS // 50
        assert overview.loc[run, "best_value"] == max(truth[run]["best"].values())
    top, _ = R.top_trials(str(root), "run001", k=10)
    assert list(top["trial_id"]) == _ranked(truth["run001"])[:10]
    config, _ = R.best_config("recsys_0", root=str(root))
    candidates = {**truth["run000"]["best"], **truth["run002"]["best"]}
    winner = max(candidates, key=candidates.get)
    configs = {**truth["run000"]["configs"], **truth["run002"]["configs"]}
    assert config == configs[winner]
    runner = CliRunner()
    out = runner.invoke(runs_cmd, ["--results", str(root)], terminal_width=220)
    assert out.exit_code == 0, out.output
    assert f"{TRIALS - TRIALS // 50} done, {TRIALS // 50} errored" in out.output
    out = runner.invoke(best_cmd, ["recsys_0", "--results", str(root)])
    assert out.exit_code == 0 and json.loads(out.output) == configs[winner]
    out = runner.invoke(show_cmd, ["run001", "--results", str(root)], terminal_width=220)
    assert out.exit_code == 0 and _ranked(truth["run001"])[0] in out.output


def test_reads_touch_only_the_selected_partitions(store, tmp_path):
    root, truth = store
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    for dataset in ("trials", "iterations"):  # run002 is of the same sweep as run000
        for path in _files(copy, dataset, "recsys_0", "run002"):
            path.write_bytes(b"not parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a read of run002's files would warn (skipped file)
        top, _ = R.top_trials(str(copy), "run000", k=3)
        assert list(top["trial_id"]) == _ranked(truth["run000"])[:3]
        config, _ = R.best_config("recsys_0", root=str(copy), run="run000")
        assert config == truth["run000"]["configs"][_ranked(truth["run000"])[0]]
        comp = compare.load(["run000", "run001"], str(copy))
    assert set(comp.iterations["run"]) == {"run000", "run001"}
    # Only the columns a comparison uses are read.
    assert {"loss", "hostname", "node_id", "time_total_s"}.isdisjoint(comp.iterations.columns)
    with pytest.warns(R.ResultsWarning):  # and the corrupt files are really there
        R.load_trials(str(copy), sweeps="recsys_0")


def test_compare_and_report_downsample_but_keep_the_best_curves_exactly(store, tmp_path):
    root, truth = store
    comp = compare.load(["run000", "run001"], str(root))
    summary = compare.run_summary(comp).set_index("run")
    for run in ("run000", "run001"):
        assert summary.loc[run, "best_value"] == max(truth[run]["best"].values())
        assert summary.loc[run, "iterations"] == sum(len(c) for c in truth[run]["curves"].values())
    assert TRIALS > FULL_CURVES_MAX
    curves, bands = report_curves(comp, top=5)
    for run in ("run000", "run001"):
        mine = curves[curves["run"] == run]
        assert set(mine["trial_id"]) == set(_ranked(truth[run])[:5])
        for tid, group in mine.groupby("trial_id"):
            np.testing.assert_array_equal(group["value"].to_numpy(), truth[run]["curves"][tid])
        band = bands[bands["run"] == run].set_index("training_iteration")
        reported = [sum(len(c) >= i for c in truth[run]["curves"].values())
                    for i in range(1, ITERS + 1)]
        assert band["n"].tolist() == reported
        first = np.array([c[0] for c in truth[run]["curves"].values()])
        assert band.loc[1, "q50"] == pytest.approx(float(np.median(first)))
    runner = CliRunner()
    out = runner.invoke(compare_cmd, ["run000", "run001", "--results", str(root)],
                        terminal_width=250)
    assert out.exit_code == 0, out.output
    assert f"{max(truth['run001']['best'].values()):.4g}" in out.output
    html = tmp_path / "r.html"
    out = runner.invoke(report_cmd, ["run000", "run001", "--results", str(root), "-o", str(html)])
    assert out.exit_code == 0, out.output
    text = html.read_text()
    assert "median, 25-75 % and 5-95 % quantiles" in text  # the footer says what was dropped
    # plotly.js (~2 MB) plus figures far smaller than every point of every curve.
    assert html.stat().st_size < 3.5 * 2**20
