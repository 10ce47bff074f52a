"""Reading what Tune knows about one trial: its attempt, its last error, its persisted results."""

from __future__ import annotations

import json
import traceback
from typing import Any

from ray import cloudpickle

from raysweep.execution._internals import trial_failures
from raysweep.results import strip_ansi

__all__ = ["attempt", "error_info", "number", "stored_results"]


def number(value: Any) -> float | None:
    try:
        return None if value is None or value != value else float(value)
    except (TypeError, ValueError):
        return None


def stored_results(trial: Any) -> list[dict[str, Any]]:
    """Every result Tune persisted for ``trial`` (its ``result.json`` on the run's storage)."""
    try:
        storage = trial.storage
        path = f"{storage.trial_fs_path}/result.json"
        with storage.storage_filesystem.open_input_stream(path) as handle:
            text = handle.read().decode()
    except Exception:  # noqa: BLE001 - no file: only the last result is known
        return [trial.last_result] if trial.last_result else []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def attempt(trial: Any) -> int:
    return trial_failures(trial) + 1


def error_info(trial: Any) -> dict[str, Any]:
    """error_type / error_message / error_traceback of the trial's last failure, ANSI-free."""
    exc = _read_local(trial.pickled_error_file, binary=True)
    if exc is None:
        text = _read_local(trial.error_file, binary=False)
        return {"error_type": "TuneError" if text else None, "error_message": strip_ansi(text)}
    cause = getattr(exc, "cause", None) or exc
    # A RayTaskError's text is the remote traceback (coloured); the unpickled cause has none.
    tb = str(exc) if cause is not exc else "".join(traceback.format_exception(exc))
    if cause is not exc:
        message = str(cause)
    else:  # e.g. an actor that died: keep the last line of Ray's text
        lines = (strip_ansi(str(exc)) or "").strip().splitlines()
        message = lines[-1] if lines else ""
    return {
        "error_type": type(cause).__name__,
        "error_message": strip_ansi(message),
        "error_traceback": strip_ansi(tb),
    }


def _read_local(path: str | None, *, binary: bool) -> Any:
    """Read the error file Tune just wrote in the driver's local trial dir (None if unavailable).

    ``trial.get_pickled_error()`` reads the storage copy, which is synced only at experiment
    snapshots, so right after a failure it is often missing.
    """
    if not path:
        return None
    try:
        if binary:
            with open(path, "rb") as handle:
                return cloudpickle.load(handle)
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip() or None
    except Exception:  # noqa: BLE001 - a missing or unpicklable error file must not stop the sweep
        return None
