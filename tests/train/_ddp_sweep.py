"""The source of a sweep module whose trainable is a ``TorchTrainer`` of 2 CPU workers (DDP over
gloo). Every rank appends what it is about to report to ``<gt>/<train run>-r<rank>.jsonl`` before it
reports it (the ground truth the tests compare the store with). Placeholders: ``{name}``,
``{scheduler}``, ``{num_samples}``, ``{max_failures}``, ``{epochs}``, ``{die}`` (a rank that exits
hard at an epoch of the first attempt: ``(rank, epoch)`` or ``None``)."""

SOURCE = '''
import glob
import json
import os
import tempfile
import time

import ray.train
import torch
from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer, prepare_model

from raysweep import Sweep, schedulers, space


def _wait_for_a_registered_checkpoint(gt, run):
    """Until Ray Train has recorded a checkpoint of this run in its snapshot (it learns of reports
    when it polls its workers, every 2 s), so that the death comes after a checkpoint it knows."""
    pattern = os.path.join(os.path.dirname(gt), "res", "_ray", "*", "*", "train", run,
                           "checkpoint_manager_snapshot.json")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for path in glob.glob(pattern):
            try:
                with open(path) as f:
                    if json.load(f).get("latest_checkpoint_result"):
                        return
            except ValueError:  # read while Ray Train writes it
                pass
        time.sleep(0.2)


def loop(config):
    context = ray.train.get_context()
    rank, run = context.get_world_rank(), context.get_experiment_name()
    torch.manual_seed(0)
    model = prepare_model(torch.nn.Linear(4, 1))
    optimiser = torch.optim.SGD(model.parameters(), lr=config["lr"])
    start = 0
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            with open(os.path.join(directory, "state.json")) as f:
                start = json.load(f)["epoch"]
    for epoch in range(start + 1, config["epochs"] + 1):
        if (rank, epoch) == {die} and not os.path.exists(config["gt"] + "/died"):
            _wait_for_a_registered_checkpoint(config["gt"], run)
            open(config["gt"] + "/died", "w").close()
            os._exit(1)
        x = torch.randn(16, 4, generator=torch.Generator().manual_seed(epoch * 10 + rank))
        loss = ((model(x) - config["target"]) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        metrics = {{"loss": float(loss.detach()) + config["offset"], "epoch": epoch}}
        with open(os.path.join(config["gt"], f"{{run}}-r{{rank}}.jsonl"), "a") as f:
            f.write(json.dumps({{**metrics, "pid": os.getpid(), "at": time.time()}}) + "\\n")
        with tempfile.TemporaryDirectory() as directory:
            saved = None
            if rank == 0:
                with open(os.path.join(directory, "state.json"), "w") as f:
                    json.dump({{"epoch": epoch}}, f)
                saved = ray.train.Checkpoint.from_directory(directory)
            ray.train.report(metrics, checkpoint=saved)


SWEEP = Sweep(
    name="{name}",
    trainable=TorchTrainer(loop, scaling_config=ScalingConfig(num_workers=2)),
    space={{"lr": space.loguniform(1e-3, 1e-1), "offset": space.uniform(0.0, 10.0), "target": 1.0,
            "epochs": {epochs}, "gt": "{gt}"}},
    metric="loss", mode="min", searcher="random", num_samples={num_samples}, seed=0,
    scheduler={scheduler}, max_failures={max_failures},
)
'''


def sweep_source(gt: str, *, name: str = "ddp", scheduler: str = "None", num_samples: int = 2,
                 max_failures: int = 0, epochs: int = 3, die: tuple[int, int] | None = None) -> str:
    return SOURCE.format(name=name, scheduler=scheduler, num_samples=num_samples,
                         max_failures=max_failures, epochs=epochs, die=repr(die), gt=gt)
