"""``raysweep extend``: more trials in an ended run, same run id."""

from __future__ import annotations

import click
from rich.console import Console

from raysweep.cli._options import exit_with_summary, launch_options, results_option

__all__ = ["extend_cmd"]

_EPILOG = """RUN is a run id or a sweep name (its latest run); see 'raysweep runs'.

\b
Examples:
  raysweep extend recsys_mf_tpe_asha --num-samples 8
  raysweep extend 20261127T103634Z-3fa2c1 --num-samples 4 --results s3://bucket/sweeps

The searcher (random, tpe, optuna) continues: it is told every earlier trial of the run and draws
with a new seed, so it never suggests an earlier config again as new work. The earlier trials keep
their rows and ids. Grid sweeps cannot be extended: widen the grid and use
'raysweep run SWEEP --only-new'. A crashed or interrupted run must be resumed first
('raysweep resume RUN')."""


@click.command("extend", epilog=_EPILOG)
@click.argument("run")
@click.option("--num-samples", "-n", "num_samples", type=int, required=True, metavar="N",
              help="How many more trials to run (>= 1).")
@results_option
@launch_options("Extend")
def extend_cmd(run: str, num_samples: int, results: str | None, address: str | None,
               num_cpus: int | None, num_gpus: int | None, no_progress: bool, verbose: bool,
               force: bool) -> None:
    """Run N more trials in the ended run RUN, under the same run id."""
    from raysweep.execution import extend_run

    exit_with_summary(extend_run(run, num_samples=num_samples, results_root=results, address=address,
                                 num_cpus=num_cpus, num_gpus=num_gpus,
                                 progress=False if no_progress else None, force=force,
                                 verbose=verbose, console=Console(stderr=True)))
