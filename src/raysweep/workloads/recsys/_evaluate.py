"""Evaluate a scoring model on a validation split: mean NDCG@10 and recall@20 over users."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ._data import Interactions, Split
from ._metrics import rank_metrics

__all__ = ["Evaluator", "Scorer"]


class Scorer(Protocol):
    def score(self, users: np.ndarray) -> np.ndarray: ...


class Evaluator:
    """Full-ranking evaluation: every item is a candidate except the user's training items.

    ``max_users`` caps the number of evaluated users with a seeded sample (the same users every
    epoch), which keeps evaluation at 20M interactions to seconds.
    """

    def __init__(
        self,
        split: Split,
        *,
        max_users: int | None = 10_000,
        seed: int = 0,
        ndcg_k: int = 10,
        recall_k: int = 20,
        chunk: int = 1024,
    ) -> None:
        valid = split.valid
        users = np.unique(valid.users)
        if max_users is not None and users.size > max_users:
            rng = np.random.default_rng(seed)
            users = np.sort(rng.choice(users, size=max_users, replace=False))
        self.users = users
        self.ndcg_k, self.recall_k, self.chunk = ndcg_k, recall_k, chunk
        self._train = _by_user(split.train)
        self._valid = _by_user(valid)
        self.n_items = split.train.n_items

    def evaluate(self, model: Scorer) -> dict[str, float]:
        """Mean ``ndcg`` (NDCG@ndcg_k) and ``recall`` (recall@recall_k) over the evaluated users."""
        ndcg_sum = recall_sum = 0.0
        count = 0
        for lo in range(0, self.users.size, self.chunk):
            users = self.users[lo : lo + self.chunk]
            scores = np.asarray(model.score(users), dtype=np.float64)
            relevant = self._mask(self._valid, users)
            exclude = self._mask(self._train, users) & ~relevant
            ndcg, recall = rank_metrics(
                scores, relevant, exclude, ndcg_k=self.ndcg_k, recall_k=self.recall_k
            )
            keep = ~np.isnan(ndcg)
            ndcg_sum += float(ndcg[keep].sum())
            recall_sum += float(recall[keep].sum())
            count += int(keep.sum())
        count = max(count, 1)
        return {"ndcg": ndcg_sum / count, "recall": recall_sum / count}

    def _mask(self, by_user: tuple[np.ndarray, np.ndarray], users: np.ndarray) -> np.ndarray:
        indptr, items = by_user
        lengths = indptr[users + 1] - indptr[users]
        rows = np.repeat(np.arange(users.size), lengths)
        starts = np.repeat(indptr[users], lengths)
        offsets = np.arange(rows.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        mask = np.zeros((users.size, self.n_items), dtype=bool)
        mask[rows, items[starts + offsets]] = True
        return mask


def _by_user(data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """CSR layout of a user's items: ``items[indptr[u]:indptr[u + 1]]``."""
    order = np.argsort(data.users, kind="stable")
    indptr = np.zeros(data.n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(data.users, minlength=data.n_users), out=indptr[1:])
    return indptr, data.items[order]
