"""Sweep scale: ms per trial, driver peak RSS and raysweep's share of driver time, against raw Ray Tune.

A trivial trainable (3 reports per trial), random search + ASHA, 2 trials at once, at N = 1,000 and
10,000 trials (and 50,000 with ``--huge``), through raysweep (Parquet store on) and through raw Ray Tune
with ``reuse_actors=True`` (its best configuration), in one session. Usage, from the repository root::

    python benchmarks/scale.py [--sizes 1000 10000] [--huge] [--out docs/img/scale.png]

Every (contender, N) runs in a fresh driver process, so peak RSS is that driver's alone (sampled every
0.2 s with psutil; Ray's own daemons are separate processes and not counted). raysweep's share of driver
time is measured by sampling the driver's main thread every 10 ms and counting the samples whose innermost
Ray-or-raysweep frame is raysweep's (its Tune callbacks, progress bar and Parquet writer, with the pyarrow
and stdlib calls they make): no instrumentation, so nothing is slowed. It is a share of wall time on the
driver's main thread, idle waits included. The forced experiment snapshots raysweep asks of Tune
(``execution/durability/_snapshot.py``: Tune's code, called by raysweep) are counted apart, as "snapshot %".
The 1-minute load average is printed with every figure (the machine is shared: compare contenders
within one run of this script).
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
from pathlib import Path

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

REPORTS = 3
CONTENDERS = ("raw Ray Tune, reuse_actors=True", "raysweep, Parquet store on")


def trainable(config):
    from ray import tune

    for i in range(REPORTS):
        tune.report({"loss": (config["x"] - 3) ** 2 + 1.0 / (i + 1)})


class _Sampler(threading.Thread):
    """Peak RSS of this process, and the share of main-thread samples inside raysweep's code."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self._proc = psutil.Process()
        self._main = threading.main_thread().ident
        self._halt = threading.Event()
        self.peak_rss = 0
        self.samples = 0
        self.in_raysweep = 0
        self.in_snapshot = 0

    def run(self) -> None:
        ours, ray = f"{os.sep}raysweep{os.sep}", f"{os.sep}ray{os.sep}"
        snapshot = f"execution{os.sep}_snapshot.py"
        last_rss = 0.0
        while not self._halt.wait(0.01):
            frame = sys._current_frames().get(self._main)
            self.samples += 1
            outer = frame
            while outer is not None:
                if outer.f_code.co_filename.endswith(snapshot):
                    self.in_snapshot += 1
                    break
                outer = outer.f_back
            # The innermost frame that is Ray's or raysweep's says who is working (pyarrow, stdlib and
            # numpy frames count for whoever called them); run_sweep at the bottom of the stack does not.
            while frame is not None:
                name = frame.f_code.co_filename
                if ours in name:
                    self.in_raysweep += 1
                    break
                if ray in name:
                    break
                frame = frame.f_back
            now = time.monotonic()
            if now - last_rss >= 0.2:
                last_rss = now
                self.peak_rss = max(self.peak_rss, self._proc.memory_info().rss)

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.peak_rss = max(self.peak_rss, self._proc.memory_info().rss)


def _raw_tune(n: int, storage: str) -> None:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    tune.Tuner(
        trainable,
        param_space={"x": tune.uniform(-10, 10)},
        tune_config=tune.TuneConfig(
            metric="loss", mode="min", num_samples=n, reuse_actors=True, max_concurrent_trials=2,
            scheduler=ASHAScheduler(max_t=REPORTS, grace_period=1, reduction_factor=3)),
        run_config=tune.RunConfig(storage_path=storage, verbose=0),
    ).fit()


def _raysweep(n: int, storage: str) -> None:
    from raysweep import Sweep, schedulers, searchers, space
    from raysweep.execution import run_sweep

    sweep = Sweep(name="scale", trainable=trainable, space={"x": space.uniform(-10, 10)},
                  metric="loss", mode="min", searcher=searchers.random(seed=0), max_concurrent=2,
                  scheduler=schedulers.asha(max_t=REPORTS, grace_period=1, reduction_factor=3),
                  num_samples=n)
    run_sweep(sweep, results_root=storage, progress=False)


