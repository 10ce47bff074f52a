"""Search spaces shared by the sweeps under ``sweeps/``, and the size knob those sweeps read.

Every sweep module reads ``RAYSWEEP_SIZE`` (``tiny`` | ``small`` | ``full``; default ``full``) through
:func:`size`: ``tiny`` runs in seconds (the tests), ``small`` in a minute or two, ``full`` is the real
experiment.
"""

from __future__ import annotations

import os

from raysweep import ConfigError
from raysweep._errors import invalid_parameter

__all__ = ["SIZES", "size"]

SIZES = ("tiny", "small", "full")


def size() -> str:
    """The sweep size from ``RAYSWEEP_SIZE`` (default ``full``)."""
    value = os.environ.get("RAYSWEEP_SIZE", "full").strip().lower()
    if value not in SIZES:
        raise ConfigError(
            invalid_parameter(
                "RAYSWEEP_SIZE", "the shipped sweeps", "one of 'tiny', 'small', 'full'", value,
                "Unset it for the full size, or export RAYSWEEP_SIZE=tiny for a smoke run.",
            )
        )
    return value
