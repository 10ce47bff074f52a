"""BPR matrix factorisation in vectorised numpy, plus a popularity baseline.

Score ``s(u, i) = p_u . q_i + b_i``. One epoch visits every training interaction once in random order;
each positive ``(u, i)`` is paired with ``n_negatives`` items ``j`` drawn uniformly, and mini-batch SGD
maximises ``log sigmoid(s(u, i) - s(u, j))`` with L2 regularisation ``reg`` (Rendle et al., 2009).
Gradients of a batch are computed from the parameters at the start of the batch and summed per row,
so ``lr`` keeps the per-triple meaning of the original SGD.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from ..._errors import ConfigError, invalid_parameter
from ._data import Interactions

__all__ = ["BPRMF", "BPRConfig", "PopularityModel"]

_DTYPE = np.float32


@dataclass(frozen=True)
class BPRConfig:
    """Hyperparameters of :class:`BPRMF` (the defaults are the 'untuned' row of docs/workloads.md)."""

    dim: int = 32
    lr: float = 0.05
    reg: float = 1e-4
    n_negatives: int = 1
    batch_size: int = 1024
    init_scale: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("dim", "n_negatives", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(invalid_parameter(name, "BPRConfig", "an int >= 1", value))
        for name in ("lr", "init_scale"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise ConfigError(invalid_parameter(name, "BPRConfig", "a float > 0", value))
        if not isinstance(self.reg, int | float) or not self.reg >= 0:
            raise ConfigError(invalid_parameter("reg", "BPRConfig", "a float >= 0", self.reg))


def _scatter_add(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``np.add.at(target, rows, values)``, through a sparse product when scipy is installed."""
    try:
        import scipy.sparse as sparse
    except ImportError:  # pragma: no cover - scipy comes with the workloads extra
        np.add.at(target, rows, values)
        return
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(target.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=target.shape[0]), out=indptr[1:])
    ones = np.ones(rows.size, dtype=values.dtype)
    matrix = sparse.csr_matrix((ones, order, indptr), shape=(target.shape[0], rows.size))
    target += matrix @ values


class BPRMF:
    """Matrix factorisation trained with the BPR pairwise loss and uniform negative sampling."""

    def __init__(self, n_users: int, n_items: int, config: BPRConfig | None = None) -> None:
        self.config = config or BPRConfig()
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.rng = np.random.default_rng(self.config.seed)
        scale, dim = self.config.init_scale, self.config.dim
        self.user_factors = (self.rng.standard_normal((n_users, dim)) * scale).astype(_DTYPE)
        self.item_factors = (self.rng.standard_normal((n_items, dim)) * scale).astype(_DTYPE)
        self.item_bias = np.zeros(n_items, dtype=_DTYPE)
        self.epochs_done = 0

    def fit_epoch(self, train: Interactions) -> float:
        """Run one epoch of SGD over ``train``; return the mean BPR loss of the epoch's triples."""
        cfg = self.config
        order = self.rng.permutation(len(train))
        users_all, items_all = train.users[order], train.items[order]
        total, count = 0.0, 0
        for lo in range(0, order.size, cfg.batch_size):
            users = users_all[lo : lo + cfg.batch_size]
            items = items_all[lo : lo + cfg.batch_size]
            negatives = self.rng.integers(0, self.n_items, size=(users.size, cfg.n_negatives))
            total += self._step(users, items, negatives)
            count += negatives.size
        self.epochs_done += 1
        return total / max(count, 1)

    def _step(self, users: np.ndarray, items: np.ndarray, negatives: np.ndarray) -> float:
        cfg = self.config
        p, q, b = self.user_factors, self.item_factors, self.item_bias
        pu, qi, qj = p[users], q[items], q[negatives]  # (B, d), (B, d), (B, n, d)
        diff = qi[:, None, :] - qj
        x = np.einsum("bd,bnd->bn", pu, diff) + (b[items][:, None] - b[negatives])
        x = np.clip(x, -30.0, 30.0)
        g = (1.0 / (1.0 + np.exp(x))).astype(_DTYPE)  # sigmoid(-x) = d/dx of -log sigmoid(x)
        loss = float(np.logaddexp(0.0, -x).sum())
        n_neg = cfg.n_negatives
        grad_p = np.einsum("bn,bnd->bd", g, diff) - (cfg.reg * n_neg) * pu
        grad_qi = g.sum(axis=1)[:, None] * pu - (cfg.reg * n_neg) * qi
        grad_qj = -g[:, :, None] * pu[:, None, :] - cfg.reg * qj
        grad_bi = g.sum(axis=1) - (cfg.reg * n_neg) * b[items]
        grad_bj = -g - cfg.reg * b[negatives]
        lr = _DTYPE(cfg.lr)
        _scatter_add(p, users, lr * grad_p)
        item_rows = np.concatenate((items, negatives.ravel()))
        _scatter_add(q, item_rows, lr * np.concatenate((grad_qi, grad_qj.reshape(-1, cfg.dim))))
        bias = np.bincount(
            item_rows, weights=np.concatenate((grad_bi, grad_bj.ravel())), minlength=self.n_items
        )
        b += (lr * bias).astype(_DTYPE)
        return loss

    def n_parameters(self) -> int:
        """The trainable parameters: the user and item factor tables and the item biases."""
        return int(self.user_factors.size + self.item_factors.size + self.item_bias.size)

    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for each user in ``users``: shape ``(len(users), n_items)``."""
        return self.user_factors[users] @ self.item_factors.T + self.item_bias[None, :]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume training exactly (parameters, RNG state, epoch count)."""
        meta = {
            "config": asdict(self.config),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "epochs_done": self.epochs_done,
            "rng": self.rng.bit_generator.state,
        }
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "item_bias": self.item_bias,
            "meta": np.array(json.dumps(meta)),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> BPRMF:
        """Rebuild a model from :meth:`state_dict` output (for example ``np.load`` of a checkpoint)."""
        meta = json.loads(str(state["meta"]))
        model = cls(meta["n_users"], meta["n_items"], BPRConfig(**meta["config"]))
        model.user_factors = np.array(state["user_factors"], dtype=_DTYPE)
        model.item_factors = np.array(state["item_factors"], dtype=_DTYPE)
        model.item_bias = np.array(state["item_bias"], dtype=_DTYPE)
        model.epochs_done = int(meta["epochs_done"])
        model.rng.bit_generator.state = meta["rng"]
        return model


class PopularityModel:
    """The baseline every recommender must beat: rank items by training interaction count."""

    def __init__(self, train: Interactions) -> None:
        self.counts = np.bincount(train.items, minlength=train.n_items).astype(np.float64)

    def score(self, users: np.ndarray) -> np.ndarray:
        """The same popularity scores for every user: shape ``(len(users), n_items)``."""
        return np.broadcast_to(self.counts, (len(users), self.counts.size))
