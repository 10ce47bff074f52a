"""The sweep commands as a user runs them: real subprocesses where Ray runs or the process matters,
click's CliRunner in this process where no Ray starts (validate, plan, list, the store commands)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from raysweep import results

from .._cli import invoke as in_process
from .._wait import wait_until

GOOD = """
from ray import tune
from raysweep import Sweep, space, searchers, schedulers
from search_spaces.toy import TOY


def train(config):  # defined in the sweep module itself: shipped to workers by value
    for i in range(1, 5):
        tune.report({"score": -(config["x"] - 0.5) ** 2 - 1.0 / i})


SWEEP = Sweep(name="toy", trainable=train, space={**TOY, "n": space.randint(1, 3)},
              metric="score", mode="max", searcher=searchers.tpe(seed=0, n_initial_points=3),
              scheduler=schedulers.asha(max_t=4, grace_period=1, reduction_factor=2),
              num_samples=6, description="toy sweep")
"""

BAD = {
    "bounds": ("space.uniform(1.0, 0.0)", "'lower' parameter of space.uniform"),
    "log": ("space.loguniform(0.0, 1.0)", "greater than 0"),
    "empty": ("space.choice([])", "non-empty list"),
}


def cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300):
    """``raysweep ARGS`` in a real subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "raysweep.cli", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "RAYSWEEP_RESULTS": str(cwd / "results"), **(env or {})},
    )


@pytest.fixture
def invoke(monkeypatch):
    """``raysweep ARGS`` in this process (click's CliRunner, tests/_cli.py) for commands that start
    no Ray, with the project's results root as $RAYSWEEP_RESULTS."""
    def run(*args: str, cwd: Path, no_ray: bool = False):
        return in_process(monkeypatch, *args, cwd=cwd, no_ray=no_ray,
                          env={"RAYSWEEP_RESULTS": str(cwd / "results")})

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "search_spaces").mkdir()
    (tmp_path / "search_spaces" / "__init__.py").write_text("")
    (tmp_path / "search_spaces" / "toy.py").write_text(
        "from raysweep import space\nTOY = {'x': space.uniform(0.0, 1.0)}\n")
    (tmp_path / "sweeps" / "toy.py").write_text(GOOD)
    return tmp_path


def test_validate_accepts_a_good_sweep(project, invoke):
    out = invoke("validate", "toy", cwd=project)
    assert out.returncode == 0, out.stderr
    assert "OK: sweep 'toy'" in out.stdout and "6 trials" in out.stdout


def test_validate_plan_and_list_show_every_objective_and_the_constraints(project, invoke):
    multi = GOOD.replace('metric="score", mode="max", searcher=searchers.tpe(seed=0, n_initial_points=3),',
                         'metric=["score", "size"], mode=["max", "min"], searcher="optuna", '
                         'constraints=["size <= 3"],').replace(
        "schedulers.asha(max_t=4, grace_period=1, reduction_factor=2)",
        "schedulers.asha(max_t=4, grace_period=1, reduction_factor=2, metric='score')")
    (project / "sweeps" / "multi.py").write_text(multi)
    validate = invoke("validate", "multi", cwd=project)
    assert validate.returncode == 0, validate.stderr
    assert "optuna + asha, max score, min size, constraints size <= 3." in validate.stdout
    plan = invoke("plan", "multi", cwd=project)
    assert plan.returncode == 0, plan.stderr
    assert "objectives" in plan.stdout and "max score, min size" in plan.stdout
    assert "size <= 3" in plan.stdout
    assert "max score, min size" in invoke("list", cwd=project).stdout


def test_validate_and_plan_say_the_same_start_up_warning(project, invoke):
    """Six trials, all of them TPE's start-up trials: validate says so as plan does."""
    (project / "sweeps" / "allrandom.py").write_text(GOOD.replace("n_initial_points=3",
                                                                  "n_initial_points=6"))
    validate = invoke("validate", "allrandom", cwd=project)
    plan = invoke("plan", "allrandom", cwd=project)
    assert validate.returncode == 0 and plan.returncode == 0, validate.stderr + plan.stderr
    for out in (validate, plan):
        assert "starts with 6 random trials but the sweep runs only 6" in out.stderr


@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_rejects_bad_spaces_naming_the_field(project, invoke, case):
    expr, expected = BAD[case]
    (project / "sweeps" / "bad.py").write_text(GOOD.replace("space.randint(1, 3)", expr))
    out = invoke("validate", "bad", cwd=project)
    assert out.returncode == 2
    assert expected in out.stderr and "bad.py" in out.stderr


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (('mode="max",', ""), "'mode' parameter of Sweep"),
        (("n_initial_points=3", "n_initial_points=3, foo=1"), "'foo' is not a parameter"),
        (("grace_period=1", "grace_period=9"), "'grace_period'"),
        (('description="toy sweep"', 'resources={"cpu": -1}'), "resources['cpu']"),
        (("num_samples=6", "num_samples=0"), "'num_samples' parameter"),
        (("SWEEP = Sweep(", "OTHER = Sweep("), "defines no SWEEP"),
        (("def train(config):", "def train(config)"), "syntax error at line"),
    ],
    ids=["mode", "unknown-param", "grace", "resources", "num-samples", "no-sweep", "syntax"],
)
def test_validate_rejects_bad_sweeps(project, invoke, replace, expected):
    (project / "sweeps" / "bad.py").write_text(GOOD.replace(*replace))
    out = invoke("validate", "bad", cwd=project)
    assert out.returncode == 2, out.stdout
    assert expected in out.stderr


