"""Shipped workloads: trainables and their Ray-free building blocks.

- :mod:`raysweep.workloads.recsys`: MovieLens-like implicit feedback, BPR matrix factorisation,
  NDCG@10 / recall@20 (numpy only); trainable :func:`train_bpr_mf`. A PyTorch two-tower model
  (:class:`TwoTower`, :class:`TwoTowerConfig`) with a Tune function trainable
  :func:`train_two_tower` and a Ray Train loop :func:`train_two_tower_per_worker` (need
  ``raysweep[torch]``).
- :func:`train_digits_mlp`: an MLP on scikit-learn's bundled digits (needs ``raysweep[workloads]``).
- :func:`train_arima`: seasonal ARIMA on statsmodels' bundled ``elec_equip`` (needs
  ``raysweep[workloads]``).

scikit-learn, statsmodels and Ray are imported only when a trainable or loader runs, and PyTorch
when a two-tower name is first used, so ``import raysweep.workloads`` needs none of them.
"""

from typing import Any

from . import recsys
from ._arima import ArimaFitError, fit_arima, load_series, train_arima
from ._digits import digits_epochs, load_digits_split, train_digits_mlp
from .recsys import train_bpr_mf

__all__ = [
    "ArimaFitError",
    "TwoTower",
    "TwoTowerConfig",
    "digits_epochs",
    "fit_arima",
    "load_digits_split",
    "load_series",
    "train_arima",
    "train_bpr_mf",
    "train_digits_mlp",
    "train_two_tower",
    "train_two_tower_per_worker",
]

_TORCH_NAMES = ("TwoTower", "TwoTowerConfig", "train_two_tower", "train_two_tower_per_worker")


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        return getattr(recsys, name)  # imports PyTorch, or names the extra that brings it
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TORCH_NAMES))
