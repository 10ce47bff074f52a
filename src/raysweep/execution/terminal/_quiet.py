"""Keeping Ray's per-trial tracebacks out of the terminal during a run.

While a sweep runs, :func:`route_ray_logs` sends to one log file (``raysweep.log`` in the run's Ray
directory):

* every record of Tune's driver loggers (``ray.tune``, ``ray.train``, ``ray.air``) at WARNING and above,
  with its traceback. Errors that are not about a trial failing still show on the terminal as one line
  pointing at the log;
* every line the workers write to stderr (tracebacks, ``logging``, warnings) and the raylet's error
  messages (e.g. a worker killed), which Ray otherwise forwards to the driver's terminal;
* every line the workers write to stdout (a trainable's ``print``). With ``show_prints`` (``raysweep
  run --verbose``) those lines are also printed on the terminal as the trainable wrote them, without
  Ray's ``(pid=...)`` prefix and colours; the log has them with the prefix, so a line can be traced
  to its worker.
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
from rich.text import Text

from raysweep.execution._internals import WorkerLogPrinter, replace_worker_log_printer
from raysweep.results import local_path

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
    printed_lines: int = 0  #: lines the workers wrote to stdout
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
    local = local_path(ray_dir)
    if local is not None:
        return str(local / LOG_NAME), str(local / LOG_NAME)
    tail = ray_dir.split("://", 1)[1].strip("/").replace("/", "_")
    return os.path.join(tempfile.gettempdir(), f"raysweep-{tail}.log"), f"{ray_dir}/{LOG_NAME}"


@contextmanager
def route_ray_logs(ray_dir: str, console: Console, show_prints: bool = False) -> Iterator[LogRoute]:
    """Route Ray's driver log records and the workers' output to ``<ray_dir>/raysweep.log``; with
    ``show_prints``, the workers' stdout also to ``console``, unprefixed."""
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
    restore_workers = _route_worker_output(route, console if show_prints else None)
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


def _route_worker_output(route: LogRoute, console: Console | None) -> Callable[[], None]:
    """Worker output and raylet messages to the log; stdout (users' prints) also to ``console``.

    Ray prints forwarded worker output through a private function its log thread and error listener
    look up at each call; raysweep's adapter replaces it for the run
    (:func:`~raysweep.execution._internals.replace_worker_log_printer`).
    """

    def make(original: WorkerLogPrinter) -> WorkerLogPrinter:
        def routed(data: dict[str, Any], print_file: Any, ignore_prefix: bool = False) -> None:
            pid = data.get("pid")
            if pid == "autoscaler":  # Ray's printer shows its event summaries only (a node added)
                original(data, print_file, ignore_prefix)
                return
            who = data.get("actor_name") or data.get("task_name")
            prefix = "(raylet) " if pid == "raylet" else f"({who} pid={pid}) " if who else f"(pid={pid}) "
            lines = [str(line) for line in data.get("lines", [])]
            route.write("".join(f"{prefix}{line}\n" for line in lines))
            if data.get("is_err") or pid == "raylet":
                route.worker_lines += len(lines)
                return
            route.printed_lines += len(lines)
            if console is not None:
                for line in lines:
                    console.print(Text.from_ansi(line), soft_wrap=True, highlight=False)

        return routed

    # Ray holds back repeated lines and prints them at shutdown: the restore writes the held stderr
    # ones to the log first.
    return replace_worker_log_printer(make)


def _publish(local: str, destination: str) -> None:
    """Copy the log next to Ray's files on remote storage (best effort; the local copy stays)."""
    try:
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(destination)
        with open(local, "rb") as src, filesystem.open_output_stream(path) as dst:
            dst.write(src.read())
    except Exception:  # noqa: BLE001 - the results matter more than the log
        pass
