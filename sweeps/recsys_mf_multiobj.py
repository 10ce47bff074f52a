"""BPR-MF recommendation: NDCG@10 against the model's size, with Optuna's multi-objective TPE.

Two objectives: ``val_ndcg`` (NDCG@10 at each trial's last epoch, maximised) and ``model_mb`` (the
factor tables and item biases as float32 in MiB, minimised; ``docs/workloads.md``). The space is the
shared BPR-MF space with ``dim`` widened to 4-128 (``recsys.multiobjective_space_for``), so that the
size spans about 30x (0.2 to 6.3 MiB at 1M interactions). No early stopping (FIFO): the baseline
that MO-ASHA (``schedulers.asha(...)`` with these objectives) is measured against. ``raysweep best``
prints the Pareto set.
RAYSWEEP_SIZE=tiny|small|full (default full): 4 / 24 / 64 trials on 5k / 100k / 1M interactions,
2 / 8 / 16 epochs each.
"""

import search_spaces
from raysweep import Sweep, searchers
from raysweep.workloads import train_bpr_mf
from search_spaces import recsys

SIZE = search_spaces.size()
NUM_SAMPLES = {"tiny": 4, "small": 24, "full": 64}[SIZE]

SWEEP = Sweep(
    name="recsys_mf_multiobj",
    trainable=train_bpr_mf,
    space=recsys.multiobjective_space_for(SIZE),
    metric=["val_ndcg", "model_mb"],
    mode=["max", "min"],
    searcher=searchers.optuna(seed=0),
    num_samples=NUM_SAMPLES,
    resources={"cpu": 1},
    seed=0,
    description=f"BPR-MF on MovieLens-like implicit feedback: NDCG@10 against model size, "
                f"Optuna multi-objective TPE ({SIZE}).",
    tags={"workload": "recsys", "size": SIZE},
)
