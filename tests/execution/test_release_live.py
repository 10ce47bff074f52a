"""Releasing an ended trial (execution/durability/_trim.py) drops a callback's entry for it only when
that entry is plain state: a live Ray resource (Ray's W&B callback keeps each trial's logging actor,
its queue and the pending ``run`` until the experiment's end) stays, or Ray kills the actor mid-run."""

from __future__ import annotations

import ray
from ray.util.queue import Queue

from raysweep.execution.durability._trim import _live


@ray.remote(num_cpus=0)
class _Idle:
    def ping(self) -> int:
        return 1


def test_live_ray_resources_are_kept_and_plain_state_is_dropped(ray_session):
    actor = _Idle.remote()
    pending = actor.ping.remote()
    queue = Queue(actor_options={"num_cpus": 0})
    try:
        assert [_live(v) for v in (actor, pending, queue)] == [True, True, True]
        assert [_live(v) for v in ({"lr": 0.1}, "run-id", 3, None)] == [False] * 4
        assert ray.get(pending) == 1
    finally:
        queue.shutdown()
        ray.kill(actor)
