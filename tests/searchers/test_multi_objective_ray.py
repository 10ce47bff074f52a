"""Multi-objective sweeps on a real local Ray, checked against the trainable's own log: Optuna's
multi-objective TPE and NSGA-II, warm start / extend with every objective, constraints told to
Optuna, and ``best``'s Pareto set."""

from __future__ import annotations

import json
import pickle
import re

import pytest
from click.testing import CliRunner

from raysweep import ExecutionError, Sweep, results, searchers, space
from raysweep.cli._main import raysweep as cli
from raysweep.execution import extend_run, run_sweep

from ._mo_trainables import only_first, read_log, zdt1

pytestmark = pytest.mark.slow


def _sweep(name, log, searcher, n, **kw) -> Sweep:
    return Sweep(name=name, trainable=zdt1, space={"x": space.uniform(0.0, 1.0), "y": space.uniform(0.0, 1.0),
                                                    "w": space.uniform(0.0, 1.0), "log": str(log)},
                 metric=["f1", "f2"], mode=["min", "min"], searcher=searcher, num_samples=n,
                 resources={"cpu": 1}, **kw)


def _key(config) -> str:
    return json.dumps({k: config[k] for k in ("x", "y", "w")}, sort_keys=True)


def _last_reports(log) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for report in read_log(log):
        out[_key(report["config"])] = report
    return out


def _study(ray_root):
    """The Optuna study the run's searcher saved last in its Ray directory."""
    paths = sorted(ray_root.rglob("searcher-state-*.pkl"), key=lambda p: p.stat().st_mtime)
    for path in reversed(paths):
        with open(path, "rb") as saved:
            state = pickle.load(saved)
        if isinstance(state, dict) and "_ot_study" in state:
            return state["_ot_study"]
    raise AssertionError(f"no Optuna searcher state under {ray_root}")


def _report_of(truth: dict[str, dict], trial) -> dict:
    """The logged last report of the configuration an Optuna trial holds (its x, y and w)."""
    matches = [r for r in truth.values()
               if all(r["config"][k] == pytest.approx(trial.params[k], abs=1e-12) for k in "xyw")]
    assert len(matches) == 1, (trial.params, len(matches))
    return matches[0]


def _front(points: dict[str, tuple[float, float]]) -> set[str]:
    """The non-dominated keys, by brute force (both minimised)."""
    return {k for k, p in points.items()
            if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in points.values())}


def _best(root, name) -> list[dict]:
    out = CliRunner().invoke(cli, ["best", name, "--results", str(root)])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def test_optuna_multi_objective_rows_study_pareto_set_and_extend(ray_session, tmp_path):
    root, log = tmp_path / "results", tmp_path / "reports.jsonl"
    sweep = _sweep("mo_optuna", log, searchers.optuna(seed=0, n_startup_trials=4), 8)
    summary = run_sweep(sweep, results_root=str(root), progress=False)
    assert summary.status == "finished"

    truth = _last_reports(log)
    trials = results.load_trials(str(root), sweeps=sweep.name)
    assert len(trials) == 8 == len(truth)
    for _, row in trials.iterrows():  # every objective's last value stored as reported
        logged = truth[_key(json.loads(row["config_json"]))]
        assert row["last.f1"] == logged["f1"] and row["last.f2"] == logged["f2"]
        assert row["metric"] == "f1" and row["metric_last"] == logged["f1"]
        assert row["feasible"] is None or row["feasible"] != row["feasible"]  # no constraints: null
    run = results.list_runs(str(root), sweeps=sweep.name).iloc[0]
    assert json.loads(run["objectives_json"]) == [["f1", "min"], ["f2", "min"]]
    assert results.run_objectives(run) == sweep.objectives

    study = _study(root / "_ray")  # Optuna was told both values of every trial
    assert [d.name for d in study.directions] == ["MINIMIZE", "MINIMIZE"]
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    assert len(finished) == 8
    for trial in finished:
        report = _report_of(truth, trial)
        assert trial.values == pytest.approx([report["f1"], report["f2"]])

    front = _best(root, sweep.name)  # best: the Pareto set, from the ground truth by brute force
    expected = _front({k: (r["f1"], r["f2"]) for k, r in truth.items()})
    assert {_key(m["config"]) for m in front} == expected
    for member in front:
        logged = truth[_key(member["config"])]
        assert member["values"] == {"f1": logged["f1"], "f2": logged["f2"]}
    shown = CliRunner().invoke(cli, ["show", sweep.name, "--results", str(root)])
    assert shown.exit_code == 0 and "pareto" in shown.output
    assert shown.output.count(" * ") >= len(expected)

    # extend: the 8 earlier trials are told to Optuna with both values, 2 new ones run
    extended = extend_run(summary.run_id, num_samples=2, results_root=str(root), progress=False,
                          sweep=sweep)
    assert extended.status == "finished"
    truth = _last_reports(log)
    assert len(truth) == 10 == len(results.load_trials(str(root), sweeps=sweep.name))
    study = _study(root / "_ray")
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    assert len(finished) == 10
    for trial in finished:
        report = _report_of(truth, trial)
        assert trial.values == pytest.approx([report["f1"], report["f2"]])


