"""Two-tower (PyTorch) recommendation: population-based training of AdamW's lr and weight decay.

A population trains at once; every ``perturbation_interval`` epochs the bottom quarter copies the
weights and optimiser state of a member of the top quarter and perturbs ``lr`` and ``weight_decay``.
Restored from another member's checkpoint, the trainer keeps its weights, AdamW moments and RNGs
and steps with its own trial's ``lr`` and ``weight_decay`` (torch's ``load_state_dict`` would bring
back the checkpoint's: ``TwoTowerTrainer.load_state_dict`` sets them from the config). The split is
shared with every trial through ``tune.with_parameters``, as in ``recsys_twotower_optuna_asha``.
RAYSWEEP_SIZE=tiny|small|full (default full): 4 / 8 / 16 members on 5k / 100k / 1M interactions,
perturbing every 1 / 2 / 2 epochs of 2 / 8 / 16. Needs ``raysweep[torch]``.
"""

from ray import tune

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_two_tower
from raysweep.workloads.recsys import load_split
from search_spaces import two_tower

SIZE = search_spaces.size()
POPULATION = {"tiny": 4, "small": 8, "full": 16}[SIZE]
SPACE = two_tower.space_for(SIZE)

SWEEP = Sweep(
    name="recsys_twotower_pbt",
    trainable=tune.with_parameters(train_two_tower, split=load_split(SPACE["data"])[0]),
    space=SPACE,
    metric="val_ndcg",
    mode="max",
    searcher=searchers.random(seed=0),
    scheduler=schedulers.pbt(
        perturbation_interval=1 if SIZE == "tiny" else 2,
        mutations={"lr": SPACE["lr"], "weight_decay": SPACE["weight_decay"]},
        seed=0,
    ),
    num_samples=POPULATION,
    resources={"cpu": 1},
    seed=0,
    description=f"Two-tower (PyTorch) on MovieLens-like implicit feedback: PBT of lr and weight "
                f"decay ({SIZE}).",
    tags={"workload": "recsys", "model": "two_tower", "size": SIZE},
)
