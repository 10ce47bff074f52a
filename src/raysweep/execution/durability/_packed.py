"""Tune's snapshot cache of trial states, with released trials' states kept compressed.

Tune's controller keeps every trial's JSON state (``TuneController._trial_metadata``: trial id ->
``(trial JSON, run-metadata JSON)``) and writes all of them into every experiment snapshot. Once
raysweep has released an ended trial (``_trim.release_trials``), that pair is all the driver keeps of
it: ~4.2 KB of compact JSON per trial, most of it the same in every trial (the pickled storage
context, placement-group factory and checkpoint manager). :class:`PackedTrialStates` keeps a released
trial's pair deflated against a preset dictionary (the first packed trial's own JSON), ~0.3 KB, and
inflates it only while Tune reads the cache to write a snapshot: the snapshot file is byte for byte
what Tune would write from the plain JSON.
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["PackedTrialStates"]

_SEP = "\x00"  # never inside JSON text (control characters are escaped in JSON strings)
_LEVEL = 1  # the states differ in a few ids and paths: level 1 packs as small as 9, faster


class _Packed(bytes):
    """A released trial's ``(state, run_state)`` pair, deflated with the cache's dictionary."""


class PackedTrialStates(dict):
    """The controller's ``_trial_metadata`` dict, with :meth:`pack` for released trials' states.

    Tune only stores pairs (``cache[trial_id] = trial.get_json_state()``) and reads the values to
    write a snapshot; every read here returns plain pairs, in insertion order.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._zdict: bytes | None = None
        self.packed = 0  #: pairs packed so far

    def pack(self, trial_id: str, state: str, run_state: str) -> None:
        """Store ``trial_id``'s pair deflated (its place in the order is kept)."""
        raw = f"{state}{_SEP}{run_state}".encode()
        if self._zdict is None:
            self._zdict = raw[-32768:]  # zlib uses at most the last 32 KB of a dictionary
        packer = zlib.compressobj(_LEVEL, zdict=self._zdict)
        super().__setitem__(trial_id, _Packed(packer.compress(raw) + packer.flush()))
        self.packed += 1

    def _unpack(self, value: Any) -> Any:
        if not isinstance(value, _Packed):
            return value
        unpacker = zlib.decompressobj(zdict=self._zdict or b"")
        state, run_state = (unpacker.decompress(value) + unpacker.flush()).decode().split(_SEP)
        return state, run_state

    def __getitem__(self, key: str) -> Any:
        return self._unpack(super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self._unpack(v) for v in super().values()]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(k, self._unpack(v)) for k, v in super().items()]

    def __reduce__(self) -> Any:  # a copy or pickle holds the plain pairs
        return dict, (dict(self.items()),)
