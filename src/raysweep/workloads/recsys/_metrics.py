"""Top-k ranking metrics: NDCG@k and recall@k, per user and vectorised over a score matrix.

Conventions: ranks are 1-based; the gain of a relevant item at rank r is ``1 / log2(r + 1)``;
NDCG divides by the ideal DCG of ``min(|relevant|, k)`` hits; recall@k is
``|top-k ∩ relevant| / |relevant|``. Users without relevant items are skipped. Items the user
already interacted with in training are excluded from the ranking (the standard protocol).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["ndcg_at_k", "rank_metrics", "recall_at_k"]


def ndcg_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """NDCG@k of one ranked list against a set of relevant items (reference implementation)."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return float(dcg / ideal)


def recall_at_k(ranked: Sequence[int], relevant: Iterable[int], k: int) -> float:
    """Recall@k of one ranked list: the share of relevant items in the top k."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def rank_metrics(
    scores: np.ndarray,
    relevant: np.ndarray,
    exclude: np.ndarray | None = None,
    *,
    ndcg_k: int = 10,
    recall_k: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-user NDCG@``ndcg_k`` and recall@``recall_k`` of a dense score matrix.

    ``scores`` is ``(n_users, n_items)``; ``relevant`` and ``exclude`` are boolean masks of the same
    shape (held-out items; training items to drop from the ranking). Rows without relevant items are
    returned as NaN. Ties are broken toward the lower item id, so results are deterministic.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    relevant = np.asarray(relevant, dtype=bool)
    if exclude is not None:
        scores[np.asarray(exclude, dtype=bool)] = -np.inf
    n_users, n_items = scores.shape
    k = min(max(ndcg_k, recall_k), n_items)
    # Sort the top k by (-score, item id): argpartition, then a stable sort of the candidates.
    if k < n_items:
        kth = np.partition(scores, n_items - k, axis=1)[:, n_items - k]
        candidate = scores >= kth[:, None]
    else:
        candidate = np.ones_like(scores, dtype=bool)
    rows, cols = np.nonzero(candidate)
    order = np.lexsort((cols, -scores[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    starts = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_users))[:-1]))
    rank = np.arange(rows.size) - starts[rows]  # 0-based
    top = rank < k
    rows, cols, rank = rows[top], cols[top], rank[top]
    hit = relevant[rows, cols]
    n_relevant = relevant.sum(axis=1)
    gains = np.where(hit & (rank < ndcg_k), 1.0 / np.log2(rank + 2.0), 0.0)
    dcg = np.bincount(rows, weights=gains, minlength=n_users)
    discounts = np.concatenate(([0.0], np.cumsum(1.0 / np.log2(np.arange(ndcg_k) + 2.0))))
    ideal = discounts[np.minimum(n_relevant, ndcg_k)]
    hits = np.bincount(rows, weights=(hit & (rank < recall_k)).astype(float), minlength=n_users)
    with np.errstate(invalid="ignore", divide="ignore"):
        ndcg = np.where(n_relevant > 0, dcg / ideal, np.nan)
        recall = np.where(n_relevant > 0, hits / n_relevant, np.nan)
    return ndcg, recall
