"""The execution layer: the only part of raysweep that imports Ray.

It turns a :class:`raysweep.Sweep` into Ray Tune's searcher, scheduler and Tuner, runs it on an embedded
local Ray or a cluster, streams every result into the Parquet store, and resumes a crashed or
interrupted run (:func:`resume_run`), and adds trials to an ended run (:func:`extend_run`).
"""

from raysweep.execution.cluster._ray import live_nodes
from raysweep.execution.cluster._submit import SubmitRequest, submit_sweep
from raysweep.execution.cluster._submit import build_request as build_submit_request
from raysweep.execution.launch._extend import extend_run
from raysweep.execution.launch._replay import replay_run
from raysweep.execution.launch._resume import resume_run
from raysweep.execution.launch._runner import new_run_id, run_sweep
from raysweep.execution.launch._summary import EXIT_CODES, RunSummary
from raysweep.execution.tune._preflight import check_sweep, check_trainable_data

__all__ = [
    "EXIT_CODES",
    "RunSummary",
    "SubmitRequest",
    "build_submit_request",
    "check_sweep",
    "check_trainable_data",
    "extend_run",
    "live_nodes",
    "new_run_id",
    "replay_run",
    "resume_run",
    "run_sweep",
    "submit_sweep",
]
