"""Turning Ray's error text into readable lines: one per error, grouped, and a missing metric explained."""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from raysweep.execution.recording._rows import RAY_RESULT_KEYS
from raysweep.results import group_message, strip_ansi

__all__ = ["clean_error", "error_groups", "error_of", "explain_fit_error", "explain_os_error"]

_RESULT_KEY = re.compile(r"'([^']+)':")
#: Ray Train's header of a failing worker's part of a WorkerGroupError: "[Rank 0,1 Error Snippet]:".
_RANKS = re.compile(r"\[Rank ([0-9, ]+) Error Snippet\]")


def clean_error(error: BaseException | str) -> str:
    """The last meaningful line of an error, without ANSI colour codes or Ray's wrapping; for a
    Ray Train worker group's error, prefixed with the failing ranks (``rank 1: ...``)."""
    text = (strip_ansi(str(error)) or "").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else type(error).__name__
    ranks = _RANKS.findall(text)
    if ranks and not last.startswith("rank"):
        numbers = ",".join(dict.fromkeys(n.strip() for group in ranks for n in group.split(",")))
        return f"rank{'s' if ',' in numbers else ''} {numbers}: {last}"
    return last


def error_of(error: BaseException) -> tuple[str, str]:
    """``(type, message)`` of a trial's error: the user's exception inside Ray's ``RayTaskError``."""
    cause = getattr(error, "cause", None) or error
    message = clean_error(cause) if cause is not error else clean_error(error)
    name = type(cause).__name__
    prefix = f"{name}: "
    return name, message[len(prefix):] if message.startswith(prefix) else message


def error_groups(errors: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Distinct ``(type, message)`` pairs with how many trials had each, most frequent first
    (messages compared without what names one trial: :func:`raysweep.results.group_message`)."""
    counts = Counter((t, group_message(m)) for t, m in errors)
    return [{"error_type": t, "error_message": m, "n_trials": n} for (t, m), n in counts.most_common()]


def explain_fit_error(error: BaseException, metric: str | Sequence[str]) -> str:
    """One line for an error that aborted the whole sweep; a metric never reported is explained
    with the metrics the trainable did report (instead of Ray's hint to disable the check). With
    several objectives (``metric`` a list) it names the first one the result lacked."""
    text = strip_ansi(str(error)) or ""
    if "TUNE_DISABLE_STRICT_METRIC_CHECKING" not in text:
        return clean_error(error)
    result = text.split("Result:", 1)[1] if "Result:" in text else ""
    reported = [k for k in dict.fromkeys(_RESULT_KEY.findall(result))
                if k not in RAY_RESULT_KEYS and not k.startswith("config/")]
    names = [metric] if isinstance(metric, str) else list(metric)
    metric = next((m for m in names if m not in reported), names[0])
    close = difflib.get_close_matches(metric, reported, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(repr(k) for k in reported) or "no metric at all"
    return (f"the trainable never reported the sweep metric {metric!r}; it reported {shown}.{hint} "
            f"Set the sweep's metric to one of these, or report it: "
            f"tune.report({{{metric!r}: value}}).")


def explain_os_error(error: OSError, *, ray_dir: str, cwd: str | None) -> str:
    """One line for an OS error that stopped a sweep, always naming a path.

    Its own file names when it has them (``[Errno 2] No such file or directory: '/x'``). Without
    one, it was raised on a path the OS did not name: the driver's working directory when that is
    gone (``os.getcwd()`` fails, and with it every relative path Ray resolves), else the paths the
    sweep was working with, the run's Ray directory and the working directory.
    """
    text = clean_error(error)
    if error.filename is not None:
        return text
    try:
        os.getcwd()
    except FileNotFoundError:
        return (f"{text}: the driver's working directory {cwd!r} was deleted while the sweep ran "
                "(Ray replaces a job's working_dir under its driver when another node on the same "
                "machine unpacks it). Start the driver from a directory that stays.")
    return (f"{text} (the error names no file; the sweep was reading and writing its Ray directory "
            f"{ray_dir!r}, relative paths resolve against {cwd!r})")
