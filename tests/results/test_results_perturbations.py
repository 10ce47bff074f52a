"""The ``perturbations`` dataset: written by RunWriter, read by load_perturbations, de-duplicated by
(trial_id, time_value), compacted like the others; and the execution layer's row of one exploit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from raysweep import results


def _row(trial, time_value, source="b", lr=0.1, ts=0):
    return {"trial_id": trial, "source_trial_id": source, "time_attr": "training_iteration",
            "time_value": float(time_value), "training_iteration": int(time_value),
            "source_training_iteration": int(time_value), "metric": "loss", "value": 2.0,
            "source_value": 1.0, "config_before_json": "{}", "source_config_json": "{}",
            "config_json": json.dumps({"lr": lr}), "resampled": "[]", "perturbed": '["lr"]',
            "operations_json": '{"lr":"* 1.2"}',
            "timestamp": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=ts)}


def test_written_read_and_deduplicated(tmp_path):
    root = str(tmp_path)
    assert results.load_perturbations(root).empty  # no dataset yet: the fixed columns, no rows
    writer = results.RunWriter(root, sweep="s", run_id="r", flush_interval_s=60)
    writer.add_perturbation(_row("a", 4))
    writer.flush()
    writer.add_perturbation(_row("a", 4, lr=0.2, ts=5))  # the same exploit again (a resume): last wins
    writer.add_perturbation(_row("c", 2, source="a"))
    writer.close()
    frame = results.load_perturbations(root, sweeps="s")
    assert list(frame["trial_id"]) == ["c", "a"]  # in time order
    assert json.loads(frame.loc[1, "config_json"]) == {"lr": 0.2}
    assert frame["source_training_iteration"].tolist() == [2, 4]
    assert (tmp_path / "perturbations" / "sweep=s" / "run=r").is_dir()


def test_the_row_of_an_exploit_names_resampled_and_perturbed_keys():
    from raysweep.execution.tune._pbt import perturbation_row

    event = {"time": 4, "iteration": 4, "source_iteration": 4, "metric": "loss", "value": 3.0,
             "source_value": 1.0, "config_before": {"lr": 0.1, "opt": {"wd": 0.0, "k": 1}},
             "source_config": {"lr": 0.2, "opt": {"wd": 0.01, "k": 4}},
             "config_after": {"lr": 0.24, "opt": {"wd": 0.05, "k": 16}},
             "operations": {"lr": "* 1.2", "opt": {"wd": "resample", "k": "shift right"}}}
    row = perturbation_row(event, "t1", "t2", "training_iteration", ["lr", "opt.wd", "opt.k"])
    assert (row["trial_id"], row["source_trial_id"], row["time_value"]) == ("t1", "t2", 4.0)
    assert json.loads(row["resampled"]) == ["opt.wd"]
    assert json.loads(row["perturbed"]) == ["lr", "opt.k"]
    assert json.loads(row["operations_json"]) == {"lr": "* 1.2", "opt.k": "shift right",
                                                  "opt.wd": "resample"}
    assert json.loads(row["config_json"])["opt"] == {"k": 16, "wd": 0.05}
    pb2 = perturbation_row({**event, "operations": {}}, "t1", "t2", "training_iteration", ["lr"])
    assert json.loads(pb2["operations_json"]) == {"lr": "pb2"}
