"""A fast check that a URI results root is reachable and writable, before anything starts.

Object-store clients retry for a long time on an unreachable endpoint and report a read-only bucket
only at the first write, which for a sweep is after Ray has started. The probe writes and deletes one
tiny object under the root, in a thread bounded by a timeout, and turns any failure into one
``StorageError``. Local paths need no probe: creating the run's directories fails at once.
"""

from __future__ import annotations

import threading
import uuid

from raysweep._errors import StorageError
from raysweep.results._fs import Root

__all__ = ["PROBE_TIMEOUT_S", "probe_writable"]

PROBE_TIMEOUT_S = 10.0
_LOCAL = ("LocalFileSystem", "SubTreeFileSystem")


def probe_writable(root: Root, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Raise ``StorageError`` unless an object can be written and deleted under ``root`` in time."""
    if type(root.fs).__name__ in _LOCAL:
        return
    outcome: list[BaseException | None] = []
    worker = threading.Thread(target=_write_and_delete, args=(root, outcome), daemon=True,
                              name="raysweep-results-probe")
    worker.start()
    worker.join(timeout_s)
    fix = ("Check the URI, the endpoint (AWS_ENDPOINT_URL for S3-compatible stores), the network, "
           "and that these credentials may write there.")
    if not outcome:
        raise StorageError(f"The results root {root.uri!r} did not answer within {timeout_s:g} s. {fix}")
    if outcome[0] is not None:
        reason = str(outcome[0]).strip().splitlines()[0] if str(outcome[0]).strip() else repr(outcome[0])
        raise StorageError(f"The results root {root.uri!r} is not writable: {reason}. {fix}") from outcome[0]


def _write_and_delete(root: Root, outcome: list[BaseException | None]) -> None:
    path = root.path(f".raysweep-probe-{uuid.uuid4().hex}")
    try:
        with root.fs.open_output_stream(path) as sink:
            sink.write(b"raysweep write probe\n")
        root.fs.delete_file(path)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the caller's StorageError
        outcome.append(exc)
        return
    outcome.append(None)
