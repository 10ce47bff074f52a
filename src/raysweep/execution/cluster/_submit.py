"""``raysweep submit``: a sweep as a Ray job, through Ray's Job Submission SDK.

The laptop validates the sweep, uploads the project (the directory holding ``sweeps/`` and
``search_spaces/``) as the job's ``working_dir`` and runs ``raysweep run SWEEP --address auto`` on the
cluster's head node. The job records where it came from in the run row (``job_id``,
``submitted_from``) through the environment variables below.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import re
import secrets
import shlex
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from raysweep._errors import ClusterError, ConfigError, invalid_parameter
from raysweep.execution._internals import ray_version, unsupported_ray
from raysweep.results import resolve_root
from raysweep.sweep import LoadedSweep

__all__ = ["AGENT_WAIT_S", "JOB_ID_ENV", "SUBMITTED_FROM_ENV", "SubmitRequest", "build_request",
           "check_cluster_ray", "submit_sweep"]

#: Set by ``raysweep submit`` in the job's environment; read into the run row by the runner.
JOB_ID_ENV = "RAYSWEEP_JOB_ID"
SUBMITTED_FROM_ENV = "RAYSWEEP_SUBMITTED_FROM"

#: Never uploaded, whatever .gitignore says (Ray also applies .gitignore itself).
ALWAYS_EXCLUDED = ("results/", ".venv/", ".git/", "__pycache__/", ".pytest_cache/", ".ruff_cache/")

_INSTALL_HINT = 'raysweep submit needs Ray\'s job client: pip install "raysweep[cluster]"'
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EXIT_BY_STATUS = {"SUCCEEDED": 0, "FAILED": 1, "STOPPED": 130}
_TERMINAL = frozenset(_EXIT_BY_STATUS)
#: How long ``submit`` waits by default for a head that refuses jobs while it starts (--agent-wait).
AGENT_WAIT_S = 60.0
#: Seconds between two submissions while the head refuses for now.
_RETRY_EVERY_S = 1.0
#: Seconds the head's ``GET /api/version`` may take.
_VERSION_TIMEOUT_S = 10.0
#: Ray's answers meaning "up, but not taking jobs yet": the head's job agent has not registered
#: ("No available agent", after the head waited 10 s for it), or is registered but not listening
#: yet (the head's request to it fails: aiohttp's "Cannot connect to host"), or a proxy in front
#: of the dashboard has no backend yet (502, 503, 504).
_NOT_YET = ("No available agent", "Cannot connect to host", "ClientConnectorError",
            "status code 502", "status code 503", "status code 504")
_NOISY_LOGGERS = ("ray._private.runtime_env.packaging", "ray._private.runtime_env.working_dir",
                  "ray.dashboard.modules.dashboard_sdk", "ray.dashboard.modules.job.sdk")


@dataclass(frozen=True)
class SubmitRequest:
    """Everything sent to the cluster; built and checked locally before anything is uploaded."""

    address: str
    submission_id: str
    entrypoint: str
    working_dir: str
    excludes: list[str]
    results: str | None
    env_vars: dict[str, str]
    pip: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def runtime_env(self) -> dict[str, Any]:
        env: dict[str, Any] = {"working_dir": self.working_dir, "excludes": list(self.excludes),
                               "env_vars": dict(self.env_vars)}
        if self.pip:
            env["pip"] = list(self.pip)
        return env


def build_request(loaded: LoadedSweep, *, address: str | None, results: str | None = None,
                  pip: Sequence[str] = (), env: Sequence[str] = (),
                  submission_id: str | None = None) -> SubmitRequest:
    """Check every submit input and build the job; raises ConfigError before any upload."""
    address = _dashboard_address(address)
    root = project_root(loaded)
    user_env = _parse_env(env)
    sweep_ref = loaded.path.relative_to(root).as_posix()
    submission_id = submission_id or _new_submission_id(loaded.sweep.name)
    results_uri = _results_for_cluster(results)
    entrypoint = ["raysweep", "run", sweep_ref, "--address", "auto", "--no-progress"]
    if results_uri is not None:
        entrypoint += ["--results", results_uri]
    submitted_from = f"{getpass.getuser()}@{socket.gethostname()}:{root}"
    env_vars = {**user_env, JOB_ID_ENV: submission_id, SUBMITTED_FROM_ENV: submitted_from}
    return SubmitRequest(
        address=address,
        submission_id=submission_id,
        entrypoint=shlex.join(entrypoint),
        working_dir=str(root),
        excludes=excludes_for(root),
        results=results_uri,
        env_vars=env_vars,
        pip=[str(p) for p in pip],
        metadata={"raysweep_sweep": loaded.sweep.name, "raysweep_results": results_uri or "",
                  "raysweep_submitted_from": submitted_from},
    )


def submit_sweep(request: SubmitRequest, *, wait: bool = True, console: Console | None = None,
                 out: TextIO | None = None, agent_wait_s: float = AGENT_WAIT_S) -> int:
    """Submit ``request``; follow its logs to ``out`` unless ``wait`` is False; return the exit status
    (0 succeeded, 1 failed, 130 stopped; 0 right after submission with ``wait=False``).

    Refused before anything is uploaded (``ClusterError``): a head whose Ray is outside the
    supported range. A head that refuses jobs while it starts (its job agent not up yet) is asked
    again for up to ``agent_wait_s`` seconds, saying so once.
    """
    console = console or Console(stderr=True, highlight=False, soft_wrap=True)
    out = out or sys.stdout
    client = _client(request.address)
    check_cluster_ray(client, request.address, console)
    console.print(f"Uploading {request.working_dir} as the job's working_dir "
                  f"(excluding {' '.join(request.excludes)})")
    with _quiet_ray_client():
        job_id = _submit_job(client, request, console, agent_wait_s)
    console.print(f"Submitted job [bold]{job_id}[/] to {request.address}\n"
                  f"  entrypoint: {request.entrypoint}\n"
                  f"  dashboard:  {request.address}/#/jobs/{job_id}\n"
                  f"  manage it:  ray job status|logs|stop {job_id} --address {request.address}")
    if request.results is None:
        console.print("[yellow]No --results: the job writes to the cluster's $RAYSWEEP_RESULTS, "
                      "else to results/ in its working directory on the head node.[/]")
    if not wait:
        return 0
    try:
        with _quiet_ray_client():
            asyncio.run(_follow(client, job_id, out))
        status = _wait_terminal(client, job_id)
    except KeyboardInterrupt:
        console.print(f"\n[yellow]Stopped following; job {job_id} keeps running. "
                      f"Stop it with: ray job stop {job_id} --address {request.address}[/]")
        return 130
    info = client.get_job_info(job_id)
    style = "green" if status == "SUCCEEDED" else "red"
    console.print(f"Job {job_id} [{style}]{status.lower()}[/]"
                  + (f": {info.message}" if status != "SUCCEEDED" and info.message else ""))
    return _EXIT_BY_STATUS[status]


def project_root(loaded: LoadedSweep) -> Path:
    """The directory holding the sweep's ``sweeps/`` directory (what sweep modules import from)."""
    if loaded.path is None:
        raise ConfigError(invalid_parameter("sweep", "raysweep submit", "a sweep module file",
                                            loaded.sweep.name))
    root = loaded.path.resolve().parent.parent
    if root == Path(root.anchor) or root == Path.home():
        raise ConfigError(
            invalid_parameter("sweep", "raysweep submit", "a module in a project's sweeps/ directory "
                              "(the project is uploaded as the job's working_dir)", str(loaded.path),
                              f"Its project root would be {str(root)!r}: move the sweep into "
                              "<project>/sweeps/.")
        )
    return root


