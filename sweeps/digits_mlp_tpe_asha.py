"""Digits image classification (scikit-learn MLP): TPE (hyperopt) with ASHA early stopping.

Needs ``raysweep[workloads]``. RAYSWEEP_SIZE=tiny|small|full (default full): 4 / 20 / 60 trials,
at most 2 / 9 / 27 epochs.
"""

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_digits_mlp
from search_spaces import digits

SIZE = search_spaces.size()
NUM_SAMPLES = {"tiny": 4, "small": 20, "full": 60}[SIZE]

SWEEP = Sweep(
    name="digits_mlp_tpe_asha",
    trainable=train_digits_mlp,
    space=digits.space_for(SIZE),
    metric="val_accuracy",
    mode="max",
    searcher=searchers.tpe(seed=0),
    scheduler=schedulers.asha(max_t=digits.EPOCHS[SIZE], grace_period=1, reduction_factor=3),
    num_samples=NUM_SAMPLES,
    resources={"cpu": 1},
    seed=0,
    description=f"MLP on scikit-learn's 8x8 digits: TPE + ASHA ({SIZE}).",
    tags={"workload": "digits", "size": SIZE},
)
