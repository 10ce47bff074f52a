import numpy as np
import pandas as pd
import pytest

from raysweep import ConfigError
from raysweep.compare import Comparison, compare_groups, paired_comparison, seed_bands
from raysweep.compare._stats import step_at

from ._frames import frames, make_run


def _seeded(sweep, n_seeds, center, spread, *, trials=8, rng_seed=0, mode="min"):
    """n_seeds runs of one sweep; trial values = center + noise, decreasing toward center."""
    rng = np.random.default_rng(rng_seed)
    runs = []
    for s in range(n_seeds):
        curves = [[float(center + spread * rng.random() + (trials - i))] for i in range(trials)]
        runs.append(make_run(sweep, f"{sweep}-s{s}", curves, seed=s, mode=mode,
                             start=pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=s)))
    return runs


def test_step_at():
    out = step_at(np.array([1.0, 3.0]), np.array([5.0, 2.0]), np.array([0.5, 1, 2, 3, 10]))
    assert np.isnan(out[0]) and out[1:].tolist() == [5, 5, 2, 2]


def test_band_contains_median_and_shrinks_with_more_seeds():
    widths = {}
    for n in (3, 30):
        comp = Comparison.from_frames(*frames(*_seeded("A", n, 0.0, 4.0, rng_seed=n)))
        band = seed_bands(comp, "trials", n_boot=500, seed=0)
        assert (band["n_runs"] == n).all()
        assert (band["lo"] <= band["median"] + 1e-12).all()
        assert (band["median"] <= band["hi"] + 1e-12).all()
        widths[n] = float((band["hi"] - band["lo"]).mean())
    assert widths[30] < widths[3] / 1.5


def test_band_single_run_has_no_band():
    comp = Comparison.from_frames(*frames(*_seeded("A", 1, 0.0, 1.0)))
    band = seed_bands(comp, "iterations", n_boot=50)
    assert band["lo"].isna().all() and band["median"].notna().all()
    with pytest.raises(ConfigError, match="'ci' parameter"):
        seed_bands(comp, ci=95)


def test_band_skips_groups_without_a_common_range():
    early = make_run("A", "a0", [[3.0], [2.0]], seed=0)
    late = make_run("A", "a1", [[3.0], [2.0]], seed=1, iter_seconds=1.0,
                    start=pd.Timestamp("2026-01-01", tz="UTC") - pd.Timedelta(seconds=10))
    late[0]["started_at"] = pd.Timestamp("2026-01-01", tz="UTC")  # iterations before its start
    comp = Comparison.from_frames(*frames(early, late))
    wall = seed_bands(comp, "wall_seconds", n_boot=20)
    assert wall.empty
    assert not seed_bands(comp, "trials", n_boot=20).empty


def test_paired_comparison_distinguishes_clearly_different_sweeps():
    comp = Comparison.from_frames(*frames(*_seeded("good", 6, 0.0, 0.5),
                                          *_seeded("bad", 6, 10.0, 0.5, rng_seed=1)))
    res = paired_comparison(comp, "good", "bad", "compute_seconds", n_boot=1000)
    assert res.paired and res.n_a == res.n_b == 6
    assert res.p_value == pytest.approx(2 / 2**6)
    assert res.diff < 0 and res.ci_high < 0
    assert res.distinguishable and res.better == "good"
    # same budget for both: every run has 8 one-second iterations
    assert res.budget == 8.0
    flipped = paired_comparison(comp, "bad", "good", "trials")
    assert flipped.better == "good" and flipped.diff > 0


def test_too_few_seeds_are_never_distinguishable():
    # 3 paired seeds: the interval excludes 0 but the exact sign-flip p is at least 2/8
    comp = Comparison.from_frames(*frames(*_seeded("good", 3, 0.0, 0.5),
                                          *_seeded("bad", 3, 10.0, 0.5, rng_seed=1)))
    res = paired_comparison(comp, "good", "bad", "trials")
    assert res.ci_high < 0 and res.p_value == 0.25
    assert not res.distinguishable and res.better is None


