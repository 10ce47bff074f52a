"""The one search space of the BPR-MF recommendation sweeps (grid, random + ASHA, TPE + ASHA), and its
wider-``dim`` variant for the size-against-quality sweep (``recsys_mf_multiobj``).

The data and the epoch budget are constants of the space, so Ray workers rebuild the same data from
the config (``raysweep.workloads.recsys.train_bpr_mf`` caches it per worker process).
"""

from __future__ import annotations

from typing import Any

from raysweep import space

__all__ = ["DATA", "EPOCHS", "MULTIOBJECTIVE_DIMS", "SPACE", "multiobjective_space_for", "space_for"]

SPACE: dict[str, Any] = {
    "dim": space.choice([16, 32, 64]),
    "lr": space.loguniform(5e-3, 2e-1),
    "reg": space.loguniform(1e-4, 1e-1),
    "n_negatives": space.choice([1, 4]),
    "batch_size": space.choice([256, 2048]),
    "init_scale": space.loguniform(1e-2, 3e-1),
    "seed": 0,
    "epochs": 16,
    "data": {"n_interactions": 1_000_000, "seed": 0, "max_eval_users": 10_000},
}

# Interactions (and evaluated users) and epochs per RAYSWEEP_SIZE; "full" is the space above.
DATA: dict[str, dict[str, int]] = {
    "tiny": {"n_interactions": 5_000, "seed": 0, "max_eval_users": 1_000},
    "small": {"n_interactions": 100_000, "seed": 0, "max_eval_users": 10_000},
    "full": SPACE["data"],
}
EPOCHS: dict[str, int] = {"tiny": 2, "small": 8, "full": SPACE["epochs"]}


def space_for(size: str) -> dict[str, Any]:
    """:data:`SPACE` with the data and epoch constants of ``size``."""
    return {**SPACE, "data": dict(DATA[size]), "epochs": EPOCHS[size]}


# The embedding dimensions of the multi-objective sweep: 4 to 128, so that model_mb spans about 30x (at 1M
# interactions about 0.2 to 6.3 MiB) instead of the shared space's 4x. SPACE itself is unchanged.
MULTIOBJECTIVE_DIMS = [4, 8, 16, 32, 64, 128]


def multiobjective_space_for(size: str) -> dict[str, Any]:
    """:func:`space_for` ``size`` with ``dim`` chosen from :data:`MULTIOBJECTIVE_DIMS`."""
    return {**space_for(size), "dim": space.choice(MULTIOBJECTIVE_DIMS)}
