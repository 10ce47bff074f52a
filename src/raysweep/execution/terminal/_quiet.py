"""Keeping Ray's per-trial tracebacks out of the terminal during a run.

While a sweep runs, :func:`route_ray_logs` sends to one log file (``raysweep.log`` in the run's Ray
directory):

* every record of Tune's driver loggers (``ray.tune``, ``ray.train``, ``ray.air``) at WARNING and above,
  with its traceback. Errors that are not about a trial failing still show on the terminal as one line
  pointing at the log;
* every line the workers write to stderr (tracebacks, ``logging``, warnings) and the raylet's error
  messages (e.g. a worker killed), which Ray otherwise forwards to the driver's terminal.

What workers write to stdout (a user's ``print``) still shows, prefixed by Ray with the worker's pid.
Every trial's full traceback is kept in the store (``error_traceback``) whatever the terminal shows.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

__all__ = ["LOG_NAME", "LogRoute", "route_ray_logs"]

LOG_NAME = "raysweep.log"
_LOGGERS = ("ray.tune", "ray.train", "ray.air")
#: Driver log records about a trial failing: the progress bar counts them, the summary groups them.
_TRIAL_FAILURES = ("Trial task failed", "Trials did not complete", "Could not re-use actor")


@dataclass
class LogRoute:
    """Where the run's Ray logs went (``path``, a local file) and how much went there."""

    path: str
    destination: str
    records: int = 0
    worker_lines: int = 0
    written: bool = False  #: whether the log file exists (it is made at the first line)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(self, text: str) -> None:
        with self._lock:
            if not self.written:  # made at the first line: a launch that logs nothing leaves nothing
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self.written = True
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")


class _FileHandler(logging.Handler):
    def __init__(self, route: LogRoute) -> None:
        super().__init__(logging.WARNING)
        self.route = route
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s -- %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.route.write(self.format(record))
            self.route.records += 1
        except Exception:  # noqa: BLE001 - logging must never break the sweep
            self.handleError(record)


class _TerminalHandler(logging.Handler):
    """ERROR records that are not a trial failing: one line on the console, details in the log."""

    def __init__(self, console: Console, route: LogRoute) -> None:
        super().__init__(logging.ERROR)
        self.console, self.route = console, route

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(_TRIAL_FAILURES):
            return
        first = message.strip().splitlines()[0] if message.strip() else record.levelname
        self.console.print(f"[yellow]Ray: {escape(first)}[/] (details in {escape(self.route.destination)})",
                           highlight=False, soft_wrap=True)


def log_destination(ray_dir: str) -> tuple[str, str]:
    """(local path written during the run, where the log ends up) for the run's Ray directory."""
    if "://" not in ray_dir or ray_dir.startswith("file://"):
        local = Path(ray_dir.removeprefix("file://")) / LOG_NAME
        return str(local), str(local)
    tail = ray_dir.split("://", 1)[1].strip("/").replace("/", "_")
    return os.path.join(tempfile.gettempdir(), f"raysweep-{tail}.log"), f"{ray_dir}/{LOG_NAME}"


@contextmanager
def route_ray_logs(ray_dir: str, console: Console) -> Iterator[LogRoute]:
    """Route Ray's driver log records and the workers' stderr to ``<ray_dir>/raysweep.log``."""
    local, destination = log_destination(ray_dir)
    route = LogRoute(local, destination)  # the file is made at its first line
    handlers = (_FileHandler(route), _TerminalHandler(console, route))
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    restore_workers = _route_worker_stderr(route)
    try:
        yield route
    finally:
        restore_workers()
        for logger, level, propagate in saved:
            for handler in handlers:
                logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        if destination != local and os.path.exists(local):
            _publish(local, destination)


def _route_worker_stderr(route: LogRoute) -> Callable[[], None]:
    """Worker stderr and raylet messages to the log; stdout (users' prints) untouched.

    Ray prints forwarded worker output through ``ray._private.worker.print_worker_logs`` (looked up at
    call time by its log thread and its error listener); we wrap that function for the run.
    """
    try:
        from ray._private import worker as ray_worker
    except ImportError:  # pragma: no cover - Ray layout changed: leave Ray's printing alone
        return lambda: None
    original = getattr(ray_worker, "print_worker_logs", None)
    if original is None:  # pragma: no cover
        return lambda: None

    def routed(data: dict[str, Any], print_file: Any, ignore_prefix: bool = False) -> None:
        pid = data.get("pid")
        if data.get("is_err") or pid == "raylet":
            who = data.get("actor_name") or data.get("task_name") or ""
            prefix = f"({who} pid={pid}) " if pid != "raylet" else "(raylet) "
            lines = [str(line) for line in data.get("lines", [])]
            route.write("".join(f"{prefix}{line}\n" for line in lines))
            route.worker_lines += len(lines)
            return
        original(data, print_file, ignore_prefix)

    ray_worker.print_worker_logs = routed

    def restore() -> None:
        # Ray holds back repeated lines and prints them at shutdown: write the held stderr ones now.
        deduplicator = getattr(ray_worker, "stderr_deduplicator", None)
        if deduplicator is not None:
            for batch in deduplicator.flush():
                routed(batch, None)
        if ray_worker.print_worker_logs is routed:
            ray_worker.print_worker_logs = original

    return restore


def _publish(local: str, destination: str) -> None:
    """Copy the log next to Ray's files on remote storage (best effort; the local copy stays)."""
    try:
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(destination)
        with open(local, "rb") as src, filesystem.open_output_stream(path) as dst:
            dst.write(src.read())
    except Exception:  # noqa: BLE001 - the results matter more than the log
        pass
