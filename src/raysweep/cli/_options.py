"""Options shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

if TYPE_CHECKING:
    from raysweep.execution import RunSummary

_F = TypeVar("_F", bound=Callable[..., Any])

#: Rich styles of run statuses, shared by every command that prints one.
RUN_STATUS_STYLE = {"finished": "green", "running": "cyan", "interrupted": "yellow", "failed": "red",
                    "crashed": "bold red"}

results_option = click.option(
    "--results", "results", default=None, metavar="DIR",
    help="Results root (local path or URI such as s3://bucket/prefix). "
         "Default: $RAYSWEEP_RESULTS, else ./results.",
)
sweeps_dir_option = click.option(
    "--sweeps-dir", default="sweeps", show_default=True, metavar="DIR",
    help="Where sweep names are looked up.",
)


def stdout_console() -> Console:
    """The console tables print to: the terminal's width, or a wide page when piped to a file."""
    console = Console()
    return console if console.is_terminal else Console(width=200, soft_wrap=False)


def launch_options(verb: str) -> Callable[[_F], _F]:
    """``--address``, ``--num-cpus``, ``--num-gpus``, ``--no-progress``, ``--verbose`` and
    ``--force``: the options of a later launch of a stored run (``resume``, ``extend``; ``verb``
    names it in ``--force``'s help)."""
    def decorate(command: _F) -> _F:
        for option in reversed((
            click.option("--address", default=None, metavar="ADDR",
                         help="Join a running Ray cluster instead of starting an embedded local Ray."),
            click.option("--num-cpus", type=click.IntRange(min=1), default=None,
                         help="CPUs of the embedded Ray (default: every core)."),
            click.option("--num-gpus", type=click.IntRange(min=0), default=None,
                         help="GPUs of the embedded Ray (default: detected)."),
            click.option("--no-progress", is_flag=True, help="No live progress bar."),
            click.option("-v", "--verbose", is_flag=True,
                         help="Show what the trainables print (it always goes to the run's log)."),
            click.option("--force", is_flag=True,
                         help=f"{verb} even though the sweep module changed since the run started."),
        )):
            command = option(command)
        return command
    return decorate


def exit_with_summary(summary: RunSummary) -> None:
    """Print a launch's summary panel on stdout and exit with its status's exit code."""
    from raysweep.cli._render import summary_panel

    stdout_console().print(summary_panel(summary))
    sys.exit(summary.exit_code)
