"""Ray's printing of the output its workers forward to the driver (``ray._private.worker``), which
raysweep routes to a log file during a run (``terminal/_quiet.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["WorkerLogPrinter", "replace_worker_log_printer"]

#: Ray's ``print_worker_logs(data, print_file, ignore_prefix=False)``: ``data`` holds ``pid``,
#: ``is_err``, ``lines``, ``actor_name``/``task_name``.
WorkerLogPrinter = Callable[[dict[str, Any], Any, bool], None]

_PRINT = requirement(
    "ray._private.worker", "print_worker_logs", "function",
    params=("data", "print_file", "ignore_prefix"),
    why="route the workers' stderr and the raylet's messages to the run's log instead of the terminal "
        "(Ray's log thread looks the function up at each call)")
_DEDUP = requirement(
    "ray._private.worker", "stderr_deduplicator", "attribute",
    why="write the repeated stderr lines Ray holds back until shutdown to the run's log")


def replace_worker_log_printer(make: Callable[[WorkerLogPrinter], WorkerLogPrinter]) -> Callable[[], None]:
    """Replace Ray's ``print_worker_logs`` by ``make(original)`` until the returned function is called.

    That function first hands the stderr batches Ray's deduplicator still holds to the replacement
    (``print_file`` None), then puts Ray's printer back (unless someone replaced it since). Without
    Ray's printer, warns once and changes nothing (worker stderr shows on the terminal)."""
    try:
        from ray._private import worker as ray_worker
    except ImportError:
        degrade(_PRINT, "worker stderr shows on the terminal")
        return lambda: None
    original = getattr(ray_worker, _PRINT.name, None)
    if original is None:
        degrade(_PRINT, "worker stderr shows on the terminal")
        return lambda: None
    replacement = make(original)
    setattr(ray_worker, _PRINT.name, replacement)  # Ray annotates a narrower printer

    def restore() -> None:
        deduplicator = getattr(ray_worker, _DEDUP.name, None)
        if deduplicator is None:
            degrade(_DEDUP, "repeated worker stderr lines held back by Ray may show at shutdown")
        else:
            for batch in deduplicator.flush():
                replacement(batch, None, False)
        if getattr(ray_worker, _PRINT.name) is replacement:
            setattr(ray_worker, _PRINT.name, original)

    return restore
