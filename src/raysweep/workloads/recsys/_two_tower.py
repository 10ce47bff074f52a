"""A two-tower retrieval model in PyTorch, trained with the BPR loss on sampled negatives (Ray-free).

Score ``s(u, i) = f(e_u) . g(e_i)``: ``e_u`` and ``e_i`` are rows of two ``nn.Embedding`` tables (dense
gradients), ``f`` and ``g`` are residual MLP towers (``x + MLP(x)``, ``tower_depth`` hidden layers of
``tower_width`` ReLU units with dropout; depth 0 is the identity, so the model is plain matrix
factorisation trained by AdamW). One epoch visits every training interaction once in a seeded random
order; each positive ``(u, i)`` is paired with ``n_negatives`` items ``j`` drawn uniformly, and AdamW
minimises the mean of ``softplus(s(u, j) - s(u, i)) = -log sigmoid(s(u, i) - s(u, j))``.

**Why BPR with uniform negatives, not sampled softmax with in-batch negatives.** It is the loss and
the sampler of :class:`~raysweep.workloads.recsys.BPRMF`, so the two workloads differ by the model only
and their NDCG@10 on one split compare; each triple's loss does not depend on the rest of the batch,
so a data-parallel rank's shard has exactly the objective of one process (in-batch negatives change
with the per-rank batch, and need a log-Q correction for their popularity bias); and ``n_negatives``
is a hyperparameter the shared search spaces already have.

Everything that makes an epoch random is explicit and checkpointed: the model's initial weights come
from ``torch.manual_seed(seed)``; the shuffle and the negatives from two numpy generators (seeded by
``seed``, and by ``(seed, rank)`` for the negatives); dropout from torch's global generator (seeded by
``seed`` on rank 0 and by ``(seed, rank)`` elsewhere). Python's ``random`` is not used. On CPU, for a
fixed seed and ``torch.set_num_threads``, training is deterministic, and :meth:`TwoTowerTrainer.state_dict`
holds all of it (weights, AdamW's moments, the GradScaler, every generator's state, the epoch count and
the running best), so a resumed run continues bit for bit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

from ..._errors import ConfigError, invalid_parameter
from ._cost import model_mb, score_ms_per_1k_users
from ._data import Interactions, Split
from ._evaluate import Evaluator

__all__ = [
    "EpochStats",
    "TwoTower",
    "TwoTowerConfig",
    "TwoTowerTrainer",
    "epoch_metrics",
    "two_tower_config",
    "two_tower_epochs",
]

_OWNER = "TwoTowerConfig"
_INT_KEYS = ("dim", "tower_width", "tower_depth", "n_negatives", "batch_size", "seed")


@dataclass(frozen=True)
class TwoTowerConfig:
    """Hyperparameters of :class:`TwoTower` and its training (the defaults are the 'untuned' row of
    docs/workloads.md). ``mixed_precision`` applies on CUDA only (``torch.autocast`` in float16 with a
    ``GradScaler``); on CPU training is float32 whatever it says."""

    dim: int = 32
    tower_width: int = 64
    tower_depth: int = 1
    dropout: float = 0.0
    lr: float = 1e-2
    weight_decay: float = 0.0
    n_negatives: int = 1
    batch_size: int = 1024
    init_scale: float = 0.1
    seed: int = 0
    mixed_precision: bool = True

    def __post_init__(self) -> None:
        for name in ("dim", "tower_width", "n_negatives", "batch_size"):
            _check_int(name, getattr(self, name), 1)
        _check_int("tower_depth", self.tower_depth, 0)
        _check_int("seed", self.seed, 0)
        for name in ("lr", "init_scale"):
            value = getattr(self, name)
            if not _is_real(value) or not value > 0:
                raise ConfigError(invalid_parameter(name, _OWNER, "a float > 0", value))
        if not _is_real(self.weight_decay) or not self.weight_decay >= 0:
            raise ConfigError(invalid_parameter("weight_decay", _OWNER, "a float >= 0", self.weight_decay))
        if not _is_real(self.dropout) or not 0 <= self.dropout < 1:
            raise ConfigError(invalid_parameter("dropout", _OWNER, "a float in [0, 1)", self.dropout))
        if not isinstance(self.mixed_precision, bool):
            raise ConfigError(
                invalid_parameter("mixed_precision", _OWNER, "True or False", self.mixed_precision)
            )


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigError(invalid_parameter(name, _OWNER, f"an int >= {minimum}", value))


def two_tower_config(config: Mapping[str, Any]) -> TwoTowerConfig:
    """The :class:`TwoTowerConfig` of a trial's config dict (other keys, such as ``data``, are ignored).

    Searchers may hand back ``64.0`` for a quantised int: integral floats become ints.
    """
    kwargs = {f.name: config[f.name] for f in fields(TwoTowerConfig) if f.name in config}
    for key in _INT_KEYS:
        if key in kwargs and isinstance(kwargs[key], float) and kwargs[key].is_integer():
            kwargs[key] = int(kwargs[key])
    return TwoTowerConfig(**kwargs)


class _Tower(nn.Module):
    """``x + MLP(x)``: ``depth`` hidden ReLU layers of ``width`` units with dropout, back to ``dim``."""

    def __init__(self, dim: int, width: int, depth: int, dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size = dim
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.ReLU(), nn.Dropout(dropout)]
            size = width
        if depth:
            out = nn.Linear(size, dim)
            nn.init.zeros_(out.weight)  # starts as the identity: the towers refine the embeddings
            nn.init.zeros_(out.bias)
            layers.append(out)
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(x) if len(self.mlp) else x


class TwoTower(nn.Module):
    """User and item embedding tables, a residual MLP tower on each side, dot-product scores."""

    def __init__(self, n_users: int, n_items: int, config: TwoTowerConfig | None = None) -> None:
        super().__init__()
        self.config = config or TwoTowerConfig()
        self.n_users, self.n_items = int(n_users), int(n_items)
        cfg = self.config
        self.user_embedding = nn.Embedding(self.n_users, cfg.dim)
        self.item_embedding = nn.Embedding(self.n_items, cfg.dim)
        nn.init.normal_(self.user_embedding.weight, std=cfg.init_scale)
        nn.init.normal_(self.item_embedding.weight, std=cfg.init_scale)
        self.user_tower = _Tower(cfg.dim, cfg.tower_width, cfg.tower_depth, cfg.dropout)
        self.item_tower = _Tower(cfg.dim, cfg.tower_width, cfg.tower_depth, cfg.dropout)

    def n_parameters(self) -> int:
        """The trainable parameters: both embedding tables and both towers' weights and biases."""
        return sum(parameter.numel() for parameter in self.parameters())

    def user_vectors(self, users: torch.Tensor) -> torch.Tensor:
        """The user tower's output for ``users`` (int64 ids): ``(len(users), dim)``."""
        return self.user_tower(self.user_embedding(users))

    def item_vectors(self, items: torch.Tensor) -> torch.Tensor:
        """The item tower's output for ``items`` (int64 ids), any shape ``S`` -> ``S + (dim,)``."""
        return self.item_tower(self.item_embedding(items))

    def forward(
        self, users: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor
    ) -> torch.Tensor:
        """``s(u, i) - s(u, j)`` for users ``(B,)``, positives ``(B,)``, negatives ``(B, n)``: ``(B, n)``."""
        user = self.user_vectors(users)
        positive = (user * self.item_vectors(positives)).sum(dim=-1)
        negative = torch.einsum("bd,bnd->bn", user, self.item_vectors(negatives))
        return positive[:, None] - negative

    @torch.no_grad()
    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for each user in ``users``: shape ``(len(users), n_items)`` (float32).

        In evaluation mode (no dropout), on the model's device; what :class:`Evaluator` needs.
        """
        device = self.user_embedding.weight.device
        training = self.training
        self.eval()
        try:
            user = self.user_vectors(torch.as_tensor(np.asarray(users, dtype=np.int64), device=device))
            items = self.item_vectors(torch.arange(self.n_items, device=device))
            return (user @ items.T).float().cpu().numpy()
        finally:
            self.train(training)


@dataclass(frozen=True)
class EpochStats:
    """What one rank's epoch did: the loss summed over its triples, the triples, the positives
    (samples) and the training wall time (evaluation excluded)."""

    loss_sum: float
    triples: int
    samples: int
    seconds: float


def _seed_of(seed: int, rank: int) -> int:
    """A torch seed for ``rank`` (rank 0 keeps ``seed`` itself, so one process is rank 0 of one)."""
    return seed if rank == 0 else int(np.random.SeedSequence((seed, rank)).generate_state(1)[0])


class TwoTowerTrainer:
    """A :class:`TwoTower` with its AdamW optimiser, GradScaler (CUDA) and seeded samplers.

    ``rank`` / ``world_size`` make it one data-parallel rank: each epoch, every rank draws the same
    permutation of the training interactions and trains on its own contiguous slice of
    ``len(train) // world_size`` of them (disjoint, equal sizes, so every rank runs the same number of
    steps; the at most ``world_size - 1`` left over are skipped that epoch). Set :attr:`network` to
    the DDP-wrapped model to train through it; :attr:`model` stays the plain module.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        config: TwoTowerConfig | None = None,
        *,
        device: str | torch.device = "cpu",
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.config = config or TwoTowerConfig()
        self.device = torch.device(device)
        self.rank, self.world_size = int(rank), int(world_size)
        torch.manual_seed(self.config.seed)  # the same initial weights on every rank
        self.model = TwoTower(n_users, n_items, self.config).to(self.device)
        if self.rank:
            torch.manual_seed(_seed_of(self.config.seed, self.rank))  # dropout differs per rank
        self.network: nn.Module = self.model
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay
        )
        self.amp = self.device.type == "cuda" and self.config.mixed_precision
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp) if self.amp else None
        self.shuffle_rng = np.random.default_rng(self.config.seed)
        self.negative_rng = np.random.default_rng((self.config.seed, self.rank))
        self.epochs_done = 0
        self.best_ndcg = math.nan

    def fit_epoch(self, train: Interactions) -> EpochStats:
        """One epoch over this rank's share of ``train``."""
        cfg = self.config
        start = time.perf_counter()
        order = self.shuffle_rng.permutation(len(train))
        share = len(order) // self.world_size
        mine = order[self.rank * share : (self.rank + 1) * share]
        users_all = train.users[mine].astype(np.int64)
        items_all = train.items[mine].astype(np.int64)
        self.network.train()
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        for lo in range(0, share, cfg.batch_size):
            users = torch.from_numpy(users_all[lo : lo + cfg.batch_size]).to(self.device)
            items = torch.from_numpy(items_all[lo : lo + cfg.batch_size]).to(self.device)
            negatives = self.negative_rng.integers(0, train.n_items, size=(users.shape[0], cfg.n_negatives))
            negative_ids = torch.from_numpy(negatives).to(self.device)
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.amp):
                diff = self.network(users, items, negative_ids)
                loss = nn.functional.softplus(-diff.float()).mean()
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.step()
            total += loss.detach().double() * diff.numel()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.epochs_done += 1
        return EpochStats(float(total), share * cfg.n_negatives, share, time.perf_counter() - start)

    def record(self, ndcg: float) -> float:
        """Fold an epoch's NDCG@10 into the running best (NaN never wins); return the best."""
        if not math.isnan(ndcg) and not ndcg <= self.best_ndcg:
            self.best_ndcg = float(ndcg)
        return self.best_ndcg

    def rng_state(self) -> dict[str, Any]:
        """This rank's generators: the numpy sampler's two and torch's (CPU, and CUDA when used)."""
        state: dict[str, Any] = {
            "shuffle": self.shuffle_rng.bit_generator.state,
            "negatives": self.negative_rng.bit_generator.state,
            "torch": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def set_rng_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`rng_state` returned."""
        self.shuffle_rng.bit_generator.state = state["shuffle"]
        self.negative_rng.bit_generator.state = state["negatives"]
        torch.set_rng_state(state["torch"])
        if self.device.type == "cuda" and "cuda" in state:
            torch.cuda.set_rng_state(state["cuda"], self.device)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: weights, optimiser, scaler, RNG, epochs, best."""
        return {
            "config": asdict(self.config),
            "n_users": self.model.n_users,
            "n_items": self.model.n_items,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": None if self.scaler is None else self.scaler.state_dict(),
            "rng": self.rng_state(),
            "epochs_done": self.epochs_done,
            "best_ndcg": self.best_ndcg,
        }

    def load_state_dict(self, state: Mapping[str, Any], rng: Mapping[str, Any] | None = None) -> None:
        """Resume from :meth:`state_dict` output; ``rng`` overrides the saved generators (a rank's own)."""
        if (state["n_users"], state["n_items"]) != (self.model.n_users, self.model.n_items):
            raise ConfigError(
                invalid_parameter(
                    "state", "TwoTowerTrainer.load_state_dict",
                    f"a checkpoint of {self.model.n_users} users x {self.model.n_items} items",
                    f"{state['n_users']} x {state['n_items']}",
                    "The checkpoint was trained on other data.",
                )
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        # torch restores each param group's lr and weight_decay with the optimiser's state: the
        # trainer's config decides them (under PBT a member that copied another's checkpoint carries
        # a perturbed lr; restoring the checkpoint's would silently undo it). Same config: no change.
        for group in self.optimizer.param_groups:
            group["lr"], group["weight_decay"] = self.config.lr, self.config.weight_decay
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.set_rng_state(rng if rng is not None else state["rng"])
        self.epochs_done = int(state["epochs_done"])
        self.best_ndcg = float(state["best_ndcg"])

    def save(self, path: str, **extra: Any) -> None:
        """``torch.save`` of :meth:`state_dict` (plus ``extra`` entries) to ``path``."""
        torch.save({**self.state_dict(), **extra}, path)

    @staticmethod
    def read(path: str) -> dict[str, Any]:
        """A state saved by :meth:`save`, on the CPU (``weights_only``: tensors and plain values)."""
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
        return state


def epoch_metrics(
    trainer: TwoTowerTrainer, stats: EpochStats, scores: Mapping[str, float], started: float
) -> dict[str, float]:
    """The metrics one epoch reports (BPR-MF's names, with ``model_mb`` and ``score_ms_per_1k_users``,
    plus ``samples_per_s``). The latency is measured after ``epoch_seconds`` is taken."""
    seconds = time.perf_counter() - started
    model = trainer.model
    return {
        "val_ndcg": float(scores["ndcg"]),
        "val_ndcg_best": trainer.record(float(scores["ndcg"])),
        "val_recall": float(scores["recall"]),
        "train_loss": stats.loss_sum / max(stats.triples, 1),
        "epoch_seconds": seconds,
        "samples_per_s": stats.samples / stats.seconds if stats.seconds > 0 else math.nan,
        "epoch": trainer.epochs_done,
        "model_mb": model_mb(model.n_parameters()),
        "score_ms_per_1k_users": score_ms_per_1k_users(model, model.n_users),
    }


def two_tower_epochs(
    config: Mapping[str, Any],
    split: Split,
    evaluator: Evaluator,
    trainer: TwoTowerTrainer | None = None,
    *,
    device: str | torch.device = "cpu",
) -> Iterator[tuple[TwoTowerTrainer, dict[str, float]]]:
    """Train epoch by epoch without Ray; yield the trainer and the epoch's metrics after each epoch.

    ``trainer`` resumes a partly trained one (its ``epochs_done`` counts toward ``config["epochs"]``,
    default 20). Metrics: ``val_ndcg`` (NDCG@10), ``val_ndcg_best``, ``val_recall`` (recall@20),
    ``train_loss`` (mean BPR loss of the epoch's triples), ``epoch_seconds`` (training + evaluation),
    ``samples_per_s`` (training interactions per second of training), ``epoch``, ``model_mb`` (both
    embedding tables and both towers as float32, in MiB) and ``score_ms_per_1k_users`` (median wall time
    of scoring every item for 1,000 fixed users; ``raysweep.workloads.recsys._cost``).
    """
    epochs = int(config.get("epochs", 20))
    if trainer is None:
        trainer = TwoTowerTrainer(
            split.train.n_users, split.train.n_items, two_tower_config(config), device=device
        )
    while trainer.epochs_done < epochs:
        started = time.perf_counter()
        stats = trainer.fit_epoch(split.train)
        yield trainer, epoch_metrics(trainer, stats, evaluator.evaluate(trainer.model), started)