def child(contender: str, n: int) -> dict[str, float]:
    """Run one contender at one size in this (fresh) process; return its figures."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    run = _raw_tune if contender == CONTENDERS[0] else _raysweep
    sampler = _Sampler()
    sampler.start()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as storage:
        start = time.perf_counter()
        run(n, storage)
        elapsed = time.perf_counter() - start
    sampler.stop()
    ray.shutdown()
    return {
        "ms_per_trial": 1000 * elapsed / n,
        "peak_rss_mb": sampler.peak_rss / 2**20,
        "raysweep_share": sampler.in_raysweep / max(sampler.samples, 1),
        "snapshot_share": sampler.in_snapshot / max(sampler.samples, 1),
        "load": (load + os.getloadavg()[0]) / 2,
    }


def _run_child(contender: str, n: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", contender, str(n)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{contender} at N={n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for contender in CONTENDERS:
        mine = [r for r in rows if r["contender"] == contender]
        xs = [r["n"] for r in mine]
        left.plot(xs, [r["ms_per_trial"] for r in mine], marker="o", label=contender)
        right.plot(xs, [r["peak_rss_mb"] for r in mine], marker="o", label=contender)
    left.set_title("ms per trial")
    right.set_title("driver peak RSS (MB)")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("trials")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    left.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--huge", action="store_true", help="also run N=50,000")
    parser.add_argument("--out", type=Path, default=None,
                        help="write the curves as an image (matplotlib: pip install raysweep[bench])")
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return

    sizes = sorted(set(args.sizes + ([50_000] if args.huge else [])))
    rows = []
    for n in sizes:
        for contender in CONTENDERS:  # interleaved, so machine noise hits both alike
            rows.append({"contender": contender, "n": n, **_run_child(contender, n)})
            r = rows[-1]
            print(f"  {contender:34} N={n:>6}: {r['ms_per_trial']:6.1f} ms/trial, "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB, raysweep {100 * r['raysweep_share']:4.1f} %, "
                  f"snapshots {100 * r['snapshot_share']:4.1f} %, load {r['load']:.1f}", flush=True)

    print(f"\n{REPORTS} reports per trial, random + ASHA, 2 trials at once")
    print(f"{'N':>7} {'contender':34} {'ms/trial':>9} {'x raw':>6} {'peak RSS MB':>12} {'raysweep %':>11} "
          f"{'snapshot %':>11} {'load':>5}")
    for n in sizes:
        base = next(r for r in rows if r["n"] == n and r["contender"] == CONTENDERS[0])
        for r in (r for r in rows if r["n"] == n):
            print(f"{n:>7} {r['contender']:34} {r['ms_per_trial']:9.1f} "
                  f"{r['ms_per_trial'] / base['ms_per_trial']:6.2f} {r['peak_rss_mb']:12.0f} "
                  f"{100 * r['raysweep_share']:11.1f} {100 * r['snapshot_share']:11.1f} {r['load']:5.1f}")
    small, large = sizes[0], sizes[-1]
    for contender in CONTENDERS if large > small else ():
        a = next(r for r in rows if r["n"] == small and r["contender"] == contender)
        b = next(r for r in rows if r["n"] == large and r["contender"] == contender)
        growth_kb = (b["peak_rss_mb"] - a["peak_rss_mb"]) * 1024 / (large - small)
        print(f"{contender}: ms/trial at N={large} is {b['ms_per_trial'] / a['ms_per_trial']:.2f}x "
              f"that at N={small}; peak RSS grows {growth_kb:.0f} KB per trial")
    if args.out:
        _plot(rows, args.out)
        print(f"curves: {args.out}")


if __name__ == "__main__":
    main()
