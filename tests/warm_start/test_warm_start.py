"""Warm start: specs and refusals without Ray; then real runs on the session's Ray checked against the
trainable's own log: exactly the in-space earlier trials seed the searcher and none of them runs again."""

from __future__ import annotations

import json
import sys

import pytest

from raysweep import ConfigError, Sweep, results, searchers, space, warm_start
from raysweep.execution import run_sweep
from raysweep.execution.tune import _convert
from raysweep.sweep import make_plan
from raysweep.warm_start import inside
from tests.searchers._trainables import logged_quadratic, read_log


def _space(log, upper=1.0):
    return {"x": space.uniform(0.0, upper), "opt": {"kind": space.choice(["adam", "sgd"])},
            "width": space.qrandint(16, 64, 16), "iters": 2, "log": str(log)}


def _sweep(name, log, searcher, upper=1.0, **kw):
    return Sweep(**{"name": name, "trainable": logged_quadratic, "space": _space(log, upper),
                    "metric": "loss", "mode": "min", "searcher": searcher, "num_samples": 8,
                    "resources": {"cpu": 1}, **kw})


# Without Ray.

def test_from_runs_records_sources_and_root():
    spec = warm_start.from_runs("a", "20261127T000000Z-abcdef", results_root="/tmp/r")
    assert spec.sources == ("a", "20261127T000000Z-abcdef") and spec.results_root == "/tmp/r"
    assert spec.with_root("/elsewhere") is spec
    assert warm_start.from_runs("a").with_root("/r").results_root == "/r"


@pytest.mark.parametrize("sources", [(), ("",), (3,)])
def test_from_runs_rejects_bad_sources(sources):
    with pytest.raises(ConfigError, match=r"'sources' parameter of warm_start\.from_runs"):
        warm_start.from_runs(*sources)


@pytest.mark.parametrize("searcher", ["grid", "random"])
def test_grid_and_random_refuse_warm_start(tmp_path, searcher):
    with pytest.raises(ConfigError) as info:
        _sweep("w", tmp_path / "log", searcher, warm_start=warm_start.from_runs("earlier"))
    message = str(info.value)
    assert "'warm_start' parameter of Sweep must be None with the grid and random searchers" in message
    assert f"The '{searcher}' searcher learns nothing from earlier trials" in message


def test_warm_start_must_be_a_spec(tmp_path):
    with pytest.raises(ConfigError, match="'warm_start' parameter of Sweep must be None or "
                                          r"warm_start.from_runs\(...\). Got 'earlier' instead"):
        _sweep("w", tmp_path / "log", "optuna", warm_start="earlier")


def test_inside_checks_dimensions_constants_and_leaves(tmp_path):
    s = _space(tmp_path / "log", upper=0.5)
    good = {"x": 0.25, "opt": {"kind": "sgd"}, "width": 32, "iters": 2, "log": str(tmp_path / "log")}
    assert inside(s, good)
    assert not inside(s, {**good, "x": 0.75})                 # outside the narrower range
    assert not inside(s, {**good, "width": 40})               # not on the q=16 lattice
    assert not inside(s, {**good, "opt": {"kind": "rmsprop"}})
    assert not inside(s, {**good, "iters": 3})                # another constant: not comparable
    assert not inside(s, {**good, "extra": 1})                # another space
    assert not inside(s, {k: v for k, v in good.items() if k != "width"})


def test_a_missing_source_is_a_config_error_before_ray_starts(tmp_path):
    sweep = _sweep("w", tmp_path / "log", "optuna", warm_start=warm_start.from_runs("never_ran"))
    with pytest.raises(ConfigError, match="No sweep or run 'never_ran'"):
        run_sweep(sweep, results_root=str(tmp_path / "results"), progress=False)
    assert not (tmp_path / "results" / "runs").exists() or not any(
        (tmp_path / "results" / "runs").iterdir())


# On Ray.

@pytest.fixture(scope="module")
def earlier(ray_session, tmp_path_factory):
    """One random-search run of 10 trials over x in [0, 1]: the store and its ground-truth log."""
    tmp = tmp_path_factory.mktemp("warm")
    log, root = tmp / "reports.jsonl", str(tmp / "results")
    summary = run_sweep(_sweep("earlier", log, searchers.random(seed=3), num_samples=10),
                        results_root=root, progress=False)
    finals = {}
    for r in read_log(log):  # last report of every trial = the value the searcher learns
        finals[json.dumps(r["config"], sort_keys=True)] = (r["config"], r["loss"])
    return {"log": log, "root": root, "run": summary.run_id, "finals": list(finals.values())}


