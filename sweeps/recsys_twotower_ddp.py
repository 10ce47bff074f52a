"""Two-tower (PyTorch) recommendation trained data-parallel: each trial is a Ray Train ``TorchTrainer``
of 2 workers (DDP; gloo on CPUs, NCCL on GPUs), searched by Optuna's TPE with ASHA early stopping.

The space is the trainer's ``train_loop_config`` (``search_spaces/two_tower.py``: the same data,
split and epochs as the BPR-MF sweeps of the same size). Every worker trains on its own shard of the
interactions; rank 0 evaluates NDCG@10 and checkpoints every epoch, and every rank reports rank 0's
metrics. A trial reserves nothing itself: its 2 one-CPU workers hold the compute, and raysweep runs
as many trials at once as the cluster holds the workers of (one at a time on 2 CPUs).
RAYSWEEP_SIZE=tiny|small|full (default full): 2 / 12 / 32 trials on 5k / 100k / 1M interactions.
For GPUs: ``ScalingConfig(num_workers=2, use_gpu=True)``. Needs ``raysweep[torch]``.
"""

from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_two_tower_per_worker
from search_spaces import two_tower

SIZE = search_spaces.size()
NUM_SAMPLES = {"tiny": 2, "small": 12, "full": 32}[SIZE]

SWEEP = Sweep(
    name="recsys_twotower_ddp",
    trainable=TorchTrainer(train_two_tower_per_worker,
                           scaling_config=ScalingConfig(num_workers=2, resources_per_worker={"CPU": 1})),
    space=two_tower.space_for(SIZE),
    metric="val_ndcg",
    mode="max",
    searcher=searchers.optuna(seed=0, n_startup_trials=2 if SIZE == "tiny" else 6),
    scheduler=schedulers.asha(max_t=two_tower.EPOCHS[SIZE], grace_period=1 if SIZE == "tiny" else 2,
                              reduction_factor=3),
    num_samples=NUM_SAMPLES,
    max_failures=1,
    seed=0,
    description=f"Two-tower (PyTorch), 2 DDP workers per trial: Optuna TPE + ASHA ({SIZE}).",
    tags={"workload": "recsys", "model": "two_tower", "size": SIZE, "train": "ddp"},
)
