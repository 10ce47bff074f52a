"""What a recommendation model costs to hold and to serve (Ray-free): its size and a measured latency.

``model_mb``: the model's trainable parameters as float32, in MiB (``n_parameters * 4 / 2**20``). Both
recsys models keep their parameters in float32 (the two-tower's mixed precision casts activations, not
the weights), so this is the memory the weights take; optimiser state and the training data are not
counted.

``score_ms_per_1k_users``: the wall time of one ``model.score(users)`` call (every item's score for
each of the users) for the :data:`LATENCY_USERS` users ``0, 1, ..., 999`` (the user ids modulo the
number of users when there are fewer), in milliseconds: one untimed warm-up call, then
:data:`LATENCY_REPEATS` timed calls, their median. The users are fixed, not sampled, so every epoch of
every trial scores the same ones; the model's scoring consumes no random numbers, so the measurement
leaves training (and its exact resume) unchanged.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ._evaluate import Scorer

__all__ = [
    "FLOAT32_BYTES",
    "LATENCY_REPEATS",
    "LATENCY_USERS",
    "latency_users",
    "model_mb",
    "score_ms_per_1k_users",
]

FLOAT32_BYTES = 4
LATENCY_USERS = 1_000
LATENCY_REPEATS = 5


def model_mb(n_parameters: int) -> float:
    """``n_parameters`` float32 parameters in MiB: ``n_parameters * 4 / 2**20``."""
    return n_parameters * FLOAT32_BYTES / 2**20


def latency_users(n_users: int, count: int = LATENCY_USERS) -> np.ndarray:
    """The users the latency is measured on: ids ``0 .. count - 1``, modulo ``n_users``."""
    return np.arange(count, dtype=np.int64) % int(n_users)


def score_ms_per_1k_users(model: Scorer, n_users: int, *, repeats: int = LATENCY_REPEATS) -> float:
    """Median wall time in ms of ``model.score`` on :func:`latency_users` (one warm-up call first)."""
    users = latency_users(n_users)
    model.score(users)  # warm-up: first-call allocations, BLAS and CUDA kernel set-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.score(users)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0