def _expected(earlier, upper):
    return sorted((c["x"], loss) for c, loss in earlier["finals"] if c["x"] <= upper)


@pytest.mark.slow
@pytest.mark.parametrize("searcher", [searchers.optuna(seed=0), searchers.tpe(seed=0)],
                         ids=["optuna", "tpe"])
def test_exactly_the_in_space_trials_seed_the_searcher(earlier, searcher):
    sweep = _sweep("later", earlier["log"], searcher, upper=0.5,
                   warm_start=warm_start.from_runs("earlier"))
    seeds = _convert.load_seeds(sweep, earlier["root"])
    expected = _expected(earlier, 0.5)
    assert 0 < len(expected) < 10
    assert seeds.n == len(expected) and seeds.runs == (earlier["run"],) and seeds.n_candidates == 10
    _, search = _convert.make_search(sweep, seeds)
    inner = search.searcher
    if searcher.name == "optuna":
        seeded = sorted((t.params["x"], t.value) for t in inner._ot_study.trials)
    else:
        seeded = sorted((d["misc"]["vals"]["x"][0], d["result"]["loss"])
                        for d in inner._hpopt_trials.trials)
    assert len(seeded) == len(expected)
    for (x, value), (want_x, want_value) in zip(seeded, expected, strict=True):
        assert x == pytest.approx(want_x) and value == pytest.approx(want_value)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["optuna", "tpe"])
def test_a_warm_started_run_records_its_seeds_and_reruns_none(earlier, name):
    before = len(read_log(earlier["log"]))
    sweep = _sweep(f"later_{name}", earlier["log"], name, upper=0.5, num_samples=4,
                   warm_start=warm_start.from_runs("earlier"))
    run_sweep(sweep, results_root=earlier["root"], progress=False)
    new = read_log(earlier["log"])[before:]
    old_configs = {json.dumps(c, sort_keys=True) for c, _ in earlier["finals"]}
    new_configs = {json.dumps(r["config"], sort_keys=True) for r in new}
    assert len(new_configs) == 4
    assert not new_configs & old_configs
    run = results.list_runs(earlier["root"], sweeps=sweep.name).iloc[0]
    assert run["n_warm_start"] == len(_expected(earlier, 0.5))
    assert json.loads(run["warm_start_runs"]) == [earlier["run"]]


@pytest.mark.slow
def test_plan_says_how_many_would_seed(earlier, monkeypatch):
    monkeypatch.setenv("RAYSWEEP_RESULTS", earlier["root"])
    sweep = _sweep("later_plan", earlier["log"], "tpe", upper=0.5,
                   warm_start=warm_start.from_runs("earlier", earlier["run"]))
    warnings = make_plan(sweep).warnings
    n = len(_expected(earlier, 0.5))
    assert any(f"Warm start would seed {n} earlier trials from 1 run(s)" in w for w in warnings)


def test_plan_warns_when_start_up_covers_the_budget(tmp_path):
    sweep = _sweep("w", tmp_path / "log", searchers.optuna(n_startup_trials=10), num_samples=8)
    assert any("starts with 10 random trials but the sweep runs only 8" in w
               for w in make_plan(sweep).warnings)
    assert make_plan(_sweep("w", tmp_path / "log", "tpe", num_samples=8)).warnings == ()


def test_cli_refuses_warm_start_for_random_search(tmp_path, monkeypatch):
    module = tmp_path / "sweeps" / "rnd.py"
    module.parent.mkdir()
    module.write_text(
        "from raysweep import Sweep, space\n"
        "def train(config):\n    pass\n"
        "SWEEP = Sweep(name='rnd', trainable=train, space={'x': space.uniform(0, 1)},\n"
        "              metric='m', mode='min', searcher='random', num_samples=2)\n"
    )
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    monkeypatch.setattr(sys, "path", list(sys.path))  # loading the module puts its project there
    # In this process: the refusal comes while the sweep is validated, before any Ray is used.
    done = CliRunner().invoke(raysweep, ["run", str(module), "--warm-start", "earlier",
                                         "--results", str(tmp_path / "results")])
    assert done.exit_code == 2, done.output
    assert "'warm_start' parameter of Sweep must be None with the grid and random searchers" \
        in done.stderr
