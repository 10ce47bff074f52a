"""Real drivers in subprocesses, killed and resumed, checked against the trainable's own log.

The sweep module written by :func:`write_sweep` has a trainable that appends every report (Ray trial
id, pid, iteration, value) to ``<log_dir>/<trial id>.log`` *before* reporting it: the ground truth
the store is compared with.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd

from raysweep import results as R

from .._wait import wait_until

REPO = Path(__file__).resolve().parents[2]

_MODULE = '''
import json, os, tempfile, time
from ray import tune
from raysweep import Sweep, schedulers, searchers, space

LOG_DIR = {log_dir!r}
ITERS = {iters}
CHECKPOINT = {checkpoint}
SIZE_ONCE = {size_once}  # report "size" (= x) at the first iteration only


def value(x, it):
    return round((x - 0.3) ** 2 + 1.0 / it, 12)


def trainable(config):
    trial = tune.get_context().get_trial_id()
    start = 1
    ckpt = tune.get_checkpoint()
    if CHECKPOINT and ckpt is not None:
        with ckpt.as_directory() as d:
            with open(os.path.join(d, "state.json")) as fh:
                start = json.load(fh)["it"] + 1
    for it in range(start, ITERS + 1):
        time.sleep({sleep})
        v = value(config["x"], it)
        with open(os.path.join(LOG_DIR, trial + ".log"), "a") as fh:
            fh.write(json.dumps({{"trial": trial, "pid": os.getpid(), "it": it, "value": v,
                                 "x": config["x"]}}) + "\\n")
        {fail}
        metrics = {{"loss": v, **({{"size": config["x"]}} if SIZE_ONCE and it == 1 else {{}})}}
        if CHECKPOINT:
            with tempfile.TemporaryDirectory() as d:
                with open(os.path.join(d, "state.json"), "w") as fh:
                    json.dump({{"it": it}}, fh)
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(d))
        else:
            tune.report(metrics)


SWEEP = Sweep(
    name={name!r}, trainable=trainable, space={{"x": space.uniform(0.0, 1.0)}}, metric="loss",
    mode="min", searcher={searcher}, scheduler={scheduler}, num_samples={n}, max_concurrent=2,
    resources={{"cpu": 1}}, max_failures={max_failures}, seed=3, constraints={constraints!r},
)
'''


def write_sweep(project: Path, name: str, *, n: int = 6, iters: int = 5, sleep: float = 0.3,
                checkpoint: bool = True, searcher: str = "searchers.tpe(seed=3, n_initial_points=3)",
                max_failures: int = 0, fail: str = "",
                scheduler: str = '"fifo"', size_once: bool = False,
                constraints: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """A sweep module under ``project/sweeps`` and its log directory."""
    log_dir = project / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    (project / "sweeps").mkdir(exist_ok=True)
    path = project / "sweeps" / f"{name}.py"
    path.write_text(textwrap.dedent(_MODULE).format(
        log_dir=str(log_dir), iters=iters, checkpoint=checkpoint, sleep=sleep, fail=fail or "pass",
        name=name, searcher=searcher, n=n, max_failures=max_failures, scheduler=scheduler,
        size_once=size_once, constraints=list(constraints)))
    return path, log_dir


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    out["RAY_AIR_NEW_OUTPUT"] = "0"
    return out


def cli(*args: str, cwd: Path, address: str | None = None, **kw) -> subprocess.Popen:
    """``raysweep ARGS`` in a new session (so that its Ray processes can be killed as a group).

    With ``address`` (the ``ray_address`` fixture) the driver joins the session's Ray instead of
    starting its own: killing its group then kills the driver only, and Ray ends its job."""
    extra = ["--address", address] if address else []
    return subprocess.Popen([sys.executable, "-m", "raysweep.cli", *args, *extra], cwd=cwd,
                            env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kw)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        kill_group(proc)
    return proc.returncode, out


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the driver's whole process group (its embedded Ray with it)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def store(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not (root / "runs").is_dir():
            return pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
        return R.list_runs(str(root)), R.load_trials(str(root)), R.load_iterations(str(root))


def wait_for(proc: subprocess.Popen, root: Path, *, ended: int, timeout: float = 240) -> pd.DataFrame:
    """Wait until the store says ``ended`` trials ended and one more is running; return the trials."""
    def reached() -> list[pd.DataFrame]:  # [trials] once there (a frame has no truth value)
        _, trials, _ = store(root)
        if trials.empty:
            return []
        done = trials["status"].isin(["completed", "early_stopped", "errored"]).sum()
        return [trials] if done >= ended and (trials["status"] == "running").any() else []

    return wait_until(reached, timeout=timeout, proc=proc, interval=0.2,
                      what=f"{ended} ended trials and one running, to interrupt")[0]


def read_log(log_dir: Path) -> pd.DataFrame:
    rows = [json.loads(line) for f in sorted(log_dir.glob("*.log")) for line in f.read_text().splitlines()]
    return pd.DataFrame(rows, columns=["trial", "pid", "it", "value", "x"])


def check_against_log(root: Path, log_dir: Path, *, n: int, iters: int,
                      ended_before: pd.DataFrame, log_before: pd.DataFrame) -> dict[str, int]:
    """Every guarantee of a resumed run, checked against the ground-truth log."""
    runs, trials, iters_df = store(root)
    log = read_log(log_dir)
    assert len(runs) == 1 and runs.loc[0, "status"] == "finished", runs[["run", "status"]]
    assert int(runs.loc[0, "resumes"]) == 1
    # Exactly the trial count the sweep asks for; no config suggested twice.
    assert len(trials) == n and trials["trial_id"].is_unique, (
        trials[["trial_id", "ray_trial_id", "trial_index", "status", "config_json"]])
    assert trials["config_json"].is_unique and trials["ray_trial_id"].is_unique
    assert set(trials["status"]) == {"completed"}, trials[["ray_trial_id", "status"]]
    # A trial that ended before the crash never ran again: its log did not grow.
    for ray_id in ended_before["ray_trial_id"]:
        assert (log["trial"] == ray_id).sum() == (log_before["trial"] == ray_id).sum(), ray_id
    # Every logged trial is a stored trial, and vice versa.
    assert set(log["trial"]) == set(trials["ray_trial_id"])
    # No duplicated or missing iteration; every value is the last one the trainable reported.
    assert not iters_df.duplicated(["trial_id", "training_iteration"]).any()
    by_ray = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    last = log.drop_duplicates(["trial", "it"], keep="last").set_index(["trial", "it"])["value"]
    for trial_id, group in iters_df.groupby("trial_id"):
        assert sorted(group["training_iteration"]) == list(range(1, iters + 1)), trial_id
        for it, value in zip(group["training_iteration"], group["loss"], strict=True):
            assert value == last[(by_ray[trial_id], int(it))]
    assert (trials["iterations"] == iters).all()
    return {"log_lines": len(log), "reruns": int(log.duplicated(["trial", "it"]).sum())}
