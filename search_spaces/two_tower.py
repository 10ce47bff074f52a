"""The search space of the two-tower (PyTorch) recommendation sweeps.

The data and the epoch budget are those of ``search_spaces/recsys.py`` (the same :data:`DATA` and
:data:`EPOCHS` objects), so a two-tower sweep and a BPR-MF sweep of one size tune on the same split
and their NDCG@10 compare. Besides the trainable's defaults (``TwoTowerConfig``), the space searches
the embedding size, the towers' width and depth (depth 0: no MLP, plain factorisation), AdamW's
learning rate and weight decay, dropout, the negatives per positive and the batch size.
"""

from __future__ import annotations

from typing import Any

from raysweep import space
from search_spaces.recsys import DATA, EPOCHS

__all__ = ["DATA", "EPOCHS", "SPACE", "space_for"]

SPACE: dict[str, Any] = {
    "dim": space.choice([16, 32, 64]),
    "tower_width": space.choice([32, 64, 128]),
    "tower_depth": space.choice([0, 1, 2]),
    "dropout": space.uniform(0.0, 0.3),
    "lr": space.loguniform(1e-3, 5e-2),
    "weight_decay": space.loguniform(1e-5, 0.3),
    "n_negatives": space.choice([1, 4]),
    "batch_size": space.choice([256, 1024, 2048]),
    "init_scale": 0.1,
    "seed": 0,
    "epochs": EPOCHS["full"],
    "data": dict(DATA["full"]),
}


def space_for(size: str) -> dict[str, Any]:
    """:data:`SPACE` with the data and epoch constants of ``size`` (tiny, small, full)."""
    return {**SPACE, "data": dict(DATA[size]), "epochs": EPOCHS[size]}
