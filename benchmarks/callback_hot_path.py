"""raysweep's own per-trial cost on Tune's driver loop, without Ray: the store and progress callbacks
and the Parquet writer fed like Tune's loop feeds them (a step per event, 3 results per trial, trials
one after another), on stand-in trial objects. No Ray and no experiment snapshots (no controller), so
the figure is raysweep's code alone: raw Ray Tune spends 0 ms here. Usage, from the repository root::

    python benchmarks/callback_hot_path.py [--trials 3000] [--profile]

``--profile`` adds a cProfile table (sorted by own time) of a second run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

REPORTS = 3


class _Trial:
    """What the callbacks read of Ray's ``Trial`` here."""

    def __init__(self, i: int) -> None:
        self.trial_id = f"abcde_{i:05d}"
        self.config = {"x": i * 0.001}
        self.status = "RUNNING"
        self.run_metadata = type("Meta", (), {"num_failures": 0})()
        self.temporary_state = None
        self.local_path = self.path = None


def _result(trial: _Trial, it: int) -> dict[str, Any]:
    return {"loss": 1.0 / it, "training_iteration": it, "time_total_s": 0.1 * it,
            "time_this_iter_s": 0.1, "done": it == REPORTS, "trial_id": trial.trial_id,
            "timestamp": 1, "date": "2026-11-28", "pid": 1, "hostname": "h", "node_ip": "127.0.0.1",
            "time_since_restore": 0.1 * it, "iterations_since_restore": it, "experiment_tag": "1",
            "config": trial.config, "checkpoint_dir_name": None, "should_checkpoint": False}


def run(n: int, root: str) -> None:
    from raysweep.execution.recording._store_callback import ParquetResultsCallback
    from raysweep.execution.terminal._progress import ProgressCallback
    from raysweep.results import RunWriter

    writer = RunWriter(root, sweep="hot", run_id="r1")
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "loss",
                      "mode": "min"})
    store = ParquetResultsCallback(writer, sweep="hot", run_id="r1", metric="loss", mode="min",
                                   asha_max_t=REPORTS)
    progress = ProgressCallback(n, "loss", "min", live=False, asha_max_t=REPORTS)
    trials: list[Any] = []
    for i in range(n):
        trial = _Trial(i)
        trials.append(trial)
        store.on_step_begin(0, trials)
        store.on_step_end(0, trials)  # the step that added it
        for callback in (progress, store):
            callback.on_trial_start(0, trials, trial)
        for it in range(1, REPORTS + 1):
            result = _result(trial, it)
            for callback in (progress, store):
                callback.on_trial_result(0, trials, trial, result)
            store.on_step_end(0, trials)
        for callback in (progress, store):
            callback.on_trial_complete(0, trials, trial)
        store.on_step_end(0, trials)
    store.on_experiment_end(trials)
    store.finalize(interrupted=False)
    writer.close(compact=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import raysweep.execution.recording._store_callback  # noqa: F401 - imports Ray Tune: not timed
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        run(args.trials, root)
        elapsed = time.perf_counter() - start
    print(f"{args.trials} trials x {REPORTS} results: {1e3 * elapsed / args.trials:.3f} ms per trial "
          "in raysweep's callbacks and writer (no Ray, no snapshots)")
    if args.profile:
        with tempfile.TemporaryDirectory() as root:
            profile = cProfile.Profile()
            profile.enable()
            run(args.trials, root)
            profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
