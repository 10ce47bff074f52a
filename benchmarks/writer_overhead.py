"""Wall-time overhead of raysweep's Parquet writer on a 200-trial trivial sweep.

Runs the same Ray Tune sweep (trivial function trainable, 10 reports per trial, random search,
FIFO, 2 concurrent trials, actor reuse) with and without ``ParquetResultsCallback`` in one process,
alternating A/B pairs, and prints the median ratio. The writer's time includes ``finalize`` and
``close`` (final flush + compaction). On a shared, noisy machine the A/B ratio swings by tens of
percent between pairs, so the script also sums the time spent inside the callback's hooks,
``finalize`` and ``close`` during the run: the writer runs on Tune's driver loop, so that time is
what it adds to the sweep.

    python benchmarks/writer_overhead.py --trials 200 --pairs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no Tune tables between the measurements

import ray
from ray import tune

from raysweep import results
from raysweep.execution.recording._store_callback import ParquetResultsCallback


def trivial(config):
    for i in range(10):
        tune.report({"score": config["x"] * (i + 1), "loss": 1.0 / (i + 1)})


class TimedCallback(ParquetResultsCallback):
    """The real callback, with the time spent in each of its hooks summed (driver-side cost)."""

    spent = 0.0

    def _timed(name):
        def hook(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return getattr(ParquetResultsCallback, name)(self, *args, **kwargs)
            finally:
                TimedCallback.spent += time.perf_counter() - t0

        return hook

    on_trial_start = _timed("on_trial_start")
    on_trial_result = _timed("on_trial_result")
    on_trial_complete = _timed("on_trial_complete")
    on_step_end = _timed("on_step_end")
    on_experiment_end = _timed("on_experiment_end")
    finalize = _timed("finalize")


def one_sweep(n_trials: int, workdir: str, name: str, with_writer: bool) -> tuple[float, int]:
    callbacks, writer, cb = [], None, None
    start = time.perf_counter()
    if with_writer:
        writer = results.RunWriter(f"{workdir}/results", sweep="bench", run_id=name)
        writer.write_run({"status": "running", "started_at": datetime.now(UTC),
                          "metric": "score", "mode": "max", "num_samples": n_trials})
        cb = TimedCallback(writer, sweep="bench", run_id=name, metric="score", mode="max")
        callbacks = [cb]
    tuner = tune.Tuner(
        trivial,
        param_space={"x": tune.uniform(0, 1)},
        tune_config=tune.TuneConfig(num_samples=n_trials, reuse_actors=True,
                                    max_concurrent_trials=2, metric="score", mode="max"),
        run_config=tune.RunConfig(name=name, storage_path=f"{workdir}/ray", callbacks=callbacks,
                                  verbose=0),
    )
    tuner.fit()
    rows = 0
    if with_writer:
        cb.finalize(interrupted=False)
        t0 = time.perf_counter()
        writer.write_run({"status": "finished", **cb.summary()})
        writer.close()
        TimedCallback.spent += time.perf_counter() - t0
    elapsed = time.perf_counter() - start
    if with_writer:
        rows = len(results.load_iterations(f"{workdir}/results", sweeps="bench", runs=name))
    return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            one_sweep(20, workdir, "warmup", with_writer=True)  # worker start-up, imports
            plain, written, ratios, shares = [], [], [], []
            for pair in range(args.pairs):
                # alternate which variant goes first so drift on a shared machine cancels out
                order = (False, True) if pair % 2 == 0 else (True, False)
                times = {}
                for with_writer in order:
                    name = f"p{pair}_{'w' if with_writer else 'n'}"
                    TimedCallback.spent = 0.0
                    times[with_writer], rows = one_sweep(args.trials, workdir, name, with_writer)
                    if with_writer:
                        assert rows == args.trials * 10, rows
                        shares.append(TimedCallback.spent / times[True])
                plain.append(times[False])
                written.append(times[True])
                ratios.append(times[True] / times[False])
                print(f"pair {pair}: without {times[False]:.2f} s, with {times[True]:.2f} s, "
                      f"ratio {ratios[-1]:.3f}; writer time inside the run "
                      f"{shares[-1] * times[True]:.3f} s = {100 * shares[-1]:.2f} %", flush=True)
    finally:
        ray.shutdown()
    print(f"trials per sweep: {args.trials}, reports per trial: 10, pairs: {args.pairs}")
    print(f"median without writer: {statistics.median(plain):.2f} s "
          f"({1000 * statistics.median(plain) / args.trials:.1f} ms/trial)")
    print(f"median with writer:    {statistics.median(written):.2f} s "
          f"({1000 * statistics.median(written) / args.trials:.1f} ms/trial)")
    print(f"median ratio with/without: {statistics.median(ratios):.3f}")
    print(f"median share of wall time spent in the writer (callback hooks, finalize, close): "
          f"{100 * statistics.median(shares):.2f} %")


if __name__ == "__main__":
    main()
