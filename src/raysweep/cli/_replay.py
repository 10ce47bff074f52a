"""``raysweep replay``: retrain a PBT member's schedule from scratch as a new one-trial run."""

from __future__ import annotations

import click
from rich.console import Console

from raysweep.cli._options import exit_with_summary, launch_options, results_option

__all__ = ["replay_cmd"]


@click.command("replay", epilog="RUN is a run id or a sweep name (its latest run); TRIAL a trial id "
               "of it (see 'raysweep show RUN'). The schedule replayed is what 'raysweep best' prints.")
@click.argument("run")
@click.argument("trial", required=False)
@results_option
@launch_options("Replay")
def replay_cmd(run: str, trial: str | None, results: str | None, address: str | None,
               num_cpus: int | None, num_gpus: int | None, no_progress: bool, verbose: bool,
               force: bool) -> None:
    """Retrain the schedule of TRIAL (default: the best member) of the PBT/PB2 run RUN from
    scratch, as a new one-trial run of the same sweep (its run row says replay_of RUN/TRIAL):
    compare it with `raysweep compare`."""
    from raysweep.execution import replay_run

    exit_with_summary(replay_run(run, trial, results_root=results, address=address,
                                 num_cpus=num_cpus, num_gpus=num_gpus,
                                 progress=False if no_progress else None, force=force,
                                 verbose=verbose, console=Console(stderr=True)))
