"""Image classification: a scikit-learn MLP on the bundled 8x8 digits, trained epoch by epoch.

Config keys: ``n_layers``, ``units``, ``activation`` (``relu``/``tanh``/``logistic``), ``alpha`` (L2),
``lr`` (Adam's initial learning rate), ``batch_size``, ``epochs``, optional ``seed`` (default 0) and
``data`` ``{"seed": 0}`` (the seed of the stratified 60/20/20 train/validation/test split).
Reported each epoch: ``val_accuracy``, ``val_loss`` (log loss), ``train_loss``, ``test_accuracy``,
``epoch_seconds``, ``epoch``. scikit-learn is imported lazily (the ``raysweep[workloads]`` extra).
"""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

__all__ = ["digits_epochs", "load_digits_split", "train_digits_mlp"]

_CHECKPOINT_FILE = "mlp.pkl"


@functools.lru_cache(maxsize=2)
def load_digits_split(seed: int = 0) -> dict[str, np.ndarray]:
    """Digits scaled to [0, 1], split 60/20/20 (stratified, seeded): ``x_train``, ``y_train``, ..."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, test_size=0.4, stratify=y, random_state=seed
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=seed
    )
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val,
            "x_test": x_test, "y_test": y_test}


def _new_model(config: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier

    hidden = (int(config.get("units", 64)),) * int(config.get("n_layers", 1))
    return MLPClassifier(
        hidden_layer_sizes=hidden,
        activation=config.get("activation", "relu"),
        alpha=float(config.get("alpha", 1e-4)),
        learning_rate_init=float(config.get("lr", 1e-3)),
        batch_size=int(config.get("batch_size", 64)),
        solver="adam",
        random_state=int(config.get("seed", 0)),
    )


def digits_epochs(config: Mapping[str, Any], model: Any = None) -> Iterator[tuple[Any, dict]]:
    """Train without Ray: one ``partial_fit`` pass over the training set per epoch, then evaluate."""
    import warnings

    from sklearn.metrics import log_loss

    data = load_digits_split(int(dict(config.get("data") or {}).get("seed", 0)))
    classes = np.arange(10)
    model = model if model is not None else _new_model(config)
    done = int(getattr(model, "raysweep_epochs_", 0))
    for epoch in range(done + 1, int(config.get("epochs", 20)) + 1):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # partial_fit's one-iteration ConvergenceWarning
            model.partial_fit(data["x_train"], data["y_train"], classes=classes)
        model.raysweep_epochs_ = epoch
        proba = model.predict_proba(data["x_val"])
        yield model, {
            "val_accuracy": float(np.mean(proba.argmax(axis=1) == data["y_val"])),
            "val_loss": float(log_loss(data["y_val"], proba, labels=classes)),
            "train_loss": float(model.loss_),
            "test_accuracy": float(model.score(data["x_test"], data["y_test"])),
            "epoch_seconds": time.perf_counter() - start,
            "epoch": epoch,
        }


def train_digits_mlp(config: dict[str, Any]) -> None:
    """Ray Tune function trainable: one ``tune.report`` per epoch with a pickled-model checkpoint."""
    from ray import tune

    model = None
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as directory:
            with open(os.path.join(directory, _CHECKPOINT_FILE), "rb") as handle:
                model = pickle.load(handle)
    for trained, metrics in digits_epochs(config, model):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, _CHECKPOINT_FILE), "wb") as handle:
                pickle.dump(trained, handle)
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(directory))
