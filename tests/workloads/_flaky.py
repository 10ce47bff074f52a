"""A trainable that crashes once, after its first checkpoint, then is retried by Ray (test helper)."""

from __future__ import annotations

from ray import tune

from raysweep.workloads import train_bpr_mf


class InjectedCrash(RuntimeError):
    pass


def crash_once_after_two_epochs(config):
    """First attempt: two epochs (checkpointed), then a crash. Retry: resume to ``epochs``."""
    if tune.get_checkpoint() is None:
        train_bpr_mf({**config, "epochs": 2})
        raise InjectedCrash("simulated node failure after epoch 2")
    train_bpr_mf(config)


def crash_two_tower_once_after_two_epochs(config, split=None):
    """The two-tower trainable with the same crash: two epochs (checkpointed), a crash, a retry that
    resumes to ``epochs``. ``config["data_from"]``: ``"object_store"`` trains on ``split`` (given by
    ``tune.with_parameters``), ``"config"`` builds the data from ``config["data"]``."""
    from raysweep.workloads import train_two_tower

    shared = split if config["data_from"] == "object_store" else None
    if tune.get_checkpoint() is None:
        train_two_tower({**config, "epochs": 2}, split=shared)
        raise InjectedCrash("simulated node failure after epoch 2")
    train_two_tower(config, split=shared)
