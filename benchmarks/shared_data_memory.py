"""Shared data across trials: the memory of N concurrent trials reading one large numpy array.

A real raysweep sweep (a sweep module written under a temporary directory, run by ``run_sweep`` on
its embedded Ray of 2 CPUs, one CPU per trial) whose trials all read a float32 array of ``--mb`` MB,
in two variants, each with N = 1 and N = 2 trials alive at once:

* ``shared``: the module builds the array once and the trainable is
  ``tune.with_parameters(train, data=DATA)``: Ray puts it into its object store once and every
  trial gets a zero-copy, read-only view of it;
* ``private``: the raw peer, what a trainable does without ``with_parameters``: every trial builds
  its own copy (``np.random.default_rng(0).random(...)``, like loading the file in the trial);
* ``global`` (not run unless asked): a trainable that reads the module's ``DATA`` directly; the
  array travels pickled inside the trainable's code (from about 95 MiB Ray refuses the trainable).

Usage, from the repository root::

    python benchmarks/shared_data_memory.py [--mb 500] [--n 1 2] [--variants shared private] [--json F]

Every (variant, N) runs in a fresh driver process (a fresh Ray). The trials synchronise through
files: each writes ``<pid>.started`` and waits until N trials have started (so N are alive at once)
and the benchmark has sampled them ("before": the worker with the data mapped but unread), then
reads the whole array (``data.sum()``), writes ``<pid>.ready`` and holds until the benchmark has
sampled them again ("holding"). Everything is measured from outside the trials, in the driver, with
psutil on the pids the trials wrote and on the session's processes (the driver's children):

* per trial worker: USS (memory only it maps), PSS (its share of what it shares), RSS;
* the object store's use, two public ways: the allocated size of the raylet's plasma file (its
  ``/dev/shm`` file, through ``/proc/<raylet>/fd``) and ``ray.cluster_resources()`` minus
  ``ray.available_resources()`` of ``object_store_memory``;
* total = the sum of the trial workers' USS + the object store's use (the one shared copy).

It prints the figures and the ratio total(N=2) / total(N=1) for each variant (issue 21's goal:
at most 1.3 for the shared variant with a 500 MB array), the driver's own memory, the USS of the
session's other processes (GCS, raylet: where a pickled copy of the data would show), and the
largest file raysweep and Tune wrote (a pickled copy in a snapshot would show there).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

MB = 1e6  # decimal megabytes: a "500 MB" array is 125,000,000 float32s

MODULE = '''
import json
import os
import time
from pathlib import Path

import numpy as np
from ray import tune

from raysweep import Sweep, space

SYNC = Path({sync!r})
N = {n}
FLOATS = {floats}
TIMEOUT_S = {timeout}


def _wait(pattern, count):
    clock = time.monotonic()
    while len(list(SYNC.glob(pattern))) < count:
        if time.monotonic() - clock > TIMEOUT_S:
            return False
        time.sleep(0.05)
    return True


def _signal(name, text=""):
    (SYNC / (name + ".tmp")).write_text(text)
    (SYNC / (name + ".tmp")).rename(SYNC / name)


def _bases(array):
    """The chain of objects whose memory the array views, outermost first."""
    chain, base = [], array.base
    while base is not None and len(chain) < 5:
        chain.append(type(base).__module__ + "." + type(base).__qualname__)
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return chain


def _hold(data):
    pid = os.getpid()
    _signal(f"{{pid}}.started")
    together = _wait("*.started", N) and _wait("go", 1)
    if data is None:  # the private peer: this trial's own copy
        data = np.random.default_rng(0).random(FLOATS, dtype=np.float32)
    total = float(data.sum())  # reads every page
    info = {{"together": together, "writeable": bool(data.flags.writeable),
            "owndata": bool(data.flags.owndata),
            "bases": _bases(data)}}
    _signal(f"{{pid}}.ready", json.dumps(info))
    _wait("release", 1)
    return total


def train_shared(config, data):
    tune.report({{"total": _hold(data)}})


def train_private(config):
    tune.report({{"total": _hold(None)}})


def train_global(config):
    tune.report({{"total": _hold(DATA)}})  # the module's array, not through with_parameters


{data}
SWEEP = Sweep(name="shared_data_memory", trainable={trainable},
              space={{"x": space.uniform(0.0, 1.0)}}, metric="total", mode="max",
              searcher="random", num_samples=N, max_concurrent=N, seed=0, resources={{"cpu": 1}})
'''


def _plasma_bytes(session: list[Any]) -> int | None:
    """Allocated bytes of the raylet's plasma file (the object store's shared memory)."""
    for proc in session:
        try:
            if proc.name() != "raylet":
                continue
            for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                path = f"/proc/{proc.pid}/fd/{fd}"
                try:
                    if "plasma" in os.readlink(path):
                        return os.stat(path).st_blocks * 512
                except OSError:
                    continue
        except Exception:  # noqa: BLE001 - a process that ended, or /proc unreadable
            continue
    return None


def _sample(pids: list[int], samples: int = 5, every_s: float = 0.2) -> dict[str, Any]:
    """Medians over ``samples`` of the trial workers' memory, the object store's use, the session's
    other processes and the driver."""
    import ray

    # Ray's own copy of psutil is on the path once ray is imported (not before)
    psutil = __import__("psutil")
    me = psutil.Process()
    rows: list[dict[str, Any]] = []
    for _ in range(samples):
        session = me.children(recursive=True)
        row: dict[str, Any] = {"workers": []}
        for pid in pids:
            info = psutil.Process(pid).memory_full_info()
            row["workers"].append({"uss": info.uss, "pss": info.pss, "rss": info.rss})
        row["plasma_file"] = _plasma_bytes(session)
        total = ray.cluster_resources().get("object_store_memory", 0.0)
        row["store_used"] = total - ray.available_resources().get("object_store_memory", total)
        others: dict[str, int] = {}
        for proc in session:
            if proc.pid in pids:
                continue
            try:
                name = proc.name()
                others[name] = others.get(name, 0) + proc.memory_full_info().uss
            except psutil.Error:
                continue
        row["others_uss"] = others
        driver = me.memory_full_info()
        row["driver"] = {"uss": driver.uss, "rss": driver.rss}
        rows.append(row)
        time.sleep(every_s)

    def med(get) -> float:
        values = [get(r) for r in rows]
        values = [v for v in values if v is not None]
        return float(statistics.median(values)) if values else float("nan")

    keys = sorted({k for r in rows for k in r["others_uss"]})
    return {
        "workers": [{m: med(lambda r, i=i, m=m: r["workers"][i][m]) for m in ("uss", "pss", "rss")}
                    for i in range(len(pids))],
        "plasma_file": med(lambda r: r["plasma_file"]),
        "store_used": med(lambda r: r["store_used"]),
        "others_uss": {k: med(lambda r, k=k: r["others_uss"].get(k, 0)) for k in keys},
        "driver": {m: med(lambda r, m=m: r["driver"][m]) for m in ("uss", "rss")},
    }


def _wait_for(sync: Path, pattern: str, count: int, timeout_s: float) -> list[Path]:
    clock = time.monotonic()
    while len(found := sorted(sync.glob(pattern))) < count:
        if time.monotonic() - clock > timeout_s:
            raise TimeoutError(f"{len(found)} of {count} {pattern} after {timeout_s:.0f} s")
        time.sleep(0.05)
    return found


def child(variant: str, n: int, mb: float, timeout_s: float) -> dict[str, Any]:
    from raysweep.execution import run_sweep
    from raysweep.sweep import load_sweep

    floats = int(mb * MB) // 4
    with tempfile.TemporaryDirectory(prefix="shared_data_memory_") as tmp:
        sync, sweeps = Path(tmp) / "sync", Path(tmp) / "sweeps"
        sync.mkdir()
        sweeps.mkdir()
        data = (f"DATA = np.random.default_rng(0).random({floats}, dtype=np.float32)"
                if variant != "private" else "")
        trainable = {"shared": "tune.with_parameters(train_shared, data=DATA)",
                     "private": "train_private", "global": "train_global"}[variant]
        path = sweeps / "shared_data_memory.py"
        path.write_text(textwrap.dedent(MODULE.format(sync=str(sync), n=n, floats=floats,
                                                      timeout=timeout_s, data=data,
                                                      trainable=trainable)))
        out: dict[str, Any] = {"variant": variant, "n": n, "mb": mb}
        errors: list[str] = []

        def probe() -> None:
            try:
                started = _wait_for(sync, "*.started", n, timeout_s)
                pids = [int(p.name.split(".")[0]) for p in started]
                out["pids"] = pids
                out["before"] = _sample(pids)
                (sync / "go").write_text("")
                ready = _wait_for(sync, "*.ready", n, timeout_s)
                out["trial_info"] = [json.loads(p.read_text()) for p in ready]
                out["holding"] = _sample(pids)
            except Exception as exc:  # noqa: BLE001 - reported, and the trials are released
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                (sync / "go").write_text("")
                (sync / "release").write_text("")

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        clock = time.monotonic()
        summary = run_sweep(load_sweep(str(path)), results_root=str(Path(tmp) / "res"),
                            num_cpus=2, progress=False)
        thread.join(timeout=10)
        out["wall_s"] = time.monotonic() - clock
        out["status"] = summary.status
        out["errors"] = errors + list(summary.errors)
        files = [(f.stat().st_size, str(f.relative_to(tmp))) for f in (Path(tmp) / "res").rglob("*")
                 if f.is_file()]
        out["largest_file"] = max(files) if files else None
        out["files_bytes"] = sum(size for size, _ in files)
    return out


def _mb(value: float) -> str:
    return f"{value / MB:7.0f}"


def _total(r: dict[str, Any]) -> float:
    h = r["holding"]
    return sum(w["uss"] for w in h["workers"]) + h["plasma_file"]


def _print(results: dict[tuple[str, int], dict[str, Any]], mb: float) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(f"{mb:.0f} MB float32 array; raysweep sweep, embedded Ray (2 CPUs), 1 CPU per trial; "
          f"machine: {os.cpu_count()} cores, {memory / 2**30:.0f} GiB; "
          "MB = 10^6 bytes; medians of 5 samples 0.2 s apart, while every trial holds the array")
    print(f"{'variant':8} {'N':>2} {'USS/worker':>11} {'PSS/worker':>11} {'RSS/worker':>11} "
          f"{'before USS':>11} {'store(file)':>12} {'store(res)':>11} {'total':>8} {'driver RSS':>11}")
    for (variant, n), r in results.items():
        h, b = r["holding"], r["before"]
        uss = statistics.mean(w["uss"] for w in h["workers"])
        pss = statistics.mean(w["pss"] for w in h["workers"])
        rss = statistics.mean(w["rss"] for w in h["workers"])
        before = statistics.mean(w["uss"] for w in b["workers"])
        print(f"{variant:8} {n:2d} {_mb(uss):>11} {_mb(pss):>11} {_mb(rss):>11} {_mb(before):>11} "
              f"{_mb(h['plasma_file']):>12} {_mb(h['store_used']):>11} {_mb(_total(r)):>8} "
              f"{_mb(h['driver']['rss']):>11}")
    print("total = sum of the trial workers' USS + the object store's use (its plasma file)")
    for variant in dict.fromkeys(v for v, _ in results):
        one, two = results.get((variant, 1)), results.get((variant, 2))
        if one and two:
            ratio = _total(two) / _total(one)
            goal = "  (goal <= 1.30: " + ("met" if ratio <= 1.3 else "NOT met") + ")" \
                if variant == "shared" else ""
            print(f"{variant:8} total(N=2) / total(N=1) = {ratio:.2f}{goal}")
    for (variant, n), r in results.items():
        others = ", ".join(f"{k} {v / MB:.0f}" for k, v in r["holding"]["others_uss"].items()
                           if v >= 20 * MB)
        size, name = r["largest_file"] or (0, "-")
        print(f"{variant} N={n}: trials saw {r['trial_info']}; session's other processes' USS (MB, "
              f">= 20): {others}; largest file written {size / 1e3:.0f} kB ({name}), all files "
              f"{r['files_bytes'] / 1e3:.0f} kB; {r['wall_s']:.1f} s; status {r['status']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=500.0, help="size of the array, MB (10^6 B)")
    parser.add_argument("--n", type=int, nargs="+", default=[1, 2], choices=[1, 2],
                        help="trials alive at once (the embedded Ray has 2 CPUs)")
    parser.add_argument("--variants", nargs="+", default=["shared", "private"],
                        choices=["shared", "private", "global"],
                        help="global: a trainable that reads the sweep module's array directly")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds to wait for the trials to start and to hold the array")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.mb, args.timeout)))
        return
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for variant in args.variants:
        for n in args.n:
            cmd = [sys.executable, __file__, "--child", variant, str(n), "--mb", str(args.mb),
                   "--timeout", str(args.timeout)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{variant} N={n} failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if result["errors"] or result["status"] != "finished" or "holding" not in result:
                raise SystemExit(f"{variant} N={n}: {result['status']} {result['errors']}")
            if not all(info["together"] for info in result["trial_info"]):
                raise SystemExit(f"{variant} N={n}: the trials were not alive at once")
            results[(variant, n)] = result
    if args.json:
        args.json.write_text(json.dumps({f"{v} N={n}": r for (v, n), r in results.items()},
                                        indent=1))
    _print(results, args.mb)


if __name__ == "__main__":
    main()
