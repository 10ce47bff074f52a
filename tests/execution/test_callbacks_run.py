"""``Sweep(callbacks=...)`` on a real local Ray: MLflow runs in a real sqlite store, W&B offline run
files, TensorBoard event files, and a user's own ``tune.Callback``, each holding exactly what the
Parquet store holds (the ground truth)."""

from __future__ import annotations

import json

import pytest
from ray import tune

from raysweep import Sweep, callbacks, results, space
from raysweep.execution import run_sweep


def train(config):
    for step in range(1, 4):
        tune.report({"loss": config["x"] / step})


class Recorder(tune.Callback):
    """Every report Tune passes to a callback: (trial id, training_iteration, loss)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, float]] = []

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.seen.append((trial.trial_id, result["training_iteration"], result["loss"]))


@pytest.mark.slow
def test_every_callback_logs_every_report_of_every_trial(ray_session, tmp_path, monkeypatch):
    # Tune's own default loggers off: the event files can only come from callbacks.tensorboard().
    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    mlflow_uri = f"sqlite:///{tmp_path}/mlflow.db"
    own = Recorder()
    sweep = Sweep(name="logged", trainable=train, space={"x": space.uniform(1.0, 2.0)},
                  metric="loss", mode="min", num_samples=2, seed=0,
                  callbacks=[callbacks.mlflow(tracking_uri=mlflow_uri, experiment_name="logged",
                                              tags={"team": "raysweep"}),
                             callbacks.wandb(project="raysweep-test", mode="offline"),
                             callbacks.tensorboard(), own])
    root = tmp_path / "results"
    summary = run_sweep(sweep, results_root=str(root), progress=False)
    assert summary.status == "finished" and summary.counts["completed"] == 2

    stored = results.load_iterations(str(root)).sort_values(["trial_id", "training_iteration"])
    truth = sorted(tuple(rows["loss"].tolist()) for _, rows in stored.groupby("trial_id"))
    assert len(truth) == 2 and all(len(h) == 3 for h in truth)

    # MLflow: one run per trial, each with the store's history of the metric.
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=mlflow_uri)
    experiment = client.get_experiment_by_name("logged")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 2 and all(r.data.tags.get("team") == "raysweep" for r in runs)
    logged = sorted(tuple(m.value for m in sorted(client.get_metric_history(r.info.run_id, "loss"),
                                                  key=lambda m: m.step)) for r in runs)
    assert logged == truth

    # The user's callback saw each report once.
    assert sorted(loss for *_, loss in own.seen) == sorted(stored["loss"].tolist())

    ray_dir = root / "_ray" / "logged" / summary.run_id
    # W&B offline: a run directory per trial, its run file holding every report of its trial (W&B
    # stores each logged value as its JSON text; a file cut short by the actor's death holds none).
    wandb_runs = sorted(ray_dir.glob("*/wandb/offline-run-*"))
    assert len(wandb_runs) == 2
    ray_ids = results.load_trials(str(root)).set_index("trial_id")["ray_trial_id"]
    for trial_id, rows in stored.groupby("trial_id"):
        (run_file,) = [f for run in wandb_runs for f in run.glob(f"run-{ray_ids[trial_id]}.wandb")]
        written = run_file.read_bytes()
        assert all(json.dumps(loss).encode() in written for loss in rows["loss"]), trial_id
    # TensorBoard: an event file per trial.
    events = sorted(ray_dir.glob("*/events.out.tfevents.*"))
    assert len(events) == 2 and all(e.stat().st_size > 0 for e in events)
