"""What Ray Tune's ``Tuner.restore`` does to a population-based training run (the evidence behind
raysweep refusing ``resume`` and ``extend`` of a PBT/PB2 run, docs/pbt.md "Resume").

A PBT sweep (4 members, a perturbation every 2 of 12 iterations, the tests' numpy model that logs
every start and report) runs as a ``raysweep run`` subprocess; its driver is SIGKILLed once the store
holds an exploit and members are still training. The run is then continued with raysweep's
``resume_run`` (its PBT refusal switched off here, and only here) and compared with the trainable's
own log:

* what Tune handed the resumed driver as its scheduler (``tuner.pkl``: the PBT pickled at the first
  launch) against the live one's state at the kill (the experiment snapshot holds no scheduler);
* exploits after the resume at a time that is not a multiple of the interval since the member's last
  perturbation (Ray's PBT counts from ``last_perturbation_time``, 0 in a fresh scheduler);
* the store's ``perturbations`` rows against the exploits the trainable saw (a start from another
  member's checkpoint).

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/pbt_resume.py
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import textwrap
from collections import Counter
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.execution import _resume_harness as H  # noqa: E402

INTERVAL, ITERS, N = 2, 12, 4

_MODULE = '''
from raysweep import Sweep, schedulers, space
from tests.execution._pbt_trainables import numpy_model

SWEEP = Sweep(
    name="pbt_killed", trainable=numpy_model, metric="loss", mode="min", num_samples={n},
    space={{"lr": space.loguniform(1e-3, 0.3), "iters": {iters}, "log": {log!r}, "sleep": 0.4}},
    scheduler=schedulers.pbt({interval}, {{"lr": space.loguniform(1e-3, 0.3)}}, seed=5),
    resources={{"cpu": 0.5}}, seed=3)
'''


def _log(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _exploits(log: list[dict]) -> list[tuple]:
    return [(r["trial"], r["origin"][0], r["origin"][1]) for r in log
            if "start" in r and r["origin"] and r["origin"][0] != r["trial"]]


def main() -> None:
    from raysweep import results as R
    from raysweep.execution import resume_run
    from raysweep.execution.launch import _resume

    tmp = Path(tempfile.mkdtemp(prefix="pbt_resume_"))
    project, root, log = tmp / "project", tmp / "results", tmp / "log.jsonl"
    (project / "sweeps").mkdir(parents=True)
    (project / "sweeps" / "pbt_killed.py").write_text(textwrap.dedent(_MODULE).format(
        n=N, iters=ITERS, log=str(log), interval=INTERVAL))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    driver = H.cli("run", "pbt_killed", "--results", str(root), "--no-progress", "--num-cpus", "2",
                   cwd=project)

    def exploited_and_running():
        _, trials, _ = H.store(root)
        if trials.empty or not (root / "perturbations").is_dir():
            return False
        return len(R.load_perturbations(str(root))) >= 1 and (trials["status"] == "running").sum() >= 2

    try:
        H.wait_until(exploited_and_running, timeout=300, proc=driver, interval=0.2,
                     what="an exploit in the store")
    finally:
        H.kill_group(driver)
    before = _log(log)
    stored_before = R.load_perturbations(str(root))
    run_id = str(R.list_runs(str(root)).loc[0, "run"])
    ray_dir = root / "_ray" / "pbt_killed" / run_id
    with open(ray_dir / "tuner.pkl", "rb") as f:
        tuner_state = pickle.load(f)
    fresh = _scheduler_in(tuner_state)
    newest = max(ray_dir.glob("experiment_state-*.json"))
    snapshot = json.loads(newest.read_text())
    print("killed after", len(_exploits(before)), "exploits in the log,", len(stored_before), "stored")
    print("experiment snapshot keys:", sorted(snapshot), "runner_data has a scheduler:",
          any("scheduler" in k for k in snapshot["runner_data"]))
    print("tuner.pkl's PBT: trial states", len(vars(fresh)["_trial_state"]),
          "perturbations", vars(fresh)["_num_perturbations"])

    _resume.refuse_population = lambda row, sweep=None: None  # measure what a resume would do
    resume_run(run_id, results_root=str(root), progress=False, num_cpus=2)
    after = _log(log)[len(before):]
    stored = R.load_perturbations(str(root))
    trials = R.load_trials(str(root))
    ray_id = dict(zip(trials["trial_id"], trials["ray_trial_id"], strict=True))
    # After the resume, each member's first start is Tune restoring it from the snapshot (its own
    # checkpoint, or the one an exploit before the kill gave it); the later ones are exploits.
    restored, resumed = set(), []
    for r in after:
        if "start" not in r:
            continue
        if r["trial"] not in restored:
            restored.add(r["trial"])
        elif r["origin"] and r["origin"][0] != r["trial"]:
            resumed.append((r["trial"], r["origin"][0], r["origin"][1]))
    def keyed(frame):
        return Counter((ray_id[r.trial_id], ray_id[r.source_trial_id], r.source_training_iteration)
                       for r in frame.itertuples())

    new_rows = list((keyed(stored) - keyed(stored_before)).elements())
    off_grid = [e for e in resumed if e[2] % INTERVAL]
    print("exploits after the resume (log):", len(resumed), "of them at an iteration off the "
          f"every-{INTERVAL} grid:", len(off_grid), sorted(e[2] for e in resumed))
    print("perturbation rows stored after the resume:", len(new_rows),
          "equal to the log's exploits:", sorted(new_rows) == sorted(resumed))
    print("trial statuses:", dict(Counter(trials["status"])))


def _scheduler_in(state):
    """The RecordingPBT inside tuner.pkl's TuneConfig (raysweep's NonFiniteGuard wraps it)."""
    from raysweep.execution.tune._pbt import recording_pbt

    config = state["_tune_config"] if isinstance(state, dict) else vars(state)["_tune_config"]
    return recording_pbt(config.scheduler)


if __name__ == "__main__":
    main()
