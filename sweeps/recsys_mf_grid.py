"""BPR-MF recommendation: grid search over the shared space, no early stopping (the baseline).

RAYSWEEP_SIZE=tiny|small|full (default full): 12 / 96 / 324 grid cells on 5k / 100k / 1M interactions.
"""

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_bpr_mf
from search_spaces import recsys

SIZE = search_spaces.size()
GRID_POINTS = {"tiny": 1, "small": 2, "full": 3}[SIZE]

SWEEP = Sweep(
    name="recsys_mf_grid",
    trainable=train_bpr_mf,
    space=recsys.space_for(SIZE),
    metric="val_ndcg",
    mode="max",
    searcher=searchers.grid(grid_points=GRID_POINTS),
    scheduler=schedulers.fifo(),
    resources={"cpu": 1},
    seed=0,
    description=f"BPR-MF on MovieLens-like implicit feedback: grid search ({SIZE}).",
    tags={"workload": "recsys", "size": SIZE},
)
