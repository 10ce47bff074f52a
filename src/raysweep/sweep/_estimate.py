"""What a sweep will cost, estimated from earlier runs in the results store (no Ray).

``raysweep plan`` and ``run_sweep`` call :func:`estimate_cost`. History is the ended runs of the same
sweep, else of sweeps with the same trainable and at least one dimension in common. From their
iterations it takes the seconds a trial spends in its first iteration (start-up included) and in
each later one; from the scheduler the iterations a trial is expected to run:

* ASHA (``time_attr="training_iteration"``): :func:`asha_expected_iterations`, from the rungs;
* HyperBand (``time_attr="training_iteration"``): its brackets (``HyperBand.expected_iterations``), for
  trials that continue from a checkpoint when promoted (the rule also says what trainables without
  checkpoints, which restart from iteration 1, compute);
* otherwise: the mean iterations per trial of the history.

compute = trials x (mean first-iteration seconds + (expected iterations - 1) x mean later-iteration
seconds); wall = compute / trials at once x the earlier runs' overhead (their wall time over their
compute spread over their trials at once: Ray's start-up, actor starts, snapshots). Totals use
means (a sum is a mean times a count); the median and the 10-90 % spread of the seconds per
iteration are shown to say how uneven trials are. The store is read through :mod:`raysweep.results`,
imported lazily.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from raysweep.schedulers import ASHA, HyperBand
from raysweep.sweep._sweep import Sweep

__all__ = ["Estimate", "asha_expected_iterations", "estimate_cost", "estimate_vs_actual",
           "trainable_name"]

#: Latest matching runs an estimate reads by default.
HISTORY_RUNS = 5
_ENDED = ("finished", "failed", "interrupted", "crashed")


@dataclass(frozen=True)
class Estimate:
    """A sweep's expected cost and the runs it was estimated from."""

    runs: tuple[str, ...]
    sweeps: tuple[str, ...]
    n_trials: int
    iterations_per_trial: float
    iterations_rule: str
    first_iteration_s: float
    iteration_s_median: float
    iteration_s_p10: float
    iteration_s_p90: float
    later_iteration_s_mean: float
    compute_s: float
    trials_at_once: int | None
    wall_s: float | None
    wall_overhead: float
    n_iterations_seen: int

    def record(self) -> dict[str, Any]:
        """The run-row columns that store this estimate."""
        return {"estimate_compute_s": self.compute_s, "estimate_wall_s": self.wall_s,
                "estimate_iterations": self.iterations_per_trial * self.n_trials,
                "estimate_runs": json.dumps(list(self.runs))}


def asha_expected_iterations(n_trials: int, max_t: int, grace_period: int, reduction_factor: float,
                             brackets: int = 1, cap: int | None = None) -> float:
    """Expected iterations per trial under Ray's asynchronous successive halving.

    Bracket ``s`` has rungs at ``grace_period * rf**(k + s)``, ``k < int(log(max_t/grace)/log(rf) - s
    + 1)`` (Ray's ``_Bracket``); a trial joins bracket ``s`` with probability proportional to its
    number of rungs. At a rung, the ``j``-th trial to arrive (``j`` = 0, 1, ...) is compared with the
    ``j`` values recorded there before it: the first always continues, later ones continue when at
    or above the ``(1 - 1/rf)`` percentile of those values (numpy's linear interpolation), which an
    exchangeable value does with probability ``(j - (1 - 1/rf)(j - 1)) / (j + 1)`` (tends to
    ``1/rf``). A trial stopped at a rung ran that rung's milestone; a trial passing every rung runs
    ``max_t`` (or ``cap``, when the trainable stops sooner by itself).
    """
    if n_trials <= 0:
        return 0.0
    top = min(max_t, cap) if cap else max_t
    rf = float(reduction_factor)
    sizes, rungs = [], []
    for s in range(brackets):
        count = int(math.log(max_t / grace_period) / math.log(rf) - s + 1)
        milestones = [grace_period * rf ** (k + s) for k in range(max(count, 0))]
        rungs.append(milestones)
        sizes.append(len(milestones))
    total_size = sum(sizes) or 1
    expected = 0.0
    for milestones, size in zip(rungs, sizes, strict=True):
        arrivals = n_trials * (size / total_size if sum(sizes) else 1.0 / brackets)
        for milestone in sorted(milestones):
            if milestone >= top:
                break
            promoted = _promoted(arrivals, rf)
            expected += (arrivals - promoted) * milestone
            arrivals = promoted
        expected += arrivals * top
    return expected / n_trials


def _promoted(arrivals: float, rf: float) -> float:
    """Expected trials continuing past a rung that ``arrivals`` trials reach one after another."""
    whole = math.floor(arrivals)
    total = sum(_continue(j, rf) for j in range(whole))
    return total + (arrivals - whole) * _continue(whole, rf)


def _continue(j: int, rf: float) -> float:
    return 1.0 if j == 0 else (j - (1 - 1 / rf) * (j - 1)) / (j + 1)


