"""Recommendation workload: MovieLens-like implicit feedback, BPR matrix factorisation, a PyTorch
two-tower model, ranking metrics.

Everything but the trainables is Ray-free; they import Ray when a trial runs. The two-tower names
(:class:`TwoTower`, :class:`TwoTowerConfig`, :class:`TwoTowerTrainer`, :func:`two_tower_epochs`,
:func:`train_two_tower`, :func:`train_two_tower_per_worker`) import PyTorch when first used, so this
package imports without it; without PyTorch they raise an ImportError that names
``pip install "raysweep[torch]"``.
"""

import importlib
from types import ModuleType
from typing import Any

from ._data import (
    Interactions,
    Split,
    generate_interactions,
    leave_last_out,
    load_movielens,
    time_split,
)
from ._evaluate import Evaluator
from ._metrics import ndcg_at_k, rank_metrics, recall_at_k
from ._model import BPRMF, BPRConfig, PopularityModel
from ._trainable import DEFAULT_DATA, load_split, train_bpr_mf, train_epochs

# Two-tower names -> their private module; imported on first access (they need PyTorch).
_TORCH_NAMES = {
    "TwoTower": "_two_tower",
    "TwoTowerConfig": "_two_tower",
    "TwoTowerTrainer": "_two_tower",
    "two_tower_epochs": "_two_tower",
    "train_two_tower": "_two_tower_trainable",
    "train_two_tower_per_worker": "_two_tower_trainable",
}

__all__ = [
    "BPRMF",
    "DEFAULT_DATA",
    "BPRConfig",
    "Evaluator",
    "Interactions",
    "PopularityModel",
    "Split",
    "TwoTower",
    "TwoTowerConfig",
    "TwoTowerTrainer",
    "generate_interactions",
    "leave_last_out",
    "load_movielens",
    "load_split",
    "ndcg_at_k",
    "rank_metrics",
    "recall_at_k",
    "time_split",
    "train_bpr_mf",
    "train_epochs",
    "train_two_tower",
    "train_two_tower_per_worker",
    "two_tower_epochs",
]


def __getattr__(name: str) -> Any:
    module = _TORCH_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_import_torch_module(f"{__name__}.{module}", name), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TORCH_NAMES))


def _import_torch_module(dotted: str, name: str) -> ModuleType:
    """Import ``dotted``, a module that needs PyTorch; without PyTorch, say how to install it."""
    try:
        return importlib.import_module(dotted)
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] != "torch":
            raise
        raise ImportError(
            f"raysweep.workloads.{name} needs PyTorch, which is not installed here: "
            'pip install "raysweep[torch]"'
        ) from exc