def test_paired_comparison_does_not_distinguish_identical_sweeps():
    a = _seeded("A", 5, 0.0, 3.0, rng_seed=7)
    b = _seeded("B", 5, 0.0, 3.0, rng_seed=7)
    comp = Comparison.from_frames(*frames(*a, *b))
    res = paired_comparison(comp, "A", "B", "iterations")
    assert res.diff == 0 and res.ci_low <= 0 <= res.ci_high
    assert not res.distinguishable and res.better is None and res.p_value == 1.0


def test_unpaired_when_seeds_differ_and_same_distribution_not_distinguished():
    a = _seeded("A", 6, 0.0, 3.0, rng_seed=1)
    b = _seeded("B", 6, 0.0, 3.0, rng_seed=2)
    for i, (run, _, _) in enumerate(b):
        run["seed"] = 100 + i
    comp = Comparison.from_frames(*frames(*a, *b))
    res = paired_comparison(comp, "A", "B", "trials")
    assert not res.paired
    assert not res.distinguishable and res.p_value > 0.05


def test_one_run_each_is_never_distinguishable():
    comp = Comparison.from_frames(*frames(*_seeded("A", 1, 0.0, 1.0),
                                          *_seeded("B", 1, 50.0, 1.0)))
    table = compare_groups(comp, "trials")
    assert len(table) == 1
    row = table.iloc[0]
    assert row["diff"] < 0 and not row["distinguishable"] and np.isnan(row["ci_low"])


def test_equal_compute_budget_is_the_shortest_run():
    short = make_run("A", "a0", [[5.0], [1.0]], seed=0)
    long_ = make_run("B", "b0", [[5.0], [4.0], [0.0]], seed=0)
    comp = Comparison.from_frames(*frames(short, long_))
    res = paired_comparison(comp, "A", "B", "iterations")
    # B's 0.0 came after the 2-iteration budget, so at equal compute A (1.0) beats B (4.0)
    assert res.budget == 2 and res.mean_a == 1.0 and res.mean_b == 4.0
    with pytest.raises(ConfigError, match="'b' parameter"):
        paired_comparison(comp, "A", "C")


def _final_bests(comp, group):
    runs = comp.runs.loc[comp.runs["group"] == group, "run"]
    return np.array([comp.trials.loc[comp.trials["run"] == r, "value"].min() for r in runs])


def test_one_statistic_the_difference_of_means_with_an_exact_permutation_p():
    import itertools

    a = _seeded("A", 4, 0.0, 3.0, rng_seed=3)
    b = _seeded("B", 4, 1.0, 3.0, rng_seed=4)
    for i, (run, _, _) in enumerate(b):
        run["seed"] = 10 + i  # different seeds: unpaired
    comp = Comparison.from_frames(*frames(*a, *b))
    res = paired_comparison(comp, "A", "B", "trials", seed=5)
    va, vb = _final_bests(comp, "A"), _final_bests(comp, "B")  # every run ends at 8 trials
    assert not res.paired and res.budget == 8
    assert res.mean_a == pytest.approx(va.mean()) and res.mean_b == pytest.approx(vb.mean())
    assert res.diff == pytest.approx(va.mean() - vb.mean())
    assert res.ci_low <= res.diff <= res.ci_high
    # ground truth: every relabelling of the 8 values (70), two-sided on |difference of means|
    pooled = np.concatenate([va, vb])
    extreme = 0
    for chosen in itertools.combinations(range(8), 4):
        mask = np.zeros(8, dtype=bool)
        mask[list(chosen)] = True
        extreme += abs(pooled[mask].mean() - pooled[~mask].mean()) >= abs(res.diff) - 1e-12
    assert res.p_value == pytest.approx(extreme / 70)


def test_results_are_deterministic_for_a_seed():
    comp = Comparison.from_frames(*frames(*_seeded("A", 5, 0.0, 3.0, rng_seed=1),
                                          *_seeded("B", 5, 1.0, 3.0, rng_seed=2)))
    first = paired_comparison(comp, "A", "B", "trials", seed=11)
    assert first == paired_comparison(comp, "A", "B", "trials", seed=11)
    other = paired_comparison(comp, "A", "B", "trials", seed=12)
    assert (other.diff, other.p_value) == (first.diff, first.p_value)  # exact, not resampled
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)  # resampled
    band = seed_bands(comp, "trials", n_boot=200, seed=3)
    pd.testing.assert_frame_equal(band, seed_bands(comp, "trials", n_boot=200, seed=3))