def estimate_cost(sweep: Sweep, root: str | None, trials_at_once: int | None = None,
                  n_trials: int | None = None, runs: Sequence[str] | None = None,
                  history: int = HISTORY_RUNS) -> Estimate | None:
    """The cost of running ``sweep`` (``n_trials`` trials, default all), estimated from the
    ``history`` latest matching ended runs under ``root`` (or exactly ``runs``); None: no history."""
    from raysweep.results import list_runs, load_iterations

    chosen = _history(sweep, list_runs(root=root), runs, history)
    if chosen.empty:
        return None
    iters = load_iterations(root, sweeps=sorted(set(chosen["sweep"])), runs=list(chosen["run"]),
                            columns=["time_this_iter_s"])
    iters = iters[iters["time_this_iter_s"].notna()]
    if iters.empty:
        return None
    first_at = iters.groupby(["run", "trial_id"])["training_iteration"].transform("min")
    is_first = iters["training_iteration"] == first_at
    first = iters.loc[is_first, "time_this_iter_s"].astype(float).tolist()
    later = iters.loc[~is_first, "time_this_iter_s"].astype(float).tolist()
    every = sorted(iters["time_this_iter_s"].astype(float))
    per_trial = iters.groupby(["run", "trial_id"])["training_iteration"].max()
    n = sweep.n_trials if n_trials is None else n_trials
    expected, rule = _expected_iterations(sweep, n, chosen, per_trial)
    later_mean = statistics.fmean(later) if later else statistics.fmean(first)
    compute = n * (statistics.fmean(first) + max(expected - 1.0, 0.0) * later_mean)
    at_once = None if not trials_at_once else min(trials_at_once, max(n, 1))
    overhead = _wall_overhead(chosen, iters.groupby("run")["time_this_iter_s"].sum())
    return Estimate(
        runs=tuple(chosen["run"]), sweeps=tuple(dict.fromkeys(chosen["sweep"])), n_trials=n,
        iterations_per_trial=expected, iterations_rule=rule,
        first_iteration_s=statistics.median(first), iteration_s_median=statistics.median(every),
        iteration_s_p10=_quantile(every, 0.1), iteration_s_p90=_quantile(every, 0.9),
        later_iteration_s_mean=later_mean, compute_s=compute, trials_at_once=at_once,
        wall_s=None if not at_once else compute / at_once * overhead, wall_overhead=overhead,
        n_iterations_seen=len(every),
    )


def _wall_overhead(chosen: Any, compute_by_run: Any) -> float:
    """How much longer the earlier runs took than their compute spread over their trials at once
    (Ray's start-up, actor starts, snapshots): the median ratio, 1.0 when none can be measured."""
    ratios = []
    for _, run in chosen.iterrows():
        compute = float(compute_by_run.get(run["run"], 0.0))
        at_once = _trials_at_once(run)
        start, end = run.get("started_at"), run.get("ended_at")
        if compute <= 0 or at_once is None or start is None or end is None:
            continue
        try:
            wall = (end - start).total_seconds()
        except (TypeError, ValueError, AttributeError):
            continue
        if wall > 0 and math.isfinite(wall):
            ratios.append(wall / (compute / at_once))
    return statistics.median(ratios) if ratios else 1.0


def _trials_at_once(run: Any) -> int | None:
    """Trials an earlier run held at once: its cluster CPUs over CPUs per trial, capped."""
    try:
        cluster = json.loads(run.get("cluster_resources") or "{}")
        per_trial = json.loads(run.get("resources_per_trial") or "{}")
    except (TypeError, ValueError):
        return None
    cpu, need = float(cluster.get("CPU", 0) or 0), float(per_trial.get("cpu", 0) or 0)
    if cpu <= 0 or need <= 0:
        return None
    fit = math.floor(cpu / need + 1e-9)
    for cap in (run.get("max_concurrent"), run.get("n_trials")):
        if cap is not None and not (isinstance(cap, float) and math.isnan(cap)) and cap > 0:
            fit = min(fit, int(cap))
    return fit or None


def _history(sweep: Sweep, all_runs: Any, runs: Sequence[str] | None, history: int) -> Any:
    if all_runs.empty:
        return all_runs
    if runs is not None:
        return all_runs[all_runs["run"].isin(list(runs))]
    ended = all_runs[all_runs["status"].isin(_ENDED)]
    same = ended[ended["sweep"] == sweep.name]
    if same.empty and "trainable" in ended:  # list_runs is newest first
        dims = _dimensions(sweep.space_json())
        same = ended[(ended["trainable"] == trainable_name(sweep))
                     & ended["space_json"].map(lambda text: bool(dims & _dimensions(text)))]
    return same.head(history)


def _dimensions(space_json: Any) -> set[str]:
    """The searched (non-constant) dimension paths of a stored ``space_json``."""
    try:
        space = json.loads(space_json)
    except (TypeError, ValueError):
        return set()
    return {path for path, spec in space.items()
            if isinstance(spec, dict) and spec.get("type") != "constant"}


