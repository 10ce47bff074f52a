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


def stable_trial_id(sweep: str, config: Mapping[str, Any], index: int) -> str:
    """16 hex digits of sha256(sweep, canonical config JSON, sample index): same trial, same id."""
    payload = f"{sweep}\n{to_json(config)}\n{int(index)}".encode()
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
