"""What the workers write goes to the run's log; with ``show_prints`` their stdout to the terminal
too, as the trainable wrote it. Ray's printer is called as Ray's log thread calls it (no Ray started)."""

from __future__ import annotations

import io
import sys

from ray._private import worker as ray_worker
from rich.console import Console

from raysweep.execution.terminal._quiet import route_ray_logs


def _forward(pid, lines, *, is_err=False, name="train"):
    """What Ray's log thread does with a batch of a worker's lines (looked up at each call)."""
    ray_worker.print_worker_logs({"pid": pid, "is_err": is_err, "lines": lines, "actor_name": name,
                                  "task_name": None, "ip": "127.0.0.1"}, sys.stdout)


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, color_system=None), buffer


def test_prints_and_stderr_go_to_the_log_not_the_terminal(tmp_path, capsys):
    console, shown = _console()
    with route_ray_logs(str(tmp_path / "ray"), console) as route:
        _forward(101, ["epoch 0 loss=0.5", "epoch 1 loss=0.4"])
        _forward(101, ["Traceback (most recent call last):", "ValueError: x"], is_err=True)
    log = (tmp_path / "ray" / "raysweep.log").read_text()
    assert log.splitlines() == ["(train pid=101) epoch 0 loss=0.5", "(train pid=101) epoch 1 loss=0.4",
                                "(train pid=101) Traceback (most recent call last):",
                                "(train pid=101) ValueError: x"]
    assert (route.printed_lines, route.worker_lines) == (2, 2)
    assert shown.getvalue() == "" and capsys.readouterr().out == ""


def test_show_prints_puts_the_trainables_stdout_on_the_terminal_without_rays_prefix(tmp_path, capsys):
    console, shown = _console()
    with route_ray_logs(str(tmp_path / "ray"), console, show_prints=True):
        _forward(7, ["\x1b[32mgreen\x1b[0m epoch 0"])
        _forward(7, ["a warning"], is_err=True)
    assert shown.getvalue() == "green epoch 0\n"  # colours rendered by the console, no (pid=7)
    assert "(train pid=7) a warning" in (tmp_path / "ray" / "raysweep.log").read_text()
    assert capsys.readouterr().out == ""


def test_rays_printer_is_back_after_the_run(tmp_path):
    original = ray_worker.print_worker_logs
    with route_ray_logs(str(tmp_path / "ray"), _console()[0]):
        assert ray_worker.print_worker_logs is not original
    assert ray_worker.print_worker_logs is original
