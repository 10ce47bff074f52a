"""Driver memory profile: what grows per trial in the sweep driver, and where its peak RSS happens.

The trivial sweep of ``benchmarks/scale.py`` (3 reports per trial, random search + ASHA, 2 trials at
once) through raysweep (Parquet store on) and through raw Ray Tune (``reuse_actors=True``), each in a
fresh driver process. Usage, from the repository root::

    python benchmarks/driver_memory.py [--trials 2000] [--at 500 1000 2000] [--contenders raw raysweep]

Per contender it prints:

* ``tracemalloc`` snapshots (Python allocations only) after 500, 1,000 and 2,000 trials ended and after
  ``fit()`` / ``run_sweep`` returned, grouped by component (Tune's trial objects, Tune's other modules,
  raysweep, pandas, pyarrow, ...), with the KB per trial each component grows between the first and
  the last in-sweep snapshot, and the source lines that grew most;
* the traced peak of each phase (sweep, Tune's end of ``fit()`` building its ``ResultGrid``,
  raysweep's summary, the writer's close and compaction);
* an RSS trace (psutil, every 0.2 s): the peak, when it happened and in which phase.

``--writer-close N`` measures only what ``RunWriter.close`` (flush and compaction) adds to the RSS of a
process holding an N-trial run written as the driver writes it (no Ray; each N in a fresh process).
``--tune-state PATH`` loads the trials of a run's ``experiment_state-*.json`` (under
``<results_root>/_ray/<sweep>/<run_id>``) 1,000 times and prints the KB per ended trial of Tune's state,
untrimmed and trimmed (``execution/durability/_trim.py``).

``tracemalloc`` slows the driver (about 2x): the timings are not those of ``scale.py``, the memory is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # the same sweep as the scale benchmark
from scale import REPORTS, trainable

_COMPONENTS = (  # first match wins: (substring of the file path, component)
    ("/ray/tune/experiment/", "Tune trial objects"),
    ("/ray/tune/execution/", "Tune controller"),
    ("/ray/tune/analysis/", "Tune ResultGrid/ExperimentAnalysis"),
    ("/ray/tune/result_grid", "Tune ResultGrid/ExperimentAnalysis"),
    ("/ray/tune/logger/", "Tune logger callbacks"),
    ("/ray/tune/search/", "Tune searcher"),
    ("/ray/tune/schedulers/", "Tune scheduler"),
    ("/ray/tune/", "Tune other"),
    ("/ray/train/", "Ray Train (checkpoint manager, storage)"),
    ("/ray/", "Ray core"),
    ("/raysweep/", "raysweep"),
    ("/pandas/", "pandas"),
    ("/pyarrow/", "pyarrow"),
    ("/json/", "json"),
    ("/copy.py", "copy (deepcopy)"),
)


def _component(filename: str) -> str:
    for part, name in _COMPONENTS:
        if part in filename:
            return name
    return "other"


def _by_component(snapshot: tracemalloc.Snapshot) -> dict[str, int]:
    """Traced bytes per component, attributed to the innermost frame of each allocation's traceback
    that is not the stdlib (so a ``json.loads`` Tune calls counts as Tune's)."""
    sizes: dict[str, int] = {}
    for stat in snapshot.statistics("traceback"):
        name = "other"
        for frame in reversed(stat.traceback):  # innermost last in tracemalloc's order
            name = _component(frame.filename)
            if name not in ("other", "json", "copy (deepcopy)"):
                break
        sizes[name] = sizes.get(name, 0) + stat.size
    return sizes


class _Probe:
    """Phase labels, tracemalloc snapshots at trial counts, per-phase traced peaks, RSS trace."""

    def __init__(self, at: list[int]) -> None:
        import psutil

        self.proc = psutil.Process()
        self.at = sorted(at)
        self.ended = 0
        self.phase = "start"
        self.t0 = time.monotonic()
        self.snapshots: dict[str, tracemalloc.Snapshot] = {}
        self.traced_peaks: dict[str, float] = {}
        self.rss: list[tuple[float, float, str]] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._halt.wait(0.2):
            self.rss.append((time.monotonic() - self.t0, self.proc.memory_info().rss / 2**20,
                             self.phase))

    def start(self) -> None:
        tracemalloc.start(25)
        self._thread.start()
        self.enter("sweep")

    def enter(self, phase: str) -> None:
        """Close the current phase (its traced peak) and open ``phase``."""
        if self.phase != "start":
            self.traced_peaks[self.phase] = max(self.traced_peaks.get(self.phase, 0.0),
                                                tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.reset_peak()
        self.phase = phase

    def trial_ended(self) -> None:
        self.ended += 1
        if self.ended in self.at:
            self.snapshots[f"{self.ended} trials"] = tracemalloc.take_snapshot()

    def stop(self) -> None:
        self.enter("stopped")
        self.snapshots["after fit/close"] = tracemalloc.take_snapshot()
        self._halt.set()
        self._thread.join()

    def report(self) -> dict:
        comps = {label: _by_component(s) for label, s in self.snapshots.items()}
        labels = [f"{n} trials" for n in self.at if f"{n} trials" in self.snapshots]
        per_trial: dict[str, float] = {}
        growth: list[str] = []
        if len(labels) >= 2:
            first, last = labels[0], labels[-1]
            span = int(last.split()[0]) - int(first.split()[0])
            for name in set(comps[first]) | set(comps[last]):
                per_trial[name] = (comps[last].get(name, 0) - comps[first].get(name, 0)) / 1024 / span
            diff = self.snapshots[last].compare_to(self.snapshots[first], "lineno")
            growth = [f"{d.size_diff / 1024 / span:7.2f} KB/trial  {d.traceback[0].filename}:"
                      f"{d.traceback[0].lineno}" for d in diff[:12]]
        peak = max(self.rss, key=lambda r: r[1]) if self.rss else (0.0, 0.0, "")
        at_phase: dict[str, float] = {}
        for _, mb, phase in self.rss:
            at_phase[phase] = max(at_phase.get(phase, 0.0), mb)
        return {"components_mb": {k: {n: v / 2**20 for n, v in c.items()} for k, c in comps.items()},
                "kb_per_trial": per_trial, "growth_lines": growth, "traced_peak_mb": self.traced_peaks,
                "rss_peak": {"mb": peak[1], "at_s": peak[0], "phase": peak[2]},
                "rss_peak_by_phase": at_phase,
                "rss_end_of_sweep_mb": next((mb for _, mb, ph in reversed(self.rss) if ph == "sweep"),
                                            0.0)}


def _callback(probe: _Probe):
    from ray import tune

    class _Count(tune.Callback):
        def __init__(self, probe: _Probe) -> None:
            self.probe = probe

        def __getstate__(self) -> dict:  # Tune pickles its run config; the probe stays here
            return {}

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.probe.trial_ended()

        def on_trial_error(self, iteration, trials, trial, **info):
            self.probe.trial_ended()

        def on_experiment_end(self, trials, **info):
            self.probe.enter("Tune end of fit (final snapshot, ResultGrid)")

    return _Count(probe)


def _phase(probe: _Probe, owner, name: str, label: str) -> None:
    """Wrap ``owner.name`` so the probe enters ``label`` while it runs."""
    inner = getattr(owner, name)

    def wrapped(*args, **kwargs):
        probe.enter(label)
        return inner(*args, **kwargs)

    setattr(owner, name, wrapped)


def child(contender: str, n: int, at: list[int]) -> dict:
    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    for attempt in range(3):  # on a loaded machine the raylet can miss Ray's 30 s start-up wait
        try:
            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR")
            break
        except Exception:
            ray.shutdown()
            if attempt == 2:
                raise
    ray.cloudpickle.register_pickle_by_value(scale)  # workers cannot import benchmarks/scale.py
    probe = _Probe(at)
    with tempfile.TemporaryDirectory() as storage:
        if contender == "raw":
            probe.start()
            tune.Tuner(
                trainable, param_space={"x": tune.uniform(-10, 10)},
                tune_config=tune.TuneConfig(
                    metric="loss", mode="min", num_samples=n, reuse_actors=True,
                    max_concurrent_trials=2,
                    scheduler=ASHAScheduler(max_t=REPORTS, grace_period=1, reduction_factor=3)),
                run_config=tune.RunConfig(storage_path=storage, verbose=0,
                                          callbacks=[_callback(probe)]),
            ).fit()
        else:
            from raysweep import Sweep, schedulers, searchers, space
            from raysweep.execution import run_sweep
            from raysweep.execution.launch import _fit as _runner
            from raysweep.results import RunWriter

            make = _runner._tuner
            _runner._tuner = lambda launch, callbacks: make(launch, [*callbacks, _callback(probe)])
            _phase(probe, _runner, "_summarise", "raysweep summary (finalize, error groups)")
            _phase(probe, RunWriter, "close", "writer close (flush, compaction)")
            sweep = Sweep(name="scale", trainable=trainable, space={"x": space.uniform(-10, 10)},
                          metric="loss", mode="min", searcher=searchers.random(seed=0),
                          max_concurrent=2, num_samples=n,
                          scheduler=schedulers.asha(max_t=REPORTS, grace_period=1, reduction_factor=3))
            probe.start()
            run_sweep(sweep, results_root=storage, progress=False)
        probe.stop()
    ray.shutdown()
    return probe.report()


def writer_close(n: int, per_flush: int = 14) -> None:
    """RSS added by ``RunWriter.close`` (flush + compaction) for a run of ``n`` trials x 3 iterations
    written as the driver writes them (a part file per ``per_flush`` trials); no Ray."""
    from datetime import UTC, datetime

    import psutil

    from raysweep.results import RunWriter

    proc, peak, halt = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not halt.wait(0.02):
            peak[0] = max(peak[0], proc.memory_info().rss)

    with tempfile.TemporaryDirectory() as root:
        writer = RunWriter(root, sweep="s", run_id="r")
        for t in range(n):
            trial_id = f"{(t * 2654435761) % 2**64:016x}"
            for i in range(1, REPORTS + 1):
                writer.add_iteration({"trial_id": trial_id, "attempt": 1, "training_iteration": i,
                                      "time_total_s": 0.1 * i, "timestamp": datetime.now(UTC),
                                      "loss": 1.0 / i, "node_ip": "127.0.0.1"})
            writer.add_trial({"trial_id": trial_id, "ray_trial_id": f"r_{t:05d}", "trial_index": t,
                              "status": "completed", "config_json": '{"x": 1.0}', "metric": "loss",
                              "metric_last": 0.3, "metric_best": 0.3, "iterations": REPORTS})
            if t % per_flush == per_flush - 1:
                writer.flush()
        writer.flush()
        files = sum(len(names) for _, _, names in os.walk(root))
        before = peak[0] = proc.memory_info().rss
        threading.Thread(target=sample, daemon=True).start()
        clock = time.perf_counter()
        writer.close()
        elapsed = time.perf_counter() - clock
        halt.set()
    print(f"RunWriter.close of {n} trials ({files} part files): RSS {before / 2**20:.0f} MB before, "
          f"+{(peak[0] - before) / 2**20:.1f} MB at its peak, {elapsed:.2f} s")


def tune_state(path: Path, copies: int = 1000) -> None:
    """KB per ended trial of Tune's state (the Trial with its run metadata and the controller's JSON
    cache), untrimmed and trimmed: the trials of an ``experiment_state-*.json`` loaded ``copies``
    times."""
    from ray.tune.experiment.trial import Trial

    from raysweep.execution.durability._trim import trim_trial

    pairs = json.loads(path.read_text())["trial_data"]
    metric = next((m for m in json.loads(pairs[0][1])["metric_analysis"]
                   if m not in ("done", "training_iteration") and not m.startswith(("time_", "iter"))),
                  "score")
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    trials, cache = [], {}
    for k in range(copies):
        state, meta = pairs[k % len(pairs)]
        trial = Trial.from_json_state(state, stub=True)
        trial.restore_run_metadata(meta)
        trials.append(trial)
        cache[k] = trial.get_json_state()
    for label in ("untrimmed", "trimmed"):
        if label == "trimmed":
            keep = frozenset({metric, "training_iteration", "time_total_s", "done", "trial_id", "config"})
            for k, trial in enumerate(trials):
                trim_trial(trial, keep)
                cache[k] = trial.get_json_state()  # what the controller caches after the next snapshot
        traced = (tracemalloc.get_traced_memory()[0] - base) / copies / 1024
        text = sum(len(a) + len(b) for a, b in cache.values()) / copies / 1024
        print(f"{label:9}: {traced:5.1f} KB per ended trial, of which {text:4.1f} KB JSON "
              f"({len(pairs)} trials of {path.name} x {copies // len(pairs)}, metric {metric!r})")


def _print(contender: str, n: int, r: dict) -> None:
    print(f"\n=== {contender}: {n} trials (load {os.getloadavg()[0]:.1f}) ===")
    labels = list(r["components_mb"])
    names = sorted({c for v in r["components_mb"].values() for c in v},
                   key=lambda c: -r["components_mb"][labels[-1]].get(c, 0.0))
    print(f"{'traced MB by component':40}" + "".join(f"{lab:>16}" for lab in labels) + f"{'KB/trial':>10}")
    for name in names:
        print(f"{name:40}" + "".join(f"{r['components_mb'][lab].get(name, 0.0):16.1f}" for lab in labels)
              + f"{r['kb_per_trial'].get(name, 0.0):10.2f}")
    total = sum(r["kb_per_trial"].values())
    print(f"{'total (traced)':40}" + "".join(f"{sum(r['components_mb'][lab].values()):16.1f}"
                                             for lab in labels) + f"{total:10.2f}")
    print("lines that grew most between the first and last in-sweep snapshot:")
    for line in r["growth_lines"]:
        print("   ", line)
    print("traced peak per phase (MB):")
    for phase, mb in r["traced_peak_mb"].items():
        print(f"    {phase:50} {mb:8.1f}   (RSS max {r['rss_peak_by_phase'].get(phase, 0.0):6.0f} MB)")
    p = r["rss_peak"]
    print(f"RSS at the end of the sweep {r['rss_end_of_sweep_mb']:.0f} MB; peak {p['mb']:.0f} MB "
          f"at {p['at_s']:.1f} s, in phase: {p['phase']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--at", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--contenders", nargs="+", default=["raw", "raysweep"],
                        choices=["raw", "raysweep"])
    parser.add_argument("--writer-close", type=int, metavar="N", default=None,
                        help="only measure RunWriter.close of an N-trial run (no Ray) and exit")
    parser.add_argument("--tune-state", type=Path, metavar="EXPERIMENT_STATE_JSON", default=None,
                        help="only measure Tune's state per ended trial, untrimmed and trimmed")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.at)))
        return
    if args.tune_state:
        tune_state(args.tune_state)
        return
    if args.writer_close:
        writer_close(args.writer_close)
        return
    results = {}
    for contender in args.contenders:
        cmd = [sys.executable, __file__, "--child", contender, str(args.trials),
               "--at", *map(str, args.at)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"{contender} failed:\n{out.stderr[-3000:]}")
        results[contender] = json.loads(out.stdout.strip().splitlines()[-1])
        _print(contender, args.trials, results[contender])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
