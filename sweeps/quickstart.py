"""Quickstart: tune a BPR-MF recommender with Optuna's TPE + ASHA in about a minute on two cores.

100k MovieLens-like interactions (ml-100k's shape), 20 trials, at most 8 epochs each, two at once;
ASHA judges trials after 2 and 6 epochs.
The searcher learns from ``val_ndcg`` at each trial's last report: learning from the running best
epoch (``val_ndcg_best``) measured no better at the small size (docs/workloads.md).
RAYSWEEP_SIZE=tiny shrinks it to a smoke run (5k interactions, 4 trials, 2 epochs).
"""

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_bpr_mf
from search_spaces import recsys

SIZE = "tiny" if search_spaces.size() == "tiny" else "small"
NUM_SAMPLES = {"tiny": 4, "small": 20}[SIZE]

SWEEP = Sweep(
    name="quickstart",
    trainable=train_bpr_mf,
    space=recsys.space_for(SIZE),
    metric="val_ndcg",
    mode="max",
    searcher=searchers.optuna(seed=0, n_startup_trials=3 if SIZE == "tiny" else 10),
    # Grace period 2: with 1, ASHA judged two thirds of the trials on their first epoch, which ranks
    # BPR-MF configurations poorly (docs/workloads.md: median best NDCG@10 0.105 -> 0.126 over 6 seeds).
    scheduler=schedulers.asha(max_t=recsys.EPOCHS[SIZE], grace_period=1 if SIZE == "tiny" else 2,
                              reduction_factor=3),
    num_samples=NUM_SAMPLES,
    resources={"cpu": 1},
    seed=0,
    description="Quickstart: BPR-MF recommender, Optuna TPE + ASHA, 100k interactions.",
    tags={"workload": "recsys", "size": SIZE},
)
