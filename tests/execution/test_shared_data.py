"""Data shared through ``tune.with_parameters`` in a sweep module is one copy in Ray's object store:
two concurrent trials read the same shared memory, not copies of their own (issue 21). The ground
truth is the kernel's: each trial finds, in its own ``/proc/self/maps``, the file mapping that holds
its array's first byte; both trials name the same file (device, inode) at the same offset in it.
Figures of what that saves are in docs/benchmarks.md ("Shared data across trials (memory)")."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from raysweep.execution import run_sweep
from raysweep.sweep import load_sweep

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")]

SHARED = '''
import json
import os
import time
from pathlib import Path

import numpy as np
from ray import tune

from raysweep import Sweep, space

SYNC = Path({sync!r})


def _mapping(address):
    """(device, inode, offset in the file) of the file mapping holding ``address``, or None."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if start <= address < end:
            inode = int(fields[4])
            return None if inode == 0 else [fields[3], inode, int(fields[2], 16) + address - start]
    return None


def _bases(array):
    chain, base = [], array.base
    while base is not None and len(chain) < 5:
        chain.append(type(base).__module__ + "." + type(base).__qualname__)
        base = getattr(base, "base", None)
    return chain


def train(config, data):
    pid = os.getpid()
    (SYNC / f"{{pid}}.started").write_text("")
    clock = time.monotonic()  # both trials alive at once, or the test fails on "together"
    while len(list(SYNC.glob("*.started"))) < 2 and time.monotonic() - clock < 120:
        time.sleep(0.05)
    info = {{"together": len(list(SYNC.glob("*.started"))) >= 2,
            "writeable": bool(data.flags.writeable), "owndata": bool(data.flags.owndata),
            "bases": _bases(data), "mapping": _mapping(data.ctypes.data),
            "sum": float(data.sum())}}
    (SYNC / f"{{pid}}.tmp").write_text(json.dumps(info))
    (SYNC / f"{{pid}}.tmp").rename(SYNC / f"{{pid}}.json")
    while len(list(SYNC.glob("*.json"))) < 2 and time.monotonic() - clock < 120:
        time.sleep(0.05)  # hold the array until the other trial has looked at its own
    tune.report({{"score": info["sum"] * config["x"]}})


DATA = np.arange(1_000_000, dtype=np.float64)  # 8 MB: Ray puts it in shared memory, not inline

SWEEP = Sweep(name="shared", trainable=tune.with_parameters(train, data=DATA),
              space={{"x": space.uniform(0.0, 1.0)}}, metric="score", mode="max",
              searcher="random", num_samples=2, max_concurrent=2, seed=0, resources={{"cpu": 1}})
'''


def test_two_concurrent_trials_read_one_shared_copy_of_with_parameters_data(ray_session, tmp_path):
    sync = tmp_path / "sync"
    sync.mkdir()
    (tmp_path / "sweeps").mkdir()
    path = tmp_path / "sweeps" / "shared.py"
    path.write_text(textwrap.dedent(SHARED.format(sync=str(sync))))
    summary = run_sweep(load_sweep(str(path)), results_root=str(tmp_path / "res"), progress=False)
    assert summary.status == "finished", summary.errors
    seen = [json.loads(p.read_text()) for p in sorted(sync.glob("*.json"))]
    assert len(seen) == 2, seen  # two trials, two worker processes
    for info in seen:
        assert info["together"], seen
        assert info["sum"] == sum(range(1_000_000))
        # A view Ray made on its object store's buffer: read-only, owning nothing.
        assert not info["writeable"] and not info["owndata"], info
        assert info["bases"] and info["bases"][-1].startswith("ray."), info
        assert info["mapping"] is not None, info  # file-backed (plasma), not private anonymous memory
    assert seen[0]["mapping"] == seen[1]["mapping"], seen  # the same bytes of the same file
