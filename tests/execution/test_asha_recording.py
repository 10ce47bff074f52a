"""RecordingASHA called directly, as Tune's driver loop calls it (no Ray cluster): it decides
exactly as Ray's ASHA and records each decision with the cutoff Ray compared against."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest
from ray.tune.schedulers import ASHAScheduler, TrialScheduler

from raysweep.execution.tune._asha import RecordingASHA


@dataclass
class FakeTrial:
    trial_id: str


N = 30
_RNG = random.Random(5)
SKILL = [_RNG.random() for _ in range(N)]  # each trial's level: its loss is SKILL + 1 / iteration


def _best_two(mode: str) -> list[str]:
    order = sorted(range(N), key=lambda i: SKILL[i], reverse=mode == "max")
    return [f"t{i:02d}" for i in order[:2]]


def _drive(scheduler, mode: str, *, n: int = N, max_t: int = 9, ends_at: dict | None = None):
    """Round-robin results; trials in ``ends_at`` return on their own after that iteration."""
    scheduler.set_search_properties("loss", mode)
    trials = [FakeTrial(f"t{i:02d}") for i in range(n)]
    skill = SKILL
    for trial in trials:
        scheduler.on_trial_add(None, trial)
    live, actions = list(range(n)), []
    for it in range(1, max_t + 1):
        still = []
        for i in live:
            result = {"training_iteration": it, "loss": round(skill[i] + 1.0 / it, 9)}
            action = scheduler.on_trial_result(None, trials[i], result)
            actions.append((trials[i].trial_id, it, action))
            if action == TrialScheduler.STOP:
                scheduler.on_trial_complete(None, trials[i], {**result, "done": True})
            elif (ends_at or {}).get(trials[i].trial_id) == it:  # Tune's final 'done' result
                scheduler.on_trial_complete(None, trials[i], {**result, "done": True})
            else:
                still.append(i)
        live = still
    return actions


@pytest.mark.parametrize("mode", ["min", "max"])
def test_same_decisions_as_ray_and_each_row_explains_its_decision(mode):
    at_rung, between = _best_two(mode)  # the best trials: ASHA never stops them
    ends = {at_rung: 3, between: 5}  # they return on their own: at a rung, between rungs
    kw = dict(time_attr="training_iteration", max_t=9, grace_period=1, reduction_factor=3)
    recording = RecordingASHA(**kw)
    assert _drive(recording, mode, ends_at=ends) == _drive(ASHAScheduler(**kw), mode, ends_at=ends)
    rows = recording.drain()
    assert recording.drain() == []
    keys = [(r["ray_trial_id"], r["milestone"]) for r in rows]
    # One event per (trial, rung), except the rung a trial ended at on its own: its 'completed'
    # event replaces the 'promoted' one (same key; the writer keeps the latest).
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == [(at_rung, 3.0)]
    # Rung rows: the cutoff is ASHA's percentile over the rung's earlier values, in metric units.
    sign = 1.0 if mode == "max" else -1.0
    seen: dict[float, list[float]] = {}
    for row in rows:
        if row["decision"] in ("promoted", "stopped"):
            earlier = seen.setdefault(row["milestone"], [])
            assert row["rung_size"] == len(earlier)
            if earlier:
                expected = sign * np.nanpercentile([sign * v for v in earlier], (1 - 1 / 3) * 100)
                assert row["cutoff"] == pytest.approx(expected)
                worse = row["value"] < row["cutoff"] if mode == "max" else row["value"] > row["cutoff"]
                assert worse == (row["decision"] == "stopped")
            else:
                assert row["cutoff"] is None and row["decision"] == "promoted"
            earlier.append(row["value"])
    by_trial: dict[str, list[dict]] = {}
    for row in rows:
        by_trial.setdefault(row["ray_trial_id"], []).append(row)
    final = {t: r[-1] for t, r in by_trial.items()}
    assert all(r["decision"] != "promoted" for r in final.values())  # every trial ended somehow
    assert {t for t, r in final.items() if r["decision"] == "completed" and r["milestone"] == 9} \
        == {t for t, r in final.items() if r["decision"] == "completed"} - set(ends)
    # A trial that returned on its own: at a rung, that rung's row becomes 'completed' and keeps
    # its cutoff; between rungs, a 'completed' row at its last iteration without a cutoff.
    assert final[at_rung]["decision"] == "completed" and final[at_rung]["milestone"] == 3.0
    assert final[at_rung]["cutoff"] == by_trial[at_rung][-2]["cutoff"]
    assert final[between]["decision"] == "completed" and final[between]["milestone"] == 5.0
    assert final[between]["cutoff"] is None