def excludes_for(root: Path) -> list[str]:
    """Ray ``excludes`` patterns: raysweep's fixed ones plus every pattern of the root's .gitignore."""
    patterns = list(ALWAYS_EXCLUDED)
    gitignore = root / ".gitignore"
    if gitignore.is_file():
        for line in gitignore.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and line not in patterns:
                patterns.append(line)
    return patterns


def _dashboard_address(address: str | None) -> str:
    address = (address or "").strip().rstrip("/")
    fix = ("Pass the head's dashboard address, e.g. --address http://HEAD:8265 "
           "(the Ray Jobs API; not the GCS port 6379 nor ray://).")
    if not address or address.startswith("ray://") or ("://" in address and not address.startswith(
            ("http://", "https://"))):
        raise ConfigError(invalid_parameter("address", "raysweep submit",
                                            "an http(s):// dashboard address", address or None, fix))
    return address if "://" in address else f"http://{address}"


def _parse_env(pairs: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _ENV_KEY.match(key):
            raise ConfigError(invalid_parameter("env", "raysweep submit", "KEY=VALUE with KEY a "
                                                "variable name", pair))
        env[key] = value
    return env


def _results_for_cluster(results: str | None) -> str | None:
    """The results root the job is told to use: a URI as given, a local path made absolute."""
    if results is None and not os.environ.get("RAYSWEEP_RESULTS"):
        return None
    return resolve_root(results)


def _new_submission_id(sweep: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", sweep)[:40]
    return f"raysweep_{safe}_{datetime.now(UTC):%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"


def _client(address: str) -> Any:
    try:
        import aiohttp  # noqa: F401 - tail_job_logs needs it; only ray[default] brings it
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise ClusterError(f"{_INSTALL_HINT} ({exc}).") from exc
    try:
        return JobSubmissionClient(address)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(
            f"Could not reach the Ray Jobs API at {address}: {exc}. Is the head running with its "
            "dashboard (ray start --head --dashboard-host ...) and the port reachable from here?"
        ) from exc


def cluster_ray_version(client: Any) -> str | None:
    """The Ray version the cluster's head runs, from its dashboard's ``GET /api/version``; None if unknown.

    The SDK's public ``get_version()`` returns the Jobs API's own version (``"3"``), not Ray's; the
    same endpoint's ``ray_version`` field is Ray's. Asked at the address the client resolved
    (``get_address()``), as the client itself asked it (no headers: raysweep builds the client
    without any).
    """
    import requests

    try:
        answer = requests.get(f"{client.get_address()}/api/version", timeout=_VERSION_TIMEOUT_S)
        answer.raise_for_status()
        found = answer.json().get("ray_version")
    except (requests.RequestException, ValueError, AttributeError):
        return None  # an unknown version is reported as such, never raised
    return found if isinstance(found, str) and found else None


def check_cluster_ray(client: Any, address: str, console: Console) -> str | None:
    """Refuse (``ClusterError``) a head whose Ray is outside the supported range; return its version.

    Asked of the head's Jobs API before anything is uploaded. An unknown version is said, not refused.
    """
    version = cluster_ray_version(client)
    if version is None:
        console.print(f"[yellow]The head at {address} did not say which Ray it runs; submitting "
                      "anyway (raysweep supports the versions README.md names).[/]")
        return None
    problem = unsupported_ray(version)
    if problem is not None:
        raise ClusterError(
            f"Refusing to submit to {address}: its head runs Ray {version} (this machine has Ray "
            f"{ray_version()}). {problem} Nothing was uploaded."
        )
    return version


def _submit_job(client: Any, request: SubmitRequest, console: Console,
                agent_wait_s: float = AGENT_WAIT_S) -> str:
    """Upload and submit; ask again while the head refuses for now (right after ``ray start``)."""
    start = time.monotonic()
    said = False
    while True:
        try:
            return client.submit_job(entrypoint=request.entrypoint, runtime_env=request.runtime_env(),
                                     submission_id=request.submission_id, metadata=request.metadata)
        except (RuntimeError, OSError) as exc:  # the SDK: RuntimeError for a refusal, OSError (requests)
            waited = time.monotonic() - start  # for a dropped connection
            reason = _first_line(exc)
            if not _not_yet(exc):
                raise ClusterError(f"Ray refused the job at {request.address}: {reason}") from exc
            if waited >= agent_wait_s:
                raise ClusterError(
                    f"Ray refused the job at {request.address} for {waited:.0f} s: {reason}. The "
                    "head is up but its job agent (the dashboard agent) is not taking jobs: check "
                    "`ray status` and the head's dashboard_agent.log (its HTTP port, "
                    "--dashboard-agent-listen-port, default 52365, may be taken by another Ray on "
                    f"that machine), or wait longer with --agent-wait SECONDS (now {agent_wait_s:g})."
                ) from exc
            if not said:
                console.print(f"[yellow]Waiting for the head at {request.address} to take jobs "
                              f"(Ray: {reason}); trying again for up to {agent_wait_s:g} s.[/]")
                said = True
            time.sleep(min(_RETRY_EVERY_S, max(agent_wait_s - waited, 0.0)))


def _not_yet(exc: BaseException) -> bool:
    """Whether Ray's refusal ``exc`` means the head is still starting (see ``_NOT_YET``)."""
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return exc.__class__.__module__.startswith("requests")  # the dashboard dropped the request
    return any(marker in str(exc) for marker in _NOT_YET)


def _first_line(exc: BaseException) -> str:
    """Ray's refusal without its traceback: the server's message, or the traceback's last line."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and "Traceback" in text:
        return f"{lines[0].split(':', 1)[0]}: {lines[-1]}"
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _quiet_ray_client() -> Iterator[None]:
    """Ray's client logs every excluded file, its default excludes and the log socket's close."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def _follow(client: Any, job_id: str, out: TextIO) -> None:
    async for lines in client.tail_job_logs(job_id):
        out.write(lines)
        out.flush()


def _wait_terminal(client: Any, job_id: str, timeout_s: float = 30.0) -> str:
    """The job's final status (the log stream can close a moment before the status is final)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = str(client.get_job_status(job_id).value)
        if status in _TERMINAL or time.monotonic() > deadline:
            return status if status in _TERMINAL else "FAILED"
        time.sleep(0.2)
