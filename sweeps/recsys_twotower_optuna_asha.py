"""Two-tower (PyTorch) recommendation: Optuna's TPE with ASHA early stopping, one process per trial.

The data split is built once in the driver and shared with every trial through Ray's object store
(``tune.with_parameters``): the same split as the BPR-MF sweeps of the same size
(``search_spaces/two_tower.py`` takes ``search_spaces/recsys.py``'s constants), so NDCG@10 compares.
RAYSWEEP_SIZE=tiny|small|full (default full): 4 / 24 / 64 trials on 5k / 100k / 1M interactions, at
most 2 / 8 / 16 epochs; ASHA's rungs as in ``recsys_mf_optuna_asha`` (grace period 2 beyond tiny).
Needs ``raysweep[torch]``. One CPU per trial (``torch.set_num_threads(1)``); for a GPU add
``"gpu": 1 / n`` to ``resources`` to pack n trials per GPU (measure n with benchmarks/gpu_packing.py).
"""

from ray import tune

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_two_tower
from raysweep.workloads.recsys import load_split
from search_spaces import two_tower

SIZE = search_spaces.size()
NUM_SAMPLES = {"tiny": 4, "small": 24, "full": 64}[SIZE]
SPACE = two_tower.space_for(SIZE)

SWEEP = Sweep(
    name="recsys_twotower_optuna_asha",
    trainable=tune.with_parameters(train_two_tower, split=load_split(SPACE["data"])[0]),
    space=SPACE,
    metric="val_ndcg",
    mode="max",
    searcher=searchers.optuna(seed=0, n_startup_trials=3 if SIZE == "tiny" else 10),
    scheduler=schedulers.asha(max_t=two_tower.EPOCHS[SIZE], grace_period=1 if SIZE == "tiny" else 2,
                              reduction_factor=3),
    num_samples=NUM_SAMPLES,
    resources={"cpu": 1},
    seed=0,
    description=f"Two-tower (PyTorch) on MovieLens-like implicit feedback: Optuna TPE + ASHA ({SIZE}).",
    tags={"workload": "recsys", "model": "two_tower", "size": SIZE},
)
