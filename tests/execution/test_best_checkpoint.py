"""``raysweep best SWEEP --checkpoint``: the best trial's best checkpoint that Ray keeps, and it loads.

Ground truth: each checkpoint holds the state its trainable saved (config, step, loss), and the
trainable logs every report to a file, so the test knows which trial is best and which of its
checkpoints Ray must still hold under each ``checkpoint=`` policy.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from ray import tune

from raysweep import StorageError, Sweep, checkpoints, space
from raysweep import results as R
from raysweep.cli._results import best_cmd, show_cmd
from raysweep.execution import run_sweep
from raysweep.execution.terminal._quiet import route_ray_logs

#: The loss of each report, times (1 + x): the best report of a trial is its second, the latest its
#: fourth; the trial with the smallest x is the best trial.
LOSSES = [0.5, 0.1, 0.4, 0.3]
X = [0.7, 0.2, 0.9]


def train(config):
    for step, base in enumerate(LOSSES, start=1):
        loss = base * (1 + config["x"])
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "state.json"), "w") as f:
                json.dump({"x": config["x"], "step": step, "loss": loss}, f)
            tune.report({"loss": loss, "acc": -loss}, checkpoint=tune.Checkpoint.from_directory(directory))


def no_checkpoint(config):
    for base in LOSSES:
        tune.report({"loss": base * (1 + config["x"])})


def _state(location: str) -> dict:
    """What the checkpoint at ``location`` holds, loaded the way a user loads it."""
    with tune.Checkpoint(location).as_directory() as directory:
        return json.loads((Path(directory) / "state.json").read_text())


@contextlib.contextmanager
def _late_worker_lines_aside(directory: Path) -> Iterator[None]:
    """Ray's log thread forwards a worker's last lines (Ray Train's "Checkpoint successfully
    created") up to a second after the run has returned, to this process's ``sys.stdout``, which
    the in-process CliRunner has replaced: route them to a log while the commands' output is read."""
    from rich.console import Console

    with route_ray_logs(str(directory), Console(file=io.StringIO())):
        yield


def _sweep(name, keep, trainable=train):
    return Sweep(name=name, trainable=trainable, space={"x": space.grid(X)}, metric="loss",
                 mode="min", searcher="grid", checkpoint=keep)


@pytest.mark.slow
@pytest.mark.parametrize(("keep", "step"), [
    (None, 4),  # default keep(num_to_keep=1): the latest is the only one left
    ({"num_to_keep": 1, "score": "loss"}, 2),  # the best by the score, which Ray keeps
    (checkpoints.keep(num_to_keep=3), 2),  # the latest 3 kept: the best of them by the sweep metric
    (checkpoints.keep(num_to_keep=1, score="acc", order="max"), 2),  # a score of its own
])
def test_best_checkpoint_exists_loads_and_holds_the_best_trials_state(ray_session, tmp_path, keep,
                                                                      step):
    summary = run_sweep(_sweep("bc", keep), results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"
    location, trial = R.best_checkpoint("bc", root=str(tmp_path))
    assert Path(location).is_absolute() and Path(location).is_dir()
    assert Path(location).is_relative_to(tmp_path / "_ray" / "bc" / summary.run_id)
    assert json.loads(trial["config_json"]) == {"x": min(X)}
    state = _state(location)
    assert state == {"x": min(X), "step": step, "loss": LOSSES[step - 1] * (1 + min(X))}

    # Every trial's pointer names a checkpoint Ray kept (none deleted after it was recorded).
    trials = R.load_trials(str(tmp_path), sweeps="bc")
    assert len(trials) == len(X) and trials["checkpoint_path"].notna().all()
    for _, row in trials.iterrows():
        held = _state(str(tmp_path / row["checkpoint_path"]))
        assert (held["x"], held["step"]) == (json.loads(row["config_json"])["x"], step)

    with _late_worker_lines_aside(tmp_path / "late"):
        out = CliRunner().invoke(best_cmd, ["bc", "--checkpoint", "--results", str(tmp_path)])
        json_out = CliRunner().invoke(best_cmd, ["bc", "--checkpoint", "--json", "--results",
                                                 str(tmp_path)])
        show = CliRunner().invoke(show_cmd, ["bc", "--results", str(tmp_path)], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert out.output == f"{location}\n"
    assert json_out.exit_code == 0, json_out.output
    assert json.loads(json_out.output) == {"checkpoint": location, "trial_id": trial["trial_id"],
                                           "run": summary.run_id, "config": {"x": min(X)}}
    assert show.exit_code == 0, show.output
    header = next(line for line in show.output.splitlines() if "trial_id" in line)
    column = [c.strip() for c in header.split("┃")].index("ckpt")
    rows = [line.split("│") for line in show.output.splitlines() if line.startswith("│ ")]
    assert len(rows) == len(X) and {r[column].strip() for r in rows} == {"yes"}


@pytest.mark.slow
def test_a_best_trial_without_checkpoint_is_a_clear_error(ray_session, tmp_path):
    summary = run_sweep(_sweep("nock", None, no_checkpoint), results_root=str(tmp_path),
                        progress=False)
    assert summary.status == "finished"
    assert R.load_trials(str(tmp_path), sweeps="nock")["checkpoint_path"].isna().all()
    with pytest.raises(StorageError, match=r"has no checkpoint.*tune\.report\(metrics, "
                                           r"checkpoint=.*Sweep\(checkpoint=checkpoints\.keep"):
        R.best_checkpoint("nock", root=str(tmp_path))
    out = CliRunner().invoke(best_cmd, ["nock", "--checkpoint", "--results", str(tmp_path)])
    assert out.exit_code != 0 and isinstance(out.exception, StorageError)
    show = CliRunner().invoke(show_cmd, ["nock", "--results", str(tmp_path)], terminal_width=200)
    assert show.exit_code == 0 and "ckpt" in show.output
