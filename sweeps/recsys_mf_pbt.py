"""BPR-MF recommendation: population-based training of the learning rate and regularisation.

A population trains at once; every ``perturbation_interval`` epochs the bottom quarter copies the
weights of a member of the top quarter (exploit) and perturbs its ``lr`` and ``reg`` (explore), so the
winner's result is a *schedule* of both (``raysweep best`` prints it, ``raysweep replay`` retrains it).
The trainable checkpoints every epoch and, restored from another member's checkpoint, trains on with
its own trial's ``lr``/``reg`` (``with_schedule`` in raysweep.workloads.recsys).
The shape (``dim``, ``n_negatives``, ``batch_size``, ``init_scale``) is drawn once per member.
RAYSWEEP_SIZE=tiny|small|full (default full): 4 / 8 / 16 members on 5k / 100k / 1M interactions,
perturbing every 1 / 2 / 2 epochs of 2 / 8 / 16.
"""

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_bpr_mf
from search_spaces import recsys

SIZE = search_spaces.size()
POPULATION = {"tiny": 4, "small": 8, "full": 16}[SIZE]
SPACE = recsys.space_for(SIZE)

SWEEP = Sweep(
    name="recsys_mf_pbt",
    trainable=train_bpr_mf,
    space=SPACE,
    metric="val_ndcg",
    mode="max",
    searcher=searchers.random(seed=0),
    scheduler=schedulers.pbt(
        perturbation_interval=1 if SIZE == "tiny" else 2,
        mutations={"lr": SPACE["lr"], "reg": SPACE["reg"]},
        seed=0,
    ),
    num_samples=POPULATION,
    resources={"cpu": 1},
    seed=0,
    description=f"BPR-MF on MovieLens-like implicit feedback: PBT of lr and reg ({SIZE}).",
    tags={"workload": "recsys", "size": SIZE},
)
