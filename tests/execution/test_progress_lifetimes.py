"""The live counts and the summary's "trial lifetimes summed", driven as Tune drives the callback, in
simulated time (no Ray): a PBT member that Tune pauses and starts again at each exploit counts its
stretches on a worker, not its last stretch only, and is one running trial, not one per start."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rich.console import Console

from raysweep.execution.terminal import _progress
from raysweep.execution.terminal._progress import ProgressCallback


@dataclass
class FakeTrial:
    trial_id: str
    status: str = "PENDING"
    last_result: dict | None = None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(_progress.time, "monotonic", clock)
    return clock


def _callback() -> ProgressCallback:
    return ProgressCallback(2, "loss", "min", Console(quiet=True), live=False)


def _start(cb, trials, trial):
    cb.on_trial_start(0, trials, trial)  # Tune calls it before it marks the trial RUNNING
    trial.status = "RUNNING"


def _result(cb, trials, trial, it):
    trial.last_result = {"training_iteration": it, "loss": 1.0 / it}
    cb.on_trial_result(0, trials, trial, trial.last_result)


def test_a_paused_and_restarted_member_counts_each_stretch_on_a_worker(clock):
    cb = _callback()
    a, b = FakeTrial("a"), FakeTrial("b")
    trials = [a, b]
    _start(cb, trials, a)
    _start(cb, trials, b)
    clock.now += 4
    _result(cb, trials, a, 1)
    _result(cb, trials, b, 1)
    assert cb.running == 2
    a.status = "PAUSED"  # PBT's exploit: a copies b's checkpoint, then waits for a worker
    clock.now += 3
    _result(cb, trials, b, 2)
    assert cb.running == 1
    a.status = "PENDING"
    _start(cb, trials, a)  # 3 s after a's last result: those 3 s a held no worker
    assert cb.running == 2
    clock.now += 5
    _result(cb, trials, a, 2)
    a.status = "TERMINATED"
    cb.on_trial_complete(0, trials, a)
    clock.now += 1
    b.status = "TERMINATED"
    cb.on_trial_complete(0, trials, b)
    assert cb.running == 0 and cb.done == 2
    # a: 4 s, then 5 s after its restart; b: 13 s from its start to its end.
    assert cb.trial_lifetimes_s == pytest.approx(4 + 5 + 13)


def test_an_errored_trial_ends_its_lifetime_and_its_running_count(clock):
    cb = _callback()
    a = FakeTrial("a")
    _start(cb, [a], a)
    clock.now += 2.5
    a.status = "ERROR"
    cb.on_trial_error(0, [a], a)
    assert (cb.running, cb.errored, cb.ended) == (0, 1, 1)
    assert cb.trial_lifetimes_s == pytest.approx(2.5)
