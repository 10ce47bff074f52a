"""The ``raysweep`` command: one click group, commands registered from one module per group."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.text import Text

from raysweep._errors import (
    ClusterError,
    ConfigError,
    ExecutionError,
    RaysweepError,
    StorageError,
)

__all__ = ["EXIT_CONFIG", "main", "raysweep"]

EXIT_ERROR, EXIT_CONFIG, EXIT_CLUSTER = 1, 2, 3
_EXIT_BY_ERROR = ((ConfigError, EXIT_CONFIG), (ClusterError, EXIT_CLUSTER),
                  (StorageError, EXIT_ERROR), (ExecutionError, EXIT_ERROR))


class _Group(click.Group):
    """Turns raysweep errors into one clear line on stderr and a documented exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RaysweepError as exc:
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                Text.assemble(("error: ", "bold red"), str(exc)))
            code = next((c for t, c in _EXIT_BY_ERROR if isinstance(exc, t)), EXIT_ERROR)
            sys.exit(code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="raysweep")
def raysweep() -> None:
    """Hyperparameter sweeps on Ray Tune, every result in Parquet.

    Exit status: 0 finished, 1 the sweep failed (e.g. every trial errored), 2 invalid input,
    3 Ray or cluster problem, 130 interrupted.
    """


def _register() -> None:
    from raysweep.cli._compare import compare_cmd, report_cmd
    from raysweep.cli._results import best_cmd, runs_cmd, show_cmd
    from raysweep.cli._sweeps import list_cmd, plan_cmd, run_cmd, validate_cmd

    for command in (run_cmd, validate_cmd, plan_cmd, list_cmd, runs_cmd, show_cmd, best_cmd,
                    compare_cmd, report_cmd):
        raysweep.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    raysweep(prog_name="raysweep")
