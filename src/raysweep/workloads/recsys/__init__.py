"""Recommendation workload: MovieLens-like implicit feedback, BPR matrix factorisation, ranking metrics.

Everything but :func:`train_bpr_mf` is Ray-free; ``train_bpr_mf`` imports Ray when a trial runs.
"""

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

__all__ = [
    "BPRMF",
    "DEFAULT_DATA",
    "BPRConfig",
    "Evaluator",
    "Interactions",
    "PopularityModel",
    "Split",
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
]
