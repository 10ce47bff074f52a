"""``raysweep resume``: continue a crashed or interrupted run, same run id."""

from __future__ import annotations

import click
from rich.console import Console

from raysweep.cli._options import exit_with_summary, launch_options, results_option

__all__ = ["resume_cmd"]


@click.command("resume", epilog="RUN is a run id or a sweep name (its latest run); see 'raysweep runs'.")
@click.argument("run")
@results_option
@launch_options("Resume")
def resume_cmd(run: str, results: str | None, address: str | None, num_cpus: int | None,
               num_gpus: int | None, no_progress: bool, verbose: bool, force: bool) -> None:
    """Continue RUN after its driver died or was interrupted: ended trials never run again."""
    from raysweep.execution import resume_run

    exit_with_summary(resume_run(run, results_root=results, address=address, num_cpus=num_cpus,
                                 num_gpus=num_gpus, progress=False if no_progress else None,
                                 force=force, verbose=verbose, console=Console(stderr=True)))
