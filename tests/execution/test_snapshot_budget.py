"""The rule that decides when raysweep forces Tune's experiment snapshot (``SnapshotBudget``): a share of
the driver's elapsed time, not a trial count. Driven here like the store callback drives it, on a
simulated clock (the real-Ray checks are in test_scale_snapshots.py and test_resume.py)."""

from __future__ import annotations

from collections.abc import Callable

from raysweep.execution.durability._snapshot import SnapshotBudget


def _sweep(budget: SnapshotBudget, *, trials: int, trial_s: float, cost: Callable[[int], float],
           concurrent: int = 2) -> tuple[int, int, float]:
    """Steps of a sweep: every ``trial_s / concurrent`` seconds one trial ends and the next is added
    (and started) in the same step. A snapshot of ``k`` trials takes ``cost(k)`` seconds. Returns
    (additions snapshotted at once, additions left to a spaced snapshot, seconds in snapshots)."""
    now, exact, spaced, spent = budget.start, 0, 0, 0.0
    for k in range(1, trials + 1):
        now += trial_s / concurrent
        if budget.exact(now):
            exact += 1
        else:
            spaced += 1
            if not budget.due(now):
                continue
        seconds = cost(k)
        now += seconds
        spent += seconds
        budget.record(seconds, now)
    return exact, spaced, spent


def test_slow_trials_are_exact_for_every_addition_past_the_old_500_trial_count():
    # Trials of 3 s, two at a time (an addition every 1.5 s); a snapshot costs 10 ms plus 40 us per
    # trial (Tune writes every trial's state): 30 ms at 500 trials, 50 ms at 1,000 (3.3 % of 1.5 s).
    # The old rule stopped snapshotting additions at once after 500 trials.
    budget = SnapshotBudget(start=0.0)
    exact, spaced, _ = _sweep(budget, trials=1_000, trial_s=3.0, cost=lambda k: 0.01 + 4e-5 * k)
    assert (exact, spaced) == (1_000, 0)


def test_second_long_trials_are_exact_while_a_snapshot_is_under_the_share_of_their_spacing():
    # 100 trials of 2 s, two at a time, snapshots of 45 ms (4.5 % of the 1 s between additions).
    budget = SnapshotBudget(start=0.0)
    assert _sweep(budget, trials=100, trial_s=2.0, cost=lambda k: 0.045)[:2] == (100, 0)
    # Trials of 1 s (8 %): the allowance of the first 20 s (1 s) covers the first ~25 additions, then
    # the share binds and additions fall back to spaced snapshots.
    budget = SnapshotBudget(start=0.0)
    exact, spaced, _ = _sweep(budget, trials=600, trial_s=1.0, cost=lambda k: 0.04)
    assert exact > 0.5 * 600 and spaced > 0


def test_trivial_trials_fall_back_to_spaced_snapshots_within_the_share():
    # Trials of 30 ms: a snapshot per addition (20 ms) would cost two thirds of the sweep.
    budget = SnapshotBudget(start=0.0)
    exact, spaced, spent = _sweep(budget, trials=3_000, trial_s=0.03, cost=lambda k: 0.02)
    elapsed = 3_000 * 0.03 / 2 + spent
    assert spaced > 0.8 * 3_000 and exact + spaced == 3_000
    # At most the allowance of the first 20 s (1 s: the exact ones) plus ~5 % (the spaced ones).
    assert spent <= 0.05 * budget.window_s + 0.05 * elapsed + 0.02
    assert spent / elapsed < 0.07


def test_the_first_seconds_have_an_allowance():
    # A sweep's first additions come within milliseconds: the window counts at least window_s.
    budget = SnapshotBudget(start=0.0)
    assert budget.exact(0.001)
    budget.record(0.05, 0.051)
    assert budget.exact(0.06)
    assert budget.charged == 0.05


def test_a_single_stalled_snapshot_neither_uses_up_the_share_nor_stretches_the_spacing():
    steady = SnapshotBudget(start=0.0)
    stalled = SnapshotBudget(start=0.0)

    def stall(k: int) -> float:
        return 5.0 if k == 200 else 0.02  # one snapshot stuck 5 s behind a loaded machine

    assert _sweep(steady, trials=400, trial_s=1.0, cost=lambda k: 0.02)[:2] == (400, 0)
    assert _sweep(stalled, trials=400, trial_s=1.0, cost=stall)[:2] == (400, 0)
    assert stalled.charged < steady.charged + 3 * 0.02 * 1.01
    assert stalled.cost is not None and stalled.cost < 0.1  # spacing 19x that: under 2 s


def test_a_lasting_rise_in_cost_is_followed():
    budget = SnapshotBudget(start=0.0)
    now = 0.0
    for _ in range(5):
        now += 1.0
        budget.record(0.01, now)
    for _ in range(30):  # the machine (or the sweep) got 20x slower for good
        now += 1.0
        budget.record(0.2, now)
    assert budget.cost is not None and budget.cost > 0.19
    assert not budget.due(now + 0.2 * 18)
    assert budget.due(now + 0.2 * 19.5)


def test_the_first_snapshot_is_charged_at_most_a_quarter_of_the_allowance():
    budget = SnapshotBudget(start=0.0)
    budget.record(30.0, 30.0)  # a first snapshot behind a stalled disk
    assert budget.charged == 0.05 * 20.0 / 4
    assert budget.exact(31.0)


def test_a_share_of_zero_snapshots_only_the_first_addition_at_once():
    budget = SnapshotBudget(share=0.0, start=0.0)
    assert budget.exact(0.01)
    budget.record(0.05, 0.06)
    assert not budget.exact(100.0)
    assert not budget.due(0.06 + 19 * 0.05 - 0.01) and budget.due(0.06 + 19 * 0.05 + 0.01)


def test_prune_staged_never_resolves_a_remote_storage_path_against_the_working_directory(
        tmp_path, monkeypatch):
    """``trial.path`` on S3 is ``bucket/prefix/...``: relative, not a local path to compare with."""
    from types import SimpleNamespace

    from raysweep.execution.durability._snapshot import prune_staged

    staged = [tmp_path / "staged" / "a", tmp_path / "staged" / "b", tmp_path / "bucket" / "c"]
    for directory in staged:
        directory.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # "bucket/c" resolved against it is the third staging directory
    trials = [SimpleNamespace(local_path=str(staged[0]), path=str(staged[0])),  # its own storage
              SimpleNamespace(local_path=str(staged[1]), path="bucket/prefix/b"),
              SimpleNamespace(local_path=str(staged[2]), path="bucket/c")]
    assert prune_staged(trials) == 2
    assert [d.is_dir() for d in staged] == [True, False, False]
