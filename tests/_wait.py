"""``wait_until``: wait for a condition (a file appears, a row is stored) instead of sleeping.

The timeout only bounds a hang: a test never asserts how long something took, only that the
condition it waits for came true.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float, what: str,
               proc: subprocess.Popen | None = None, interval: float = 0.05) -> T:
    """Call ``condition`` until it returns something truthy and return that.

    Fails when ``timeout`` seconds pass first, or when ``proc`` (a process the condition depends
    on) exits before the condition holds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            out = _output(proc)
            raise AssertionError(f"process exited ({proc.returncode}) before {what}:\n{out}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _output(proc: subprocess.Popen) -> str:
    try:
        out, err = proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        return ""
    return f"{out or ''}{err or ''}"[-3000:]
