"""The ``rungs`` dataset through the writer alone (no Ray): keys, exactly-once, compaction, reads."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from raysweep import results
from raysweep.results import RungDecision, RunWriter

from ._store import T0, run_record


def _rung(trial: str, milestone: float, decision: str, value: float, cutoff, seconds: int) -> dict:
    return {"trial_id": trial, "bracket": 0, "milestone": milestone, "time_attr": "training_iteration",
            "time_value": milestone, "metric": "score", "value": value, "cutoff": cutoff,
            "rung_size": None if cutoff is None else 1, "decision": decision,
            "timestamp": T0 + timedelta(seconds=seconds)}


def test_rungs_round_trip_and_last_decision_wins_across_writers(tmp_path):
    root = str(tmp_path)
    first = RunWriter(root, sweep="s", run_id="r1")
    first.write_run(run_record("s", "r1"))
    first.add_rung(_rung("a", 1, "promoted", 0.5, None, 1))
    first.add_rung(_rung("b", 1, "stopped", 0.1, 0.5, 2))
    first.add_rung(_rung("a", 3, "promoted", 0.6, 0.4, 3))
    first.flush()  # a crashed driver: flushed, never compacted
    # A resumed driver re-decides trial a at rung 3 (Ray's ASHA restarts with empty rungs).
    second = RunWriter(root, sweep="s", run_id="r1")
    second.add_rung(_rung("a", 3, "stopped", 0.6, 0.7, 10))
    second.add_rung(_rung("a", 3, "stopped", 0.6, 0.7, 11))  # buffered twice: last one kept
    second.close()

    rungs = results.load_rungs(root, sweeps="s", runs="r1")
    assert list(zip(rungs["trial_id"], rungs["milestone"], rungs["decision"], strict=True)) == [
        ("a", 1.0, "promoted"), ("b", 1.0, "stopped"), ("a", 3.0, "stopped")]
    assert rungs.loc[2, "cutoff"] == 0.7 and pd.isna(rungs.loc[0, "cutoff"])
    assert set(rungs["decision"]) <= set(results.RUNG_DECISIONS)
    assert RungDecision.STOPPED == "stopped"
    # Compaction left one file: a raw reader sees exactly raysweep's rows.
    files = list((tmp_path / "rungs" / "sweep=s" / "run=r1").glob("*.parquet"))
    assert len(files) == 1
    raw = pd.read_parquet(files[0])
    assert len(raw) == 3 and "sweep" not in raw.columns
    assert set(raw.columns) == set(results.RungRow.__annotations__) - {"sweep", "run"}


def test_a_store_without_rungs_reads_empty_with_the_fixed_columns(tmp_path):
    root = str(tmp_path)
    with RunWriter(root, sweep="s", run_id="r1") as writer:
        writer.write_run(run_record("s", "r1"))
    rungs = results.load_rungs(root)
    assert rungs.empty
    assert {"trial_id", "milestone", "cutoff", "decision", "bracket"} <= set(rungs.columns)


def test_show_rungs_prints_each_decision_and_says_when_there_is_none(tmp_path):
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    root = str(tmp_path)
    with RunWriter(root, sweep="s", run_id="r1") as writer:
        writer.write_run({**run_record("s", "r1"), "scheduler": "asha"})
        writer.add_rung(_rung("trial-a", 1, "promoted", 0.5, None, 1))
        writer.add_rung(_rung("trial-b", 1, "stopped", 0.125, 0.375, 2))
    with RunWriter(root, sweep="fifo_sweep", run_id="r2") as writer:
        writer.write_run(run_record("fifo_sweep", "r2"))
    out = CliRunner().invoke(raysweep, ["show", "s", "--rungs", "--results", root],
                             terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "1 promoted, 1 stopped" in out.output
    lines = [line for line in out.output.splitlines() if "trial-" in line]
    assert len(lines) == 2 and "promoted" in lines[0] and "stopped" in lines[1]
    assert "0.375" in lines[1] and "0.125" in lines[1]
    out = CliRunner().invoke(raysweep, ["show", "r2", "--rungs", "--results", root])
    assert out.exit_code == 0 and "no ASHA rung decision recorded (scheduler: fifo)" in out.output
    out = CliRunner().invoke(raysweep, ["show", "nope", "--rungs", "--results", root])
    assert out.exit_code == 2


def test_show_rungs_of_mo_asha_prints_every_objective_its_front_and_position(tmp_path):
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    root = str(tmp_path)
    multi = {"objectives_json": '[["err","min"],["mb","min"]]', "cutoff": None}
    with RunWriter(root, sweep="m", run_id="r1") as writer:
        writer.write_run({**run_record("m", "r1"), "scheduler": "asha"})
        writer.add_rung({**_rung("trial-a", 1, "promoted", 0.5, None, 1), **multi,
                         "values_json": '{"err": 0.5, "mb": 2.0}', "nd_rank": 0, "position": 0})
        writer.add_rung({**_rung("trial-b", 1, "stopped", 0.75, None, 2), **multi,
                         "values_json": '{"err": 0.75, "mb": 3.0}', "nd_rank": 1, "position": 1})
    out = CliRunner().invoke(raysweep, ["show", "m", "--rungs", "--results", root], terminal_width=220)
    assert out.exit_code == 0, out.output
    assert "MO-ASHA rungs" in out.output and "worse than the cutoff" not in out.output
    lines = [line for line in out.output.splitlines() if "trial-" in line]
    assert "err=0.5 mb=2" in lines[0] and "promoted" in lines[0]
    assert "err=0.75 mb=3" in lines[1] and "stopped" in lines[1]
