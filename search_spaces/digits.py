"""The search space of the digits MLP sweeps (hidden layers and units, activation, L2, lr, batch)."""

from __future__ import annotations

from typing import Any

from raysweep import space

__all__ = ["EPOCHS", "SPACE", "space_for"]

SPACE: dict[str, Any] = {
    "n_layers": space.choice([1, 2, 3]),
    "units": space.choice([32, 64, 128, 256]),
    "activation": space.choice(["relu", "tanh", "logistic"]),
    "alpha": space.loguniform(1e-6, 1e-1),
    "lr": space.loguniform(1e-4, 1e-1),
    "batch_size": space.choice([16, 32, 64, 128, 256]),
    "seed": 0,
    "epochs": 27,
    "data": {"seed": 0},
}

EPOCHS: dict[str, int] = {"tiny": 2, "small": 9, "full": SPACE["epochs"]}


def space_for(size: str) -> dict[str, Any]:
    """:data:`SPACE` with the epoch budget of ``size``."""
    return {**SPACE, "epochs": EPOCHS[size]}
