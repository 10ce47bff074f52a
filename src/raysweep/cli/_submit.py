"""``raysweep submit``: run a sweep on a remote Ray cluster as a Ray job."""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console

from raysweep.cli._options import sweeps_dir_option
from raysweep.sweep import load_sweep

__all__ = ["submit_cmd"]


@click.command("submit", epilog="SWEEP is a name under ./sweeps or a path to a .py file in a project's "
               "sweeps/ directory. Afterwards: ray job status|logs|stop JOB_ID --address ADDR.")
@click.argument("sweep")
@click.option("--address", default=None, metavar="URL",
              help="The head's dashboard (Ray Jobs API), e.g. http://HEAD:8265. "
                   "Default: $RAY_API_SERVER_ADDRESS, else an http(s) $RAY_ADDRESS.")
@click.option("--results", "results", default=None, metavar="URI",
              help="Results root the job writes to, reachable from every node and from here "
                   "(e.g. s3://bucket/prefix). Default: $RAYSWEEP_RESULTS.")
@click.option("--no-wait", is_flag=True, help="Return after submission instead of following the logs.")
@click.option("--pip", "pip", multiple=True, metavar="PKG",
              help="A pip requirement the job installs (repeatable), e.g. --pip raysweep==0.1.0.")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="An environment variable of the job (repeatable).")
@click.option("--agent-wait", "agent_wait", type=click.FloatRange(min=0), default=60.0,
              show_default=True, metavar="SECONDS",
              help="How long to keep asking a head that refuses jobs while it starts (its job agent "
                   "not up yet, right after `ray start`).")
@sweeps_dir_option
def submit_cmd(sweep: str, address: str | None, results: str | None, no_wait: bool,
               pip: tuple[str, ...], env: tuple[str, ...], agent_wait: float, sweeps_dir: str) -> None:
    """Validate SWEEP here, then run it on the cluster at ADDRESS as a Ray job.

    Uploads the project (the directory holding sweeps/ and search_spaces/, without results/, .venv/,
    .git/ and what .gitignore excludes) and runs `raysweep run SWEEP --address auto` on the head node.
    Prints the job id, follows its logs, and exits with the job's status (0 succeeded, 1 failed,
    130 stopped).
    """
    from raysweep.execution import build_submit_request, submit_sweep

    loaded = load_sweep(sweep, sweeps_dir)
    ray_address = os.environ.get("RAY_ADDRESS", "")  # often a GCS address: only an http(s) one fits
    address = (address or os.environ.get("RAY_API_SERVER_ADDRESS")
               or (ray_address if ray_address.startswith(("http://", "https://")) else None))
    request = build_submit_request(loaded, address=address, results=results, pip=pip, env=env)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    code = submit_sweep(request, wait=not no_wait, console=console, agent_wait_s=agent_wait)
    sys.exit(code)
