"""Exactly once after retries and resumes: one row per (trial, iteration), never mixing attempts.

Ground truth is a replay of the trainable's own report log (what it reported, in order), not
raysweep's view: an attempt that starts at iteration k discards every iteration >= k of earlier
attempts, and a later report of an iteration replaces an earlier one.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd
import polars as pl
import pytest

from raysweep import results as R

from ._store import T0

# (trial, attempt, iteration, value) in the order the trainables reported them.
LOG = [
    *[("a", 1, i, 1.0 * i) for i in range(1, 8)],    # attempt 1 reaches 7 ...
    *[("b", 1, i, 100.0 + i) for i in range(1, 4)],  # b: attempt 1 reaches 3
    *[("c", 1, i, 50.0 + i) for i in range(1, 4)],    # c: never retried
    *[("a", 2, i, 20.0 * i) for i in (4, 5)],        # ... attempt 2 restarts from a checkpoint at 3
    *[("b", 2, i, 200.0 + i) for i in (1, 2)],       # b: attempt 2 restarts from scratch
    *[("b", 3, i, 300.0 + i) for i in (2,)],         # b: attempt 3 from a checkpoint at 1
]


def _drivers(log, cuts: tuple[int, ...]) -> list[int]:
    """Which driver (writer) reported each log entry: a new one at each cut (crash, then resume)."""
    return [sum(1 for c in cuts if c <= n) for n in range(len(log))]


def _replay(log, cuts: tuple[int, ...] = ()):
    """The trainables' final curves: a new attempt, or a trial's first report through a new
    driver (a resume restarts it from its checkpoint), discards every later iteration."""
    curves: dict[str, dict[int, tuple[int, float]]] = {}
    started: set[tuple[str, int, int]] = set()
    for (trial, attempt, iteration, value), driver in zip(log, _drivers(log, cuts), strict=True):
        curve = curves.setdefault(trial, {})
        if (trial, attempt, driver) not in started:
            started.add((trial, attempt, driver))
            for i in [i for i in curve if i >= iteration]:
                del curve[i]
        curve[iteration] = (attempt, value)
    return sorted((t, i, a, v) for t, c in curves.items() for i, (a, v) in c.items())


def _write(root: str, log, cuts: tuple[int, ...]) -> list[R.RunWriter]:
    """Write ``log`` through a new writer (a new driver: crash, then resume) at each cut."""
    writers: list[R.RunWriter] = []
    for n, ((trial, attempt, iteration, value), driver) in enumerate(
            zip(log, _drivers(log, cuts), strict=True)):
        if driver == len(writers):
            if writers:
                writers[-1].flush()  # the old driver got this far, then died
            writers.append(R.RunWriter(root, sweep="s", run_id="r", flush_interval_s=60))
        writers[-1].add_iteration({"trial_id": trial, "attempt": attempt,
                                   "training_iteration": iteration,
                                   "timestamp": T0 + timedelta(seconds=n), "loss": value})
        if n % 3 == 0:
            writers[-1].flush()
    writers[-1].flush()
    return writers


def _view(frame: pd.DataFrame):
    rows = frame[["trial_id", "training_iteration", "attempt", "loss"]].itertuples(index=False)
    return sorted((t, int(i), int(a), float(v)) for t, i, a, v in rows)


EXPECTED = _replay(LOG)


def test_ground_truth_replay_is_the_documented_example():
    a = [(i, att) for t, i, att, _ in EXPECTED if t == "a"]
    assert a == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]  # not 6-7 from attempt 1
    assert [(i, att) for t, i, att, _ in EXPECTED if t == "b"] == [(1, 2), (2, 3)]
    assert [(i, att) for t, i, att, _ in EXPECTED if t == "c"] == [(1, 1), (2, 1), (3, 1)]


def _check_every_reader(tmp_path, log, cuts):
    root = str(tmp_path)
    expected = _replay(log, cuts)
    writers = _write(root, log, cuts)
    assert _view(R.load_iterations(root)) == expected  # live: many part files, several writers
    projected = R.load_iterations(root, columns=["loss", "attempt"])  # reads the dedup columns too
    assert _view(projected) == expected
    writers[-1].close()  # the run ends: compaction applies the same rule physically
    assert _view(R.load_iterations(root)) == expected
    files = list((tmp_path / "iterations").rglob("*.parquet"))
    assert len(files) == 1
    raw_pandas = pd.read_parquet(f"{root}/iterations")
    assert _view(raw_pandas) == expected
    raw_polars = pl.read_parquet(f"{root}/iterations/**/*.parquet", hive_partitioning=True)
    assert _view(raw_polars.to_pandas()) == expected
    raw_duck = duckdb.sql(f"SELECT * FROM read_parquet('{root}/iterations/*/*/*.parquet', "
                          "hive_partitioning = true)").df()
    assert _view(raw_duck) == expected
    return expected


@pytest.mark.parametrize("cuts", [(), (10,), (5, 15, 17)])
def test_every_reader_sees_each_iteration_once_from_the_right_attempt(tmp_path, cuts):
    # Cuts here fall where no trial restarts: a new driver changes nothing in the curves.
    assert _check_every_reader(tmp_path, LOG, cuts) == EXPECTED


def test_a_resume_supersedes_even_when_the_trial_keeps_its_attempt_number(tmp_path):
    # Driver 1: trial a reaches 7, trial d ends at 2. Driver 1 dies; driver 2 (resume) restores a
    # from its checkpoint at 3 with the SAME attempt number (a driver crash is no trial failure).
    log = [*[("a", 1, i, 1.0 * i) for i in range(1, 8)], ("d", 1, 1, 9.0), ("d", 1, 2, 8.0),
           ("a", 1, 4, 40.0), ("a", 1, 5, 50.0)]
    expected = _check_every_reader(tmp_path, log, cuts=(9,))
    assert [(t, i, v) for t, i, _, v in expected] == [
        ("a", 1, 1.0), ("a", 2, 2.0), ("a", 3, 3.0), ("a", 4, 40.0), ("a", 5, 50.0),
        ("d", 1, 9.0), ("d", 2, 8.0)]


def test_single_attempt_trials_are_untouched(tmp_path):
    root = str(tmp_path)
    log = [("t", 1, i, float(i)) for i in range(1, 6)] + [("t", 1, 3, 33.0)]  # a re-report wins
    _write(root, log, ())[-1].close()
    assert _view(R.load_iterations(root)) == _replay(log)
    assert (3, 33.0) in [(i, v) for _, i, _, v in _view(R.load_iterations(root))]