def _feasible_share(log, first_index: int) -> tuple[float, int]:
    """The share of trials from the ``first_index``-th on (in the order they first reported) whose
    logged ``size`` satisfies the constraint ``size <= 0.5``."""
    order: list[str] = []
    sizes: dict[str, float] = {}
    for report in read_log(log):
        key = _key(report["config"])
        if key not in sizes:
            order.append(key)
        sizes[key] = report["size"]
    later = order[first_index:]
    return sum(sizes[k] <= 0.5 for k in later) / len(later), len(order)


def test_constraints_reach_optuna_and_steer_it_to_the_feasible_half(ray_session, tmp_path):
    n, root = 20, tmp_path / "results"
    shares = {}
    for searcher in (searchers.optuna(seed=4, n_startup_trials=5), searchers.random(seed=4)):
        log = tmp_path / f"{searcher.name}.jsonl"
        sweep = _sweep(f"con_{searcher.name}", log, searcher, n, constraints=["size <= 0.5"])
        run_sweep(sweep, results_root=str(root), progress=False)
        shares[searcher.name], count = _feasible_share(log, n // 2)
        assert count == n
        truth = _last_reports(log)
        trials = results.load_trials(str(root), sweeps=sweep.name)
        for _, row in trials.iterrows():  # the feasible column is the constraint on what was logged
            assert bool(row["feasible"]) == (truth[_key(json.loads(row["config_json"]))]["size"] <= 0.5)
        front = _best(root, sweep.name)
        assert front and all(truth[_key(m["config"])]["size"] <= 0.5 for m in front)
        if searcher.name == "optuna":  # every told trial carries its constraint value size - 0.5
            study = _study(root / "_ray")
            for trial in study.get_trials(deepcopy=False):
                if trial.state.is_finished():
                    assert list(trial.constraints.values()) == pytest.approx([trial.params["w"] - 0.5])
    # Measured on the second half of each run: random stays near the space's half; Optuna, told
    # which trials were infeasible, suggests mostly feasible ones.
    print("feasible share of the second half:", shares)
    assert shares["optuna"] > shares["random"], shares
    assert shares["optuna"] > 0.5, shares


def test_nsga2_tells_both_objectives_and_breeds_after_its_population(ray_session, tmp_path):
    root, log = tmp_path / "results", tmp_path / "nsga2.jsonl"
    sweep = _sweep("mo_nsga2", log, searchers.nsga2(population_size=4, seed=2), 8)
    assert run_sweep(sweep, results_root=str(root), progress=False).status == "finished"
    truth = _last_reports(log)
    study = _study(root / "_ray")
    import optuna

    assert isinstance(study.sampler, optuna.samplers.NSGAIISampler)
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    assert len(finished) == 8 == len(truth)
    for trial in finished:
        report = _report_of(truth, trial)
        assert trial.values == pytest.approx([report["f1"], report["f2"]])
    generations = {v for t in finished for k, v in t.system_attrs.items() if k.endswith(":generation")}
    assert generations >= {0, 1}, generations  # the second four were bred from the first


@pytest.mark.parametrize("searcher", ["random", "optuna"])
def test_a_trial_that_never_reports_an_objective_stops_the_sweep_naming_it(ray_session, tmp_path,
                                                                            searcher):
    # random: raysweep's guard checks every objective; optuna: Ray's own check of the searcher's
    # metrics, explained with the objective the result lacked
    sweep = Sweep(name="mo_missing", trainable=only_first, space={"x": space.uniform(0.0, 1.0)},
                  metric=["f1", "f2"], mode=["min", "max"], searcher=searcher, num_samples=1,
                  resources={"cpu": 1})
    with pytest.raises(ExecutionError) as info:
        run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
    message = str(info.value)
    assert re.search(r"never reported (the sweep metric )?'f2'", message), message
    assert "it reported 'f1'" in message


def test_a_constraint_on_a_metric_no_trial_reports_stops_the_sweep_naming_it(ray_session, tmp_path):
    """A misspelt metric in a constraint would make every trial infeasible: the first trial that ran
    to its end without it stops the sweep, naming the constraint, what was reported and the fix; the
    trial's row is stored."""
    log = tmp_path / "log.jsonl"
    sweep = _sweep("con_typo", log, "random", 4, constraints=["config.x <= 0.9", "sise <= 0.5"])
    with pytest.raises(ExecutionError) as info:
        run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
    message = str(info.value)
    assert "The constraint 'sise <= 0.5' of Sweep(constraints=[...]) reads 'sise'" in message
    assert "it reported 'f1', 'f2', 'size'" in message and "Did you mean 'size'?" in message
    trials = results.load_trials(str(tmp_path / "results"), sweeps="con_typo")
    runs = results.list_runs(str(tmp_path / "results"))
    assert runs.loc[0, "status"] == "failed"
    logged = {_key(r["config"]) for r in read_log(log)}
    completed = trials[trials["status"] == "completed"]
    assert len(completed) >= 1 and {_key(json.loads(c)) for c in completed["config_json"]} <= logged


def test_asha_named_objective_ranks_rungs_by_it(ray_session, tmp_path):
    from raysweep import schedulers

    root, log = tmp_path / "results", tmp_path / "asha.jsonl"
    sweep = Sweep(name="mo_asha", trainable=zdt1,
                  space={"x": space.uniform(0.0, 1.0), "y": space.uniform(0.0, 1.0),
                         "w": space.uniform(0.0, 1.0), "log": str(log), "iters": 4},
                  metric=["f1", "f2"], mode=["min", "min"], searcher=searchers.random(seed=1),
                  scheduler=schedulers.asha(max_t=4, grace_period=1, reduction_factor=2, metric="f2"),
                  num_samples=8, resources={"cpu": 1})
    assert run_sweep(sweep, results_root=str(root), progress=False).status == "finished"
    rungs = results.load_rungs(str(root), sweeps=sweep.name)
    assert len(rungs) and set(rungs["metric"]) == {"f2"}
    logged = {(_key(r["config"]), r["i"]): r["f2"] for r in read_log(log)}
    trials = results.load_trials(str(root), sweeps=sweep.name).set_index("trial_id")
    for _, rung in rungs.iterrows():  # each decision was taken on the trial's logged f2
        key = _key(json.loads(trials.loc[rung["trial_id"], "config_json"]))
        assert rung["value"] == pytest.approx(logged[(key, int(rung["milestone"]))])
    assert (trials["status"] == "early_stopped").any()
