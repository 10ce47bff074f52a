"""``raysweep resume``: continue a crashed or interrupted run, same run id."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from raysweep.cli._options import results_option, stdout_console
from raysweep.cli._render import summary_panel

__all__ = ["resume_cmd"]


@click.command("resume", epilog="RUN is a run id or a sweep name (its latest run); see 'raysweep runs'.")
@click.argument("run")
@results_option
@click.option("--address", default=None, metavar="ADDR",
              help="Join a running Ray cluster instead of starting an embedded local Ray.")
@click.option("--num-cpus", type=click.IntRange(min=1), default=None,
              help="CPUs of the embedded Ray (default: every core).")
@click.option("--num-gpus", type=click.IntRange(min=0), default=None,
              help="GPUs of the embedded Ray (default: detected).")
@click.option("--no-progress", is_flag=True, help="No live progress bar.")
@click.option("--force", is_flag=True,
              help="Resume even though the sweep module changed since the run started.")
def resume_cmd(run: str, results: str | None, address: str | None, num_cpus: int | None,
               num_gpus: int | None, no_progress: bool, force: bool) -> None:
    """Continue RUN after its driver died or was interrupted: ended trials never run again."""
    from raysweep.execution import resume_run

    console = Console(stderr=True)
    summary = resume_run(run, results_root=results, address=address, num_cpus=num_cpus,
                         num_gpus=num_gpus, progress=False if no_progress else None, force=force,
                         console=console)
    stdout_console().print(summary_panel(summary))
    sys.exit(summary.exit_code)
