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