def trainable_name(sweep: Sweep) -> str:
    """``module.qualname`` of the sweep's trainable (stored in the run row as ``trainable``)."""
    trainer = sweep.trainer
    fn = trainer.loop if trainer is not None else sweep.trainable
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    return f"{trainer.kind}({name})" if trainer is not None else name


def _expected_iterations(sweep: Sweep, n: int, chosen: Any,
                         per_trial: Any) -> tuple[float, str]:
    """Expected iterations per trial and how they were derived (see the module docstring)."""
    asha = sweep.scheduler_spec if isinstance(sweep.scheduler_spec, ASHA) else None
    seen = [int(v) for v in per_trial.tolist()]
    longest = max(seen) if seen else None
    band = sweep.scheduler_spec
    if isinstance(band, HyperBand) and band.time_attr == "training_iteration":
        stopping = chosen["scheduler"].isin(["asha", "hyperband", "hyperband_for_bohb"]).any()
        cap = longest if longest is not None and not stopping else None
        stored = band.expected_iterations(n, cap=cap)
        restarted = band.expected_iterations(n, cap=cap, resumed=False)
        return stored, (f"HyperBand brackets (max_t={band.max_t}, reduction_factor="
                        f"{band.reduction_factor:g}): {stored:.2f} per trial when promoted trials "
                        f"continue from a checkpoint, up to {restarted:.2f} when they report none and "
                        "restart from iteration 1")
    if asha is None or asha.time_attr != "training_iteration":
        if longest is not None and (chosen["scheduler"].isin(
                ["asha", "hyperband", "hyperband_for_bohb"])).any():
            # early stopping cut the earlier trials short: unstopped, a trial runs to its own end
            return float(longest), "the longest trial of the history (it was not stopped early)"
        mean = statistics.fmean(seen) if seen else 1.0
        return mean, f"mean iterations per trial of the history ({mean:.2f})"
    rungs = asha_expected_iterations(n, asha.max_t, asha.grace_period, asha.reduction_factor,
                                     asha.brackets, cap=longest)
    how = (f"ASHA rungs (max_t={asha.max_t}, grace_period={asha.grace_period}, reduction_factor="
           f"{asha.reduction_factor:g}, brackets={asha.brackets}): {rungs:.2f} per trial")
    # Calibration: earlier runs under the same ASHA ran `ratio` times what the rung model expected
    # for them (learning curves cross; fast configs reach a rung first): scale by it.
    modelled = observed = 0.0
    for _, run in chosen.iterrows():
        if run.get("scheduler") != "asha" or not _same_rungs(_params(run.get("scheduler_params")), asha):
            continue
        counts = per_trial[per_trial.index.get_level_values("run") == run["run"]]
        if counts.empty:
            continue
        observed += float(counts.sum())
        modelled += len(counts) * asha_expected_iterations(
            len(counts), asha.max_t, asha.grace_period, asha.reduction_factor, asha.brackets,
            cap=longest)
    if modelled <= 0:
        return rungs, how + " (no earlier run under the same ASHA to calibrate with)"
    ratio = observed / modelled
    return rungs * ratio, how + f" x {ratio:.2f} (what earlier runs under it ran against the model)"


#: What makes two ASHAs stop trials at the same rungs (parameters added later, such as the metric
#: it ranks by, do not change how many iterations a trial runs and may be missing from older runs).
_RUNG_PARAMS = ("max_t", "grace_period", "reduction_factor", "brackets", "time_attr")


def _same_rungs(stored: dict[str, Any] | None, asha: Any) -> bool:
    current = asha.params()
    return stored is not None and all(stored.get(k) == current[k] for k in _RUNG_PARAMS)


def _params(text: Any) -> dict[str, Any] | None:
    try:
        return dict(json.loads(text))
    except (TypeError, ValueError):
        return None


def _quantile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    pos = q * (len(values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def estimate_vs_actual(estimate_compute_s: float | None, estimate_wall_s: float | None,
                       actual_compute_s: float | None, actual_wall_s: float | None) -> str | None:
    """One line for the end-of-run summary: the plan's estimate against what the run cost."""
    if estimate_compute_s is None or actual_compute_s is None:
        return None
    parts = [f"compute {_s(estimate_compute_s)} planned, {_s(actual_compute_s)} actual"
             + _ratio(actual_compute_s, estimate_compute_s)]
    if estimate_wall_s is not None and actual_wall_s is not None:
        parts.append(f"wall {_s(estimate_wall_s)} planned, {_s(actual_wall_s)} actual"
                     + _ratio(actual_wall_s, estimate_wall_s))
    return "; ".join(parts)


def _s(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _ratio(actual: float, planned: float) -> str:
    return f" ({(actual - planned) / planned:+.0%})" if planned > 0 else ""
