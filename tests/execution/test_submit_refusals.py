"""``raysweep submit`` against Ray's refusals, with a fake job client (the subject is raysweep's own
loop: retrying a head that is still starting, refusing an unsupported Ray before any upload). The
real cluster's Ray being accepted is checked by tests/execution/test_submit.py, which submits to it."""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rich.console import Console

from raysweep import ClusterError
from raysweep.execution._internals import SUPPORTED_RAY
from raysweep.execution.cluster import _submit
from raysweep.execution.cluster._submit import SubmitRequest, check_cluster_ray


class FakeClient:
    """Refuses ``refusals`` submissions with ``message``, then accepts; its head is at ``address``."""

    def __init__(self, address: str = "http://127.0.0.1:1", refusals: int = 0,
                 message: str = "No available agent to submit job, please try again later.") -> None:
        self.address = address
        self.refusals, self.message, self.calls = refusals, message, 0

    def get_address(self) -> str:
        return self.address

    def submit_job(self, **kwargs) -> str:
        self.calls += 1
        if self.calls <= self.refusals:
            raise RuntimeError(f"Request failed with status code 500: {self.message}")
        return kwargs["submission_id"]


def _request() -> SubmitRequest:
    return SubmitRequest(address="http://127.0.0.1:1", submission_id="raysweep-x", entrypoint="true",
                         working_dir=".", excludes=[], results=None, env_vars={})


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200), buffer


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    monkeypatch.setattr(_submit, "_RETRY_EVERY_S", 0.0)


def test_a_head_still_starting_is_asked_again_saying_so_once():
    client, (console, said) = FakeClient(refusals=3), _console()
    assert _submit._submit_job(client, _request(), console, agent_wait_s=60) == "raysweep-x"
    assert client.calls == 4
    assert said.getvalue().count("Waiting for the head at http://127.0.0.1:1 to take jobs") == 1


def test_a_head_that_never_takes_jobs_fails_after_the_wait_naming_it():
    client, (console, _) = FakeClient(refusals=10**9), _console()
    with pytest.raises(ClusterError, match=r"refused the job .* for \d+ s: .*No available agent"
                                           r".*--agent-wait SECONDS \(now 0\)"):
        _submit._submit_job(client, _request(), console, agent_wait_s=0)


def test_any_other_refusal_fails_at_once():
    client, (console, said) = FakeClient(refusals=1, message="runtime_env is invalid"), _console()
    with pytest.raises(ClusterError, match="runtime_env is invalid"):
        _submit._submit_job(client, _request(), console, agent_wait_s=60)
    assert client.calls == 1 and "Waiting" not in said.getvalue()


@pytest.fixture
def head() -> Iterator[tuple[str, dict[str, object]]]:
    """A real HTTP server on loopback answering ``GET /api/version`` as a Ray head's dashboard does
    (the answer is the dict yielded; a test sets its ``ray_version``)."""
    answer: dict[str, object] = {"version": "3", "session_name": "session_x"}

    class Version(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer).encode() if self.path == "/api/version" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Version)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_head_outside_the_supported_ray_range_is_refused_before_upload(head):
    (address, answer), (console, _) = head, _console()
    answer["ray_version"] = "2.40.0"
    (lo_major, lo_minor), (hi_major, hi_minor) = SUPPORTED_RAY
    supported = re.escape(f"supports Ray {lo_major}.{lo_minor} to {hi_major}.{hi_minor}")
    with pytest.raises(ClusterError, match=rf"its head runs Ray 2\.40\.0 .*{supported}"
                                           r".*Nothing was uploaded"):
        check_cluster_ray(FakeClient(address), address, console)


def test_a_head_inside_the_supported_range_is_accepted_with_its_version(head):
    (address, answer), (console, said) = head, _console()
    (lo_major, lo_minor), _ = SUPPORTED_RAY
    answer["ray_version"] = f"{lo_major}.{lo_minor}.1"
    assert check_cluster_ray(FakeClient(address), address, console) == f"{lo_major}.{lo_minor}.1"
    assert said.getvalue() == ""


def test_a_head_that_does_not_say_its_ray_is_submitted_to_saying_so(head):
    (address, _), (console, said) = head, _console()
    assert check_cluster_ray(FakeClient(address), address, console) is None
    assert "did not say which Ray it runs" in said.getvalue()

