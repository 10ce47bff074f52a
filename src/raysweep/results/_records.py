"""Pure helpers that turn trial configs and reported results into store rows (no Ray needed)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from raysweep.results._schema import to_json

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str | None) -> str | None:
    """Remove ANSI escape sequences (Ray colours its error text)."""
    return None if text is None else _ANSI.sub("", text)


def stable_trial_id(sweep: str, config: Mapping[str, Any], repeat: int = 0) -> str:
    """16 hex digits of sha256(sweep, canonical config JSON, repeat): content-addressed.

    The same config of the same sweep gets the same id in every run, so a grid cell is recognised
    across runs (``raysweep run SWEEP --only-new``). ``repeat`` only tells genuine repeats of one
    config within a run apart (a grid run twice over, ``num_samples=2``): the first is 0, the next 1.
    Ids written before this rule hashed the sample index instead (the same id for index 0); a stored
    id is never rewritten (a resumed run keeps its trials' stored ids), and cross-run matching
    compares configs, so old runs count too.
    """
    payload = f"{sweep}\n{to_json(config)}\n{int(repeat)}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def config_columns(config: Mapping[str, Any], prefix: str = "config.") -> dict[str, Any]:
    """One ``config.<path>`` entry per leaf; nested dict keys joined with '.'."""
    out: dict[str, Any] = {}
    for key in sorted(config, key=str):
        value = config[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(config_columns(value, prefix=f"{name}."))
        else:
            out[name] = list(value) if isinstance(value, tuple) else value
    return out
