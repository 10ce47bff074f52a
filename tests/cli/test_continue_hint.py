"""What `raysweep runs` and `show` tell a user to do with a crashed or interrupted run: resume it,
except a PBT/PB2 run, whose resume raysweep refuses (docs/pbt.md)."""

from __future__ import annotations

from raysweep.cli._results import _continue_hint
from raysweep.results import RunStatus


def test_a_crashed_run_is_resumed_and_a_crashed_pbt_run_is_replayed():
    asha = {"run": "r1", "status": RunStatus.CRASHED, "scheduler": "asha"}
    pbt = {"run": "r2", "status": RunStatus.INTERRUPTED, "scheduler": "pbt"}
    assert _continue_hint(asha) == ("Run r1 crashed (its driver is gone): continue it with "
                                    "`raysweep resume r1`")
    assert _continue_hint(pbt) == ("Run r2 was interrupted; a PBT run cannot be resumed: start a new run, "
                                   "or retrain its best member with `raysweep replay r2`")