def test_unknown_sweep_name_suggests_close_ones(project, invoke):
    out = invoke("validate", "tyo", cwd=project)
    assert out.returncode == 2
    assert "Unknown sweep 'tyo'" in out.stderr and "'toy'" in out.stderr


def test_plan_shows_trials_and_space(project, invoke):
    out = invoke("plan", "toy", "--num-cpus", "2", cwd=project)
    assert out.returncode == 0, out.stderr
    for text in ("tpe", "asha", "max score", "uniform(0, 1)", "randint(1, 3)", "trials at once"):
        assert text in out.stdout


def test_list_marks_invalid_modules(project, invoke):
    (project / "sweeps" / "broken.py").write_text("SWEEP = 1\n")
    out = invoke("list", cwd=project)
    assert out.returncode == 0, out.stderr
    assert "toy" in out.stdout and "invalid" in out.stdout


@pytest.mark.slow
def test_run_executes_on_an_embedded_ray_and_writes_parquet(project, invoke):
    """The one test of the embedded start-up path from the command line (the other subprocess
    drivers join the session's Ray)."""
    out = cli("run", "toy", "--num-cpus", "2", "--no-progress", cwd=project, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "finished" in out.stdout and "best" in out.stdout
    trials = results.load_trials(str(project / "results"), sweeps="toy")
    assert len(trials) == 6
    runs = results.list_runs(str(project / "results"))
    assert list(runs["status"]) == ["finished"]
    assert runs.loc[0, "sweep_sha256"] and runs.loc[0, "sweep_path"].endswith("toy.py")

    # Then the store commands and one DuckDB query over results/, as the README shows them.
    listed = invoke("runs", cwd=project)
    assert listed.returncode == 0 and runs.loc[0, "run"] in listed.stdout
    shown = invoke("show", "toy", cwd=project)
    assert shown.returncode == 0 and trials.sort_values("metric_best").iloc[-1]["trial_id"] in shown.stdout
    best = invoke("best", "toy", cwd=project)
    assert best.returncode == 0 and '"x"' in best.stdout
    import duckdb

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    query = readme.split("```sql\n", 1)[1].split("```", 1)[0].replace("results/", f"{project}/results/")
    assert duckdb.sql(query).fetchall() == [("toy", trials["metric_best"].max())]


def test_run_refuses_more_cpus_than_the_machine_has(project, invoke):
    out = invoke("run", "toy", "--num-cpus", str((os.cpu_count() or 1) + 1), cwd=project,
                 no_ray=True)
    assert out.returncode == 2
    assert "'num_cpus'" in out.stderr


def test_help_lists_every_command(project, invoke):
    out = invoke("--help", cwd=project)
    for command in ("run", "validate", "plan", "list", "runs", "show", "best", "compare", "report"):
        assert command in out.stdout


SLOW = """
import time
from ray import tune
from raysweep import Sweep, space


def train(config):
    for i in range(1, 200):
        time.sleep(0.2)
        tune.report({"score": config["x"] * i})


SWEEP = Sweep(name="slow", trainable=train, space={"x": space.uniform(0.0, 1.0)}, metric="score",
              mode="max", searcher="random", num_samples=50)
"""


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_marks_the_run_interrupted(project, ray_address):
    """Joins the session's Ray (``--address``): a Ctrl-C stops the driver, not the Ray."""
    (project / "sweeps" / "slow.py").write_text(SLOW)
    env = {**os.environ, "RAYSWEEP_RESULTS": str(project / "results")}
    proc = subprocess.Popen([sys.executable, "-m", "raysweep.cli", "run", "slow", "--address",
                             ray_address, "--no-progress"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    iterations = project / "results" / "iterations" / "sweep=slow"
    try:
        wait_until(lambda: any(iterations.rglob("*.parquet")), timeout=180, proc=proc,
                   what="the first flushed results")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130, stderr[-3000:]
    assert "interrupted" in stdout
    runs = results.list_runs(str(project / "results"), sweeps="slow")
    assert list(runs["status"]) == ["interrupted"]
    trials = results.load_trials(str(project / "results"), sweeps="slow")
    assert (trials["status"] == "cancelled").any()
    assert results.load_iterations(str(project / "results"), sweeps="slow")["score"].notna().all()


def test_an_unusable_results_root_fails_before_ray_starts(project, invoke):
    blocker = project / "not_a_dir"
    blocker.write_text("a file where the results root should be")
    out = invoke("run", "toy", "--results", str(blocker / "results"), cwd=project, no_ray=True)
    assert out.returncode == 2  # bad input, not a failed sweep
    assert "results root" in out.stderr and "is a file, not a directory" in out.stderr
    assert "not_a_dir" in out.stderr
    assert "Started a local Ray" not in out.stderr
