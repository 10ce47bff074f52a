"""The Ray entry points of the two-tower workload: a Tune function trainable and a Ray Train loop.

Config keys (see docs/workloads.md): the fields of :class:`TwoTowerConfig` (``dim``, ``tower_width``,
``tower_depth``, ``dropout``, ``lr``, ``weight_decay``, ``n_negatives``, ``batch_size``,
``init_scale``, ``seed``, ``mixed_precision``), ``epochs`` (default 20), ``checkpoint_every`` (default 1),
optional ``num_threads`` (default: the CPUs Ray reserved for the trial or worker), optional
``ground_truth_dir`` (:func:`train_two_tower_per_worker` only) and ``data``, with the keys of
:func:`train_bpr_mf`'s (``n_interactions`` and ``seed``, or ``path``; ``split``, ``max_eval_users``).

Reported each epoch, with the names of BPR-MF's so that sweeps of both compare: ``val_ndcg``,
``val_ndcg_best``, ``val_recall``, ``train_loss``, ``epoch_seconds``, ``epoch``, ``model_mb``,
``score_ms_per_1k_users`` (measured on rank 0's model under Ray Train), plus ``samples_per_s``
(training interactions per second of training, summed over ranks). Ray is imported only inside the
two entry points.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ._data import Split
from ._evaluate import Evaluator
from ._trainable import DEFAULT_DATA, load_split
from ._two_tower import EpochStats, TwoTowerTrainer, epoch_metrics, two_tower_config, two_tower_epochs

__all__ = ["train_two_tower", "train_two_tower_per_worker"]

CHECKPOINT_FILE = "two_tower.pt"


def _threads(config: Mapping[str, Any]) -> int:
    """``config["num_threads"]``, else the CPUs Ray reserved for this process (at least 1)."""
    if config.get("num_threads") is not None:
        return max(1, int(config["num_threads"]))
    import ray

    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
    return max(1, int(cpus))


def _evaluator_for(split: Split, data: Mapping[str, Any] | None) -> Evaluator:
    """The evaluator :func:`load_split` would build for this split (the same sampled users)."""
    return Evaluator(split, max_users=dict(data or DEFAULT_DATA).get("max_eval_users", 10_000))


def _due(config: Mapping[str, Any], epoch: int) -> bool:
    every = int(config.get("checkpoint_every", 1))
    return every > 0 and (epoch % every == 0 or epoch == int(config.get("epochs", 20)))


def train_two_tower(config: dict[str, Any], split: Split | None = None) -> None:
    """Ray Tune function trainable: one ``tune.report`` per epoch, a checkpoint every epoch.

    The data comes from ``config["data"]`` (built once per process by :func:`load_split`), or from
    ``split``: ``tune.with_parameters(train_two_tower, split=load_split(DATA)[0])`` puts the split into
    Ray's object store once for every trial. Only the :class:`Split` travels (the evaluator is rebuilt
    from it in a fraction of a second, with ``config["data"]["max_eval_users"]``, so it samples the
    users :func:`load_split` would); ``config["data"]`` should still describe the split, as it is
    stored with every trial. The device is the one Ray assigned: CUDA when the trial has a GPU
    (``ray.get_gpu_ids()``), with mixed precision; else the CPU with ``torch.set_num_threads`` from
    the trial's CPUs. A retried trial resumes from ``tune.get_checkpoint()`` exactly.
    """
    import ray
    from ray import tune

    torch.set_num_threads(_threads(config))
    device = torch.device("cuda" if ray.get_gpu_ids() and torch.cuda.is_available() else "cpu")
    if split is None:
        split, evaluator = load_split(config.get("data"))
    else:
        evaluator = _evaluator_for(split, config.get("data"))
    trainer = TwoTowerTrainer(
        split.train.n_users, split.train.n_items, two_tower_config(config), device=device
    )
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            trainer.load_state_dict(TwoTowerTrainer.read(os.path.join(directory, CHECKPOINT_FILE)))
    for trained, metrics in two_tower_epochs(config, split, evaluator, trainer):
        if _due(config, trained.epochs_done):
            with tempfile.TemporaryDirectory() as directory:
                trained.save(os.path.join(directory, CHECKPOINT_FILE))
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))
        else:
            tune.report(metrics)


def train_two_tower_per_worker(config: dict[str, Any]) -> None:
    """Ray Train ``train_loop_per_worker`` for ``ray.train.torch.TorchTrainer`` (data-parallel DDP).

    Every rank builds the data from ``config["data"]`` (cached per process), wraps the model with
    ``ray.train.torch.prepare_model`` (DDP over gloo on CPU, NCCL on GPU) on the device of
    ``ray.train.torch.get_device()``, and trains on its own disjoint share of each epoch's seeded
    permutation (:class:`TwoTowerTrainer`). After each epoch the losses, sample counts and training
    times are all-reduced, rank 0 evaluates and broadcasts the metrics, so every rank reports the
    same dict; rank 0 alone saves the checkpoint (with every rank's generator states, so a resumed
    run continues exactly), the others report ``checkpoint=None``. Resumes from
    ``ray.train.get_checkpoint()``, else from ``config["resume_from"]`` (a ``ray.train.Checkpoint`` or
    its path: Train V2's replacement for ``TorchTrainer(resume_from_checkpoint=...)``). With
    ``config["ground_truth_dir"]`` set, every rank appends ``{"rank", "epoch", <metrics>, "pid"}`` as
    one JSON line to ``<dir>/rank<r>.jsonl`` before it reports.
    """
    import ray.train
    import ray.train.torch
    import torch.distributed as dist

    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    distributed = world > 1 and dist.is_available() and dist.is_initialized()
    torch.set_num_threads(_threads(config))
    device = ray.train.torch.get_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)  # the object collectives (metrics, RNG states) use it on NCCL
    split, evaluator = load_split(config.get("data"))
    trainer = TwoTowerTrainer(
        split.train.n_users, split.train.n_items, two_tower_config(config),
        device=device, rank=rank, world_size=world,
    )
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is None and config.get("resume_from"):
        # Ray Train V2 deprecates TorchTrainer(resume_from_checkpoint=...); the run's own checkpoint
        # (a restarted worker group) wins over this starting point.
        start = config["resume_from"]
        checkpoint = start if isinstance(start, ray.train.Checkpoint) else ray.train.Checkpoint(str(start))
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            state = TwoTowerTrainer.read(os.path.join(directory, CHECKPOINT_FILE))
        ranks = state.get("rank_rng") or []
        same_world = state.get("world_size", 1) == world and len(ranks) == world
        trainer.load_state_dict(state, rng=ranks[rank] if same_world else None)
        if not same_world and rank:  # another world size: rank 0's shuffle, fresh negatives
            trainer.negative_rng = np.random.default_rng((trainer.config.seed, rank, trainer.epochs_done))
    trainer.network = ray.train.torch.prepare_model(trainer.model)
    epochs = int(config.get("epochs", 20))
    truth = config.get("ground_truth_dir")
    while trainer.epochs_done < epochs:
        started = time.perf_counter()
        stats = trainer.fit_epoch(split.train)
        if distributed:
            stats = _all_reduced(stats, device)
        metrics: dict[str, float] | None = None
        if rank == 0:
            metrics = epoch_metrics(trainer, stats, evaluator.evaluate(trainer.model), started)
        rng: list[Any] = [trainer.rng_state()]
        if distributed:
            shared: list[Any] = [metrics]
            dist.broadcast_object_list(shared, src=0)
            metrics = shared[0]
            rng = [None] * world
            dist.all_gather_object(rng, trainer.rng_state())
        assert metrics is not None
        trainer.record(metrics["val_ndcg"])  # every rank keeps rank 0's running best
        if truth:
            _append_truth(str(truth), rank, metrics)
        with tempfile.TemporaryDirectory() as directory:
            saved = None
            if rank == 0 and _due(config, trainer.epochs_done):
                trainer.save(os.path.join(directory, CHECKPOINT_FILE), rank_rng=rng, world_size=world)
                saved = ray.train.Checkpoint.from_directory(directory)
            ray.train.report(metrics, checkpoint=saved)


def _all_reduced(stats: EpochStats, device: torch.device) -> EpochStats:
    """Sums of the loss, triples and samples over ranks; the slowest rank's training time."""
    import torch.distributed as dist

    sums = torch.tensor([stats.loss_sum, stats.triples, stats.samples], dtype=torch.float64, device=device)
    slowest = torch.tensor([stats.seconds], dtype=torch.float64, device=device)
    dist.all_reduce(sums, op=dist.ReduceOp.SUM)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    loss_sum, triples, samples = sums.tolist()
    return EpochStats(loss_sum, int(triples), int(samples), float(slowest.item()))


def _append_truth(directory: str, rank: int, metrics: Mapping[str, float]) -> None:
    os.makedirs(directory, exist_ok=True)
    line = {"rank": rank, **metrics, "pid": os.getpid()}
    with open(os.path.join(directory, f"rank{rank}.jsonl"), "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
