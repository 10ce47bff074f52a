"""The results store at scale: CLI and API timings, peak RSS, report size, writer memory.

Builds (once; reused when present) a results root of ``--runs`` runs x ``--trials`` trials x
``--iters`` iterations with raysweep's own writer (``raysweep.results.RunWriter``, no Ray; the
data come from ``tests/results/_scale_store.py``), then times, each in a fresh subprocess:

- the real CLI: ``raysweep runs``, ``show RUN``, ``best SWEEP``, ``compare RUN_A RUN_B``,
  ``report RUN_A RUN_B -o x.html`` (wall time, user+system CPU, peak RSS of the process);
- the same through the Python API (time inside the process, after the imports);
- the report's size, and opening it in headless Chromium until every figure is drawn;
- compaction of one run: part files before, files after;
- the writer alone on a ``--stream-trials`` synthetic stream: RSS sampled along the stream;
- with ``--ray-trials N``: a real Ray Tune run of N trials x ``--iters`` reports (raw Tune, the
  store callback on), then reading its iterations with ``raysweep.results.load_iterations``
  against Ray's ``ExperimentAnalysis(...).trial_dataframes`` on its Ray directory.

From the repository root::

    python benchmarks/store_scale.py --root /tmp/store-scale            # 20 x 10,000 x 50
    python benchmarks/store_scale.py --root /tmp/small --runs 3 --trials 300 --iters 20
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/results/_scale_store.py, tests/compare/_chromium.py
sys.path.insert(0, str(REPO / "src"))  # this checkout's raysweep, here and in every subprocess

#: Bump when the writer's file layout changes: a cached root of another layout is rebuilt.
LAYOUT = 3


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


def build(root: Path, runs: int, trials: int, iters: int) -> dict:
    marker = root / ".store_scale.json"
    want = {"runs": runs, "trials": trials, "iters": iters, "layout": LAYOUT}
    if marker.exists():
        got = json.loads(marker.read_text())
        if {k: got.get(k) for k in want} == want:
            return got
        raise SystemExit(f"{root} holds another store ({got}); pass another --root")
    from tests.results import _scale_store

    t0 = time.perf_counter()
    _scale_store.build(str(root), runs=runs, trials=trials, iters=iters)
    info = {**want, "build_seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info))
    return info


def measured(argv: list[str]) -> dict:
    """Run ``argv`` under ``/usr/bin/time``: wall time, user+system CPU and peak RSS.

    Not ``os.wait4`` from here: a child forked from this (large) process starts with this
    process's peak RSS as its own, whereas ``time`` is small.
    """
    with tempfile.NamedTemporaryFile("r") as stats:
        t0 = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", stats.name, *argv],
                              capture_output=True, env=_env(), cwd=REPO, check=False)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-2000:]}")
        user, system, rss_kb = stats.read().split()[-3:]
    return {"wall_s": round(wall, 2), "cpu_s": round(float(user) + float(system), 2),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1)}


_API = {
    "runs": "results.runs_overview(root)",
    "show": "results.top_trials(root, {run_a!r}, k=10)",
    "best": "results.best_config({sweep!r}, root=root)",
    "compare": ("c = compare.load([{run_a!r}, {run_b!r}], root); compare.run_summary(c); "
                "compare.best_params(c); compare.topk_overlap(c, 10); compare.compare_groups(c)"),
    "report": "compare.write_report(compare.load([{run_a!r}, {run_b!r}], root), {out!r})",
}


def api_seconds(name: str, root: str, **fmt: str) -> float:
    code = ("import time, sys; from raysweep import results, compare; root = sys.argv[1]; "
            f"t0 = time.perf_counter(); {_API[name].format(**fmt)}; "
            "print(time.perf_counter() - t0)")
    done = subprocess.run([sys.executable, "-c", code, root], capture_output=True, env=_env(),
                          cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"API {name} failed:\n{done.stderr.decode()[-2000:]}")
    return round(float(done.stdout.decode().strip().splitlines()[-1]), 2)


def open_in_chromium(path: Path) -> dict:
    """Seconds from starting headless Chromium to every figure drawn, and Chromium's CPU time."""
    import resource

    from tests.compare._chromium import inspect_page

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    page = inspect_page(path, settle_s=0.0, wait_for="document.body.dataset.figuresDrawn === 'true'")
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if page.errors or page.plots == 0:
        raise SystemExit(f"the report did not draw: plots={page.plots} errors={page.errors[:3]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(seconds, 2), "cpu_s": round(cpu, 2), "plots": page.plots}


def _files(root: Path, dataset: str, sweep: str, run: str) -> int:
    return len(list((root / dataset / f"sweep={sweep}" / f"run={run}").glob("*.parquet")))


def compaction_counts(workdir: Path, trials: int, iters: int) -> dict:
    from tests.results import _scale_store

    counts: dict = {}

    def before_close(pair, writer) -> None:
        if pair is None:
            counts["before"] = {d: _files(workdir, d, "c", "r") for d in ("trials", "iterations")}

    _scale_store.write_run(str(workdir), "c", "r", trials=trials, iters=iters, seed=7,
                           keep_truth=False, on_pair=before_close)
    counts["after"] = {d: _files(workdir, d, "c", "r") for d in ("trials", "iterations")}
    return counts


_STREAM = """
import sys, threading, time, psutil
sys.path.insert(0, sys.argv[1])
from tests.results import _scale_store
proc, samples, done = psutil.Process(), [], threading.Event()
state = {"phase": "stream", "pair": 0}
def sample():
    while not done.wait(0.05):
        samples.append((state["phase"], state["pair"], proc.memory_info().rss))
threading.Thread(target=sample, daemon=True).start()
def on_pair(pair, writer):
    if pair is None:
        state["phase"] = "close"
    else:
        state["pair"] = pair
trials, iters = int(sys.argv[3]), int(sys.argv[4])
_scale_store.write_run(sys.argv[2], "w", "r", trials=trials, iters=iters, seed=3,
                       keep_truth=False, on_pair=on_pair)
done.set()
stream = [(p, r) for phase, p, r in samples if phase == "stream"]
close = [r for phase, _, r in samples if phase == "close"]
tenths = []
for i in range(1, 11):
    part = [r for p, r in stream if p <= i * trials / 10] or [0]
    tenths.append(round(max(part) / 2**20, 1))
print(tenths, round(max(close or [0]) / 2**20, 1))
"""


def writer_memory(workdir: Path, trials: int, iters: int) -> dict:
    done = subprocess.run([sys.executable, "-c", _STREAM, str(REPO), str(workdir), str(trials),
                           str(iters)], capture_output=True, env=_env(), cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"writer stream failed:\n{done.stderr.decode()[-2000:]}")
    tenths, close = done.stdout.decode().strip().rsplit("]", 1)
    return {"peak_rss_mb_by_tenth_of_stream": json.loads(tenths + "]"),
            "peak_rss_mb_during_close": float(close)}


_RAY_RUN = """
import sys, os
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
from datetime import UTC, datetime
import ray
from ray import tune
from raysweep import results
from raysweep.execution.recording._store_callback import ParquetResultsCallback
workdir, n, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def trivial(config):
    for i in range(iters):
        tune.report({"score": config["x"] * (i + 1), "loss": 1.0 / (i + 1)})
ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
writer = results.RunWriter(f"{workdir}/results", sweep="ray", run_id="ea")
writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                  "mode": "max", "num_samples": n})
cb = ParquetResultsCallback(writer, sweep="ray", run_id="ea", metric="score", mode="max")
tune.Tuner(trivial, param_space={"x": tune.uniform(0, 1)},
           tune_config=tune.TuneConfig(num_samples=n, reuse_actors=True, max_concurrent_trials=2,
                                       metric="score", mode="max"),
           run_config=tune.RunConfig(name="ea", storage_path=f"{workdir}/ray", callbacks=[cb],
                                     verbose=0)).fit()
cb.finalize(interrupted=False)
writer.write_run({"status": "finished", **cb.summary()})
writer.close()
ray.shutdown()
"""

# Both time the read alone (after their imports), like the figures.
_READ_EA = ("import sys, time; from ray.tune import ExperimentAnalysis; "
            "t0 = time.perf_counter(); "
            "frames = ExperimentAnalysis(sys.argv[1]).trial_dataframes; "
            "print(time.perf_counter() - t0, sum(len(f) for f in frames.values()))")
_READ_STORE = ("import sys, time; from raysweep import results; t0 = time.perf_counter(); "
               "f = results.load_iterations(sys.argv[1], sweeps='ray', runs='ea'); "
               "print(time.perf_counter() - t0, len(f))")


def ray_read(workdir: Path, n: int, iters: int) -> dict:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RAY_RUN, str(workdir), str(n), str(iters)],
                          capture_output=True, env=_env(), cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the Ray run failed:\n{done.stderr.decode()[-3000:]}")
    out = {"ray_run_seconds": round(time.perf_counter() - t0, 1)}
    for name, code, arg in (("ExperimentAnalysis", _READ_EA, workdir / "ray" / "ea"),
                            ("load_iterations", _READ_STORE, workdir / "results")):
        res = subprocess.run([sys.executable, "-c", code, str(arg)], capture_output=True,
                             env=_env(), cwd=REPO, check=False)
        if res.returncode != 0:
            raise SystemExit(f"{name} failed:\n{res.stderr.decode()[-2000:]}")
        seconds, rows = res.stdout.decode().split()[-2:]
        out[name] = {"seconds": round(float(seconds), 3), "rows": int(rows)}
    out["ratio"] = round(out["ExperimentAnalysis"]["seconds"] / out["load_iterations"]["seconds"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="where the store is built (kept, reused)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--stream-trials", type=int, default=50_000,
                        help="trials of the writer-memory stream (0: skip)")
    parser.add_argument("--stream-iters", type=int, default=20)
    parser.add_argument("--ray-trials", type=int, default=0,
                        help="trials of the real Ray run read back with ExperimentAnalysis (0: skip)")
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    root = Path(args.root).absolute()
    report: dict = {"store": build(root, args.runs, args.trials, args.iters),
                    "load_average_at_start": os.getloadavg()}
    print(json.dumps(report["store"]), flush=True)
    from tests.results._scale_store import run_id, sweep_name

    run_a, run_b, sweep = run_id(0), run_id(1), sweep_name(1, 4)
    html = Path(tempfile.mkdtemp()) / "report.html"
    cli = {"runs": ["runs"], "show": ["show", run_a], "best": ["best", sweep],
           "compare": ["compare", run_a, run_b], "report": ["report", run_a, run_b, "-o", str(html)]}
    report["cli"], report["api_s"] = {}, {}
    for name, argv in cli.items():
        rec = measured([sys.executable, "-m", "raysweep.cli", *argv, "--results", str(root)])
        report["cli"][name] = rec
        report["api_s"][name] = api_seconds(name, str(root), run_a=run_a, run_b=run_b,
                                            sweep=sweep, out=str(html))
        print(f"{name}: CLI {rec}, API {report['api_s'][name]} s", flush=True)
    report["report_mb"] = round(html.stat().st_size / 2**20, 2)
    report["report_open_s"] = open_in_chromium(html)
    print(f"report {report['report_mb']} MB, drawn in Chromium: {report['report_open_s']}",
          flush=True)
    with tempfile.TemporaryDirectory() as work:
        report["compaction_files"] = compaction_counts(Path(work), args.trials, args.iters)
        print(f"compaction of {args.trials} x {args.iters}: {report['compaction_files']}",
              flush=True)
    if args.stream_trials:
        with tempfile.TemporaryDirectory() as work:
            report["writer_stream"] = {"trials": args.stream_trials, "iters": args.stream_iters,
                                       **writer_memory(Path(work), args.stream_trials,
                                                       args.stream_iters)}
        print(f"writer stream: {report['writer_stream']}", flush=True)
    if args.ray_trials:
        with tempfile.TemporaryDirectory() as work:
            report["ray_read"] = {"trials": args.ray_trials, "iters": args.iters,
                                  **ray_read(Path(work), args.ray_trials, args.iters)}
        print(f"read one run: {report['ray_read']}", flush=True)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    threading.current_thread().name = "store_scale"
    main()
