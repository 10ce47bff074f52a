"""Options shared by several commands."""

from __future__ import annotations

import click
from rich.console import Console

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
