"""A writer process SIGKILLed mid-run leaves a store that reads cleanly and keeps every flushed row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings

from raysweep import results as R

_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from raysweep.results import RunWriter

    writer = RunWriter(sys.argv[1], sweep="k", run_id="r", flush_interval_s=0.05)
    writer.write_run({"status": "running", "started_at": datetime.now(UTC), "metric": "score",
                      "mode": "max"})
    n = 0
    while True:
        for _ in range(50):
            n += 1
            writer.add_iteration({"trial_id": f"t{n % 7}", "attempt": 1,
                                  "training_iteration": n, "timestamp": datetime.now(UTC),
                                  "score": float(n)})
        writer.flush()
        print(n, flush=True)   # every row up to n is on storage now
    """
)


def test_sigkill_mid_write_keeps_flushed_rows(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        flushed = 0
        while flushed < 2000:
            line = proc.stdout.readline()
            assert line, "writer exited early"
            flushed = int(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no partial file is visible
        iters = R.load_iterations(str(tmp_path))
        runs = R.list_runs(str(tmp_path))
    assert len(iters) >= flushed
    assert set(range(1, flushed + 1)) <= set(iters["training_iteration"])
    assert not iters.duplicated(["trial_id", "training_iteration"]).any()
    assert runs["status"].tolist() == ["running"]  # shows as not finished
