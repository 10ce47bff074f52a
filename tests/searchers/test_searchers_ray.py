"""Searchers on the session's real local Ray: Optuna and TPE with ASHA end to end, seeds reproduce,
Optuna runs trials in parallel without a cap. Checked against the trainable's own log (ground truth)."""

from __future__ import annotations

import itertools
import json

import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.execution import run_sweep

from ._trainables import logged_quadratic, read_log

pytestmark = pytest.mark.slow


def _space(log, **extra):
    return {
        "x": space.uniform(0.0, 1.0),
        "width": space.qrandint(16, 64, 16),
        "depth": space.lograndint(1, 9),
        "opt": {"lr": space.qloguniform(1e-4, 1e-1, 1e-4), "kind": space.choice(["adam", "sgd"])},
        "layers": space.choice([[8], [8, 8]]),
        "iters": 6,
        "log": str(log),
        **extra,
    }


def _sweep(searcher, name, log, **kw) -> Sweep:
    defaults = dict(
        name=name, trainable=logged_quadratic, space=_space(log), metric="loss", mode="min",
        searcher=searcher, scheduler=schedulers.asha(max_t=6, grace_period=1, reduction_factor=2),
        num_samples=10, resources={"cpu": 1},
    )
    return Sweep(**{**defaults, **kw})


@pytest.mark.parametrize("searcher", [searchers.optuna(seed=1, n_startup_trials=4),
                                      searchers.tpe(seed=1)], ids=["optuna", "tpe"])
def test_searcher_with_asha_end_to_end(ray_session, tmp_path, searcher):
    log = tmp_path / "reports.jsonl"
    sweep = _sweep(searcher, f"e2e_{searcher.name}", log)
    summary = run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)

    assert summary.status == "finished"
    reports = read_log(log)
    trials = results.load_trials(str(tmp_path / "results"), sweeps=sweep.name)
    assert len(trials) == 10 == len({json.dumps(r["config"], sort_keys=True) for r in reports})
    # ASHA (rf=2, 6 iterations) stopped some trials early: fewer reports than 10 full trials.
    assert (trials["status"] == "early_stopped").any()
    assert len(reports) < 10 * 6
    for config in (r["config"] for r in reports):
        assert 0.0 <= config["x"] <= 1.0
        assert config["width"] in (16, 32, 48, 64)
        assert isinstance(config["depth"], int) and 1 <= config["depth"] <= 8
        assert 1e-4 - 1e-12 <= config["opt"]["lr"] <= 1e-1 + 1e-12
        assert round(config["opt"]["lr"] / 1e-4, 6) == round(config["opt"]["lr"] / 1e-4)
        assert config["opt"]["kind"] in ("adam", "sgd")
        assert config["layers"] in ([8], [8, 8])
        assert config["iters"] == 6 and config["log"] == str(log)
    best_logged = min(r["loss"] for r in reports)
    assert summary.best_value == pytest.approx(best_logged)
    run = results.list_runs(str(tmp_path / "results"), sweeps=sweep.name).iloc[0]
    assert run["searcher"] == searcher.name and run["n_warm_start"] == 0


@pytest.mark.parametrize("make", [lambda: searchers.optuna(seed=5, n_startup_trials=2),
                                  lambda: searchers.tpe(seed=5, n_initial_points=2)],
                         ids=["optuna", "tpe"])
def test_a_seed_reproduces_the_trials(ray_session, tmp_path, make):
    configs = []
    for attempt in range(2):
        log = tmp_path / "reports.jsonl"  # same constant in both sweeps; read per attempt
        sweep = _sweep(make(), f"repro_{attempt}", log, num_samples=5, max_concurrent=1,
                       scheduler="fifo")
        run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
        configs.append([json.dumps(r["config"], sort_keys=True) for r in read_log(log) if r["i"] == 1])
        log.unlink()
    assert configs[0] == configs[1]
    assert len(set(configs[0])) == 5


def test_optuna_runs_two_trials_at_once_without_a_cap(ray_session, tmp_path):
    log = tmp_path / "reports.jsonl"
    # Trials of 3 s: longer than a second worker takes to start even on a loaded machine.
    sweep = _sweep(searchers.optuna(seed=0), "parallel", log, num_samples=4, scheduler="fifo",
                   space={**_space(log), "iters": 2, "sleep": 1.5})
    assert sweep.concurrency_cap is None
    run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
    spans = {}
    for r in read_log(log):
        key = json.dumps(r["config"], sort_keys=True)
        spans[key] = (r["start"], max(r["time"], spans.get(key, (0, 0))[1]))
    assert len(spans) == 4
    ordered = sorted(spans.values())
    overlaps = sum(1 for a, b in itertools.pairwise(ordered) if b[0] < a[1])
    assert overlaps >= 1, f"trials never overlapped: {ordered}"


def _optuna_study(ray_root):
    """The Optuna study the run's searcher saved in its Ray directory (Tune's searcher state)."""
    import pickle

    for path in sorted(ray_root.rglob("searcher-state-*.pkl")):
        with open(path, "rb") as saved:
            state = pickle.load(saved)
        if isinstance(state, dict) and "_ot_study" in state:
            return state["_ot_study"]
    raise AssertionError(f"no Optuna searcher state under {ray_root}")


@pytest.mark.parametrize("as_pruned", [True, False], ids=["pruned", "complete"])
def test_optuna_learns_asha_stopped_trials_as_pruned_or_complete(ray_session, tmp_path, as_pruned):
    import optuna

    log = tmp_path / "reports.jsonl"
    sweep = _sweep(searchers.optuna(seed=3, n_startup_trials=4, stopped_as_pruned=as_pruned),
                   f"told_{str(as_pruned).lower()}", log)
    run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)

    reports: dict[str, list[dict]] = {}
    for r in read_log(log):  # ground truth: what each configuration reported
        reports.setdefault(json.dumps({"x": r["config"]["x"]}), []).append(r)
    study = _optuna_study(tmp_path / "results" / "_ray")
    told = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    assert len(told) == 10 == len(reports)
    stopped = 0
    for trial in told:
        mine = sorted(reports[json.dumps({"x": trial.params["x"]})], key=lambda r: r["i"])
        ran_out = mine[-1]["i"] == 6
        stopped += not ran_out
        expected = optuna.trial.TrialState.COMPLETE if ran_out or not as_pruned else \
            optuna.trial.TrialState.PRUNED
        assert trial.state == expected, (trial.number, [r["i"] for r in mine])
        last = trial.value if trial.state == optuna.trial.TrialState.COMPLETE else \
            trial.intermediate_values[max(trial.intermediate_values)]
        assert last == pytest.approx(mine[-1]["loss"])  # the stopping result itself reached Optuna
    assert stopped >= 1  # ASHA (rf=2) stopped some trials early
