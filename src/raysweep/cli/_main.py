"""The ``raysweep`` command: one click group, commands registered from one module per group."""

from __future__ import annotations

import importlib
import sys
from typing import Any

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


#: Command name -> "module:object". Modules are imported only when their command runs, so that
#: `raysweep validate` does not pay for plotly, pyarrow or Ray.
_COMMANDS = {
    "run": "raysweep.cli._sweeps:run_cmd",
    "resume": "raysweep.cli._resume:resume_cmd",
    "replay": "raysweep.cli._replay:replay_cmd",
    "extend": "raysweep.cli._extend:extend_cmd",
    "submit": "raysweep.cli._submit:submit_cmd",
    "validate": "raysweep.cli._sweeps:validate_cmd",
    "plan": "raysweep.cli._sweeps:plan_cmd",
    "list": "raysweep.cli._sweeps:list_cmd",
    "runs": "raysweep.cli._results:runs_cmd",
    "show": "raysweep.cli._results:show_cmd",
    "best": "raysweep.cli._results:best_cmd",
    "compare": "raysweep.cli._compare:compare_cmd",
    "report": "raysweep.cli._compare:report_cmd",
}


class _Group(click.Group):
    """Lazily loaded commands; raysweep errors become one clear line on stderr and an exit status."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context) -> Any:
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


def main() -> None:
    """Console-script entry point."""
    raysweep(prog_name="raysweep")
