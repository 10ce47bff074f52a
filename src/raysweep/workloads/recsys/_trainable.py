"""The Ray Tune trainable of the BPR-MF workload (the only module of the subpackage that uses Ray).

Config keys (see docs/workloads.md): ``dim``, ``lr``, ``reg``, ``n_negatives``, ``batch_size``,
``init_scale``, ``epochs``, optional ``seed`` (model seed, default 0), ``checkpoint_every``
(default 1) and ``data``: either ``{"n_interactions": 1_000_000, "seed": 0}`` for the generator or
``{"path": ".../u.data", "min_rating": None}`` for MovieLens, plus optional ``"split"``
(``"leave_last_out"`` or ``"time"``) and ``"max_eval_users"`` (default 10,000).

Reported each epoch: ``val_ndcg`` (NDCG@10), ``val_ndcg_best`` (the running best NDCG@10 over the
trial's epochs so far: the model over-fits after a few epochs, and a sweep with
``metric="val_ndcg_best"`` makes the searcher learn from the trial's best epoch, not its last one),
``val_recall`` (recall@20), ``train_loss`` (mean BPR loss), ``epoch_seconds`` (training + evaluation
wall time), ``epoch``, and the model's cost (``raysweep.workloads.recsys._cost``): ``model_mb`` (the
factor tables and item biases as float32, in MiB) and ``score_ms_per_1k_users`` (median wall time of
scoring every item for 1,000 fixed users, measured after the epoch and outside ``epoch_seconds``).
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any

import numpy as np

from ..._errors import ConfigError, invalid_parameter
from ._cost import model_mb, score_ms_per_1k_users
from ._data import Split, generate_interactions, leave_last_out, load_movielens, time_split
from ._evaluate import Evaluator
from ._model import BPRMF, BPRConfig

__all__ = ["DEFAULT_DATA", "SCHEDULED_KEYS", "load_split", "train_bpr_mf", "train_epochs", "with_schedule"]

DEFAULT_DATA: dict[str, Any] = {"n_interactions": 1_000_000, "seed": 0}
_CHECKPOINT_FILE = "model.npz"
_MODEL_KEYS = ("dim", "lr", "reg", "n_negatives", "batch_size", "init_scale", "seed")
#: The hyperparameters a restored model trains on with from the trial's config (a PBT schedule).
SCHEDULED_KEYS = ("lr", "reg", "n_negatives", "batch_size")


@functools.lru_cache(maxsize=4)
def _cached_split(key: tuple[tuple[str, Any], ...]) -> tuple[Split, Evaluator]:
    data = dict(key)
    if "path" in data:
        interactions = load_movielens(data["path"], min_rating=data.get("min_rating"))
    else:
        interactions = generate_interactions(
            int(data.get("n_interactions", DEFAULT_DATA["n_interactions"])),
            seed=int(data.get("seed", 0)),
        )
    split_name = data.get("split", "leave_last_out")
    if split_name == "leave_last_out":
        split = leave_last_out(interactions)
    elif split_name == "time":
        split = time_split(interactions, float(data.get("valid_fraction", 0.1)))
    else:
        raise ConfigError(
            invalid_parameter("split", "the recsys data config", "'leave_last_out' or 'time'",
                              split_name)
        )
    evaluator = Evaluator(split, max_users=data.get("max_eval_users", 10_000))
    return split, evaluator


def load_split(data: Mapping[str, Any] | None = None) -> tuple[Split, Evaluator]:
    """The split and evaluator for a data config, cached per process (trials in one actor share it)."""
    return _cached_split(tuple(sorted(dict(data or DEFAULT_DATA).items())))


def _model_config(config: Mapping[str, Any]) -> BPRConfig:
    kwargs = {key: config[key] for key in _MODEL_KEYS if key in config}
    for key in ("dim", "n_negatives", "batch_size", "seed"):
        if key in kwargs and isinstance(kwargs[key], float) and kwargs[key].is_integer():
            kwargs[key] = int(kwargs[key])  # searchers may hand back 64.0 for a quantised int
    return BPRConfig(**kwargs)


def train_epochs(
    config: Mapping[str, Any], model: BPRMF | None = None, best_ndcg: float = math.nan
) -> Iterator[tuple[BPRMF, dict[str, float]]]:
    """Train epoch by epoch without Ray; yield the model and the epoch's metrics after each epoch.

    ``model`` resumes a partly trained model (its ``epochs_done`` counts toward ``epochs``);
    ``best_ndcg`` is the running best of the epochs before it (NaN: none; a NaN epoch never wins).
    """
    split, evaluator = load_split(config.get("data"))
    epochs = int(config.get("epochs", 20))
    if model is None:
        model = BPRMF(split.train.n_users, split.train.n_items, _model_config(config))
    while model.epochs_done < epochs:
        start = time.perf_counter()
        loss = model.fit_epoch(split.train)
        scores = evaluator.evaluate(model)
        if not math.isnan(scores["ndcg"]) and not scores["ndcg"] <= best_ndcg:
            best_ndcg = float(scores["ndcg"])
        seconds = time.perf_counter() - start
        yield model, {
            "val_ndcg": scores["ndcg"],
            "val_ndcg_best": best_ndcg,
            "val_recall": scores["recall"],
            "train_loss": loss,
            "epoch_seconds": seconds,
            "epoch": model.epochs_done,
            "model_mb": model_mb(model.n_parameters()),
            "score_ms_per_1k_users": score_ms_per_1k_users(model, model.n_users),
        }


def with_schedule(model: BPRMF, config: Mapping[str, Any]) -> BPRMF:
    """``model`` (restored from a checkpoint) training on under ``config``'s :data:`SCHEDULED_KEYS`.

    The checkpoint holds the config it was trained with; the trial's config may differ from it: under
    PBT a member that copied another's checkpoint carries a perturbed ``lr``/``reg``/... from then on.
    Restoring the checkpoint's own values would silently undo every perturbation. The model's shape
    (``dim``) and its initialisation (``init_scale``, ``seed``) stay the checkpoint's.
    """
    given = {key: config[key] for key in SCHEDULED_KEYS if key in config}
    if not given:
        return model
    model.config = _model_config({**asdict(model.config), **given})
    return model


def train_bpr_mf(config: dict[str, Any]) -> None:
    """Ray Tune function trainable: one ``tune.report`` per epoch, checkpoints for resumption."""
    from ray import tune

    model, best = None, math.nan
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            with np.load(os.path.join(directory, _CHECKPOINT_FILE)) as state:
                model = BPRMF.from_state(dict(state))
                best = float(state["val_ndcg_best"]) if "val_ndcg_best" in state else math.nan
        model = with_schedule(model, config)
    every = int(config.get("checkpoint_every", 1))
    epochs = int(config.get("epochs", 20))
    for trained, metrics in train_epochs(config, model, best):
        if every > 0 and (trained.epochs_done % every == 0 or trained.epochs_done == epochs):
            with tempfile.TemporaryDirectory() as directory:
                np.savez(os.path.join(directory, _CHECKPOINT_FILE), **trained.state_dict(),  # type: ignore[arg-type]  # numpy's stub takes **kwds for allow_pickle
                         val_ndcg_best=np.float64(metrics["val_ndcg_best"]))
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))
        else:
            tune.report(metrics)
