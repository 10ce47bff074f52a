"""``RunWriter``: buffered, atomic, append-only writes of one run's four partitions."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from raysweep._errors import StorageError, invalid_parameter
from raysweep.results import _fs, _scan, _schema
from raysweep.results._compact import compact_one as _compact_one
from raysweep.results._compact import compact_split as _compact_split
from raysweep.results._compact import fragment_rows as _fragment_rows
from raysweep.results._probe import probe_writable

_MAX_BUFFERED_ROWS = 20_000
#: Rows per file written by compaction (a larger run partition is split into trial_id ranges).
ROWS_PER_FILE = 250_000
_HEARTBEAT_S = 10.0


class RunWriter:
    """Write one run (one launch of one sweep) into the results store.

    Trial and iteration rows are buffered in memory and written as a new Parquet part file (temporary
    file, then rename) every ``flush_interval_s`` seconds, at trial end, and when the buffer holds
    20,000 rows; after a flush the rows are dropped, so driver memory stays bounded. ``close``
    flushes and compacts the run's part files into one de-duplicated file per dataset.

    Several writers (for example a crashed launch and its resume) may append to the same run
    partition: every file name is unique and readers de-duplicate on the row keys.

    Args:
        root: Results root (path or URI); see :func:`resolve_root`.
        sweep: Sweep name (hive partition value).
        run_id: Run id (hive partition value).
        flush_interval_s: Longest time buffered rows wait before reaching storage.
    """

    def __init__(self, root: str | None, *, sweep: str, run_id: str, flush_interval_s: float = 2.0):
        if not isinstance(flush_interval_s, int | float) or not flush_interval_s > 0:
            raise StorageError(
                invalid_parameter(
                    "flush_interval_s", "RunWriter", "a positive number of seconds", flush_interval_s
                )
            )
        self.sweep = _fs.check_name(sweep, "sweep")
        self.run_id = _fs.check_name(run_id, "run_id")
        self.flush_interval_s = float(flush_interval_s)
        self._root = _fs.open_root(root)
        probe_writable(self._root)  # a URI root that is unreachable or read-only fails here, at once
        # Sorts by creation time (ns): readers order a resumed driver's rows after the crashed one's.
        self._session = f"{time.time_ns():019d}-{uuid.uuid4().hex[:6]}"
        self._seq = 0
        self._max_buffered_rows = _MAX_BUFFERED_ROWS
        self.rows_per_file = ROWS_PER_FILE
        self._trials: dict[str, dict[str, Any]] = {}
        self._iterations: dict[tuple[str, int], dict[str, Any]] = {}
        self._rungs: dict[tuple[str, float], dict[str, Any]] = {}
        self._perturbations: dict[tuple[str, float], dict[str, Any]] = {}
        self._run_record: dict[str, Any] | None = None
        self._last_flush = time.monotonic()
        self._last_heartbeat = 0.0
        self._closed = False
        self.files_written = 0
        for dataset in ("runs", "trials", "iterations"):  # rungs/: at its first row (ASHA only)
            _fs.ensure_dir(self._root, self._dir(dataset))
        self._rungs_dir = False
        self._perturbations_dir = False  # perturbations/: at its first row (PBT only)

    @property
    def root(self) -> str:
        """The resolved results root this writer writes under."""
        return self._root.uri

    def _dir(self, dataset: str) -> str:
        return self._root.partition(dataset, self.sweep, self.run_id)

    def write_run(self, record: Mapping[str, Any]) -> None:
        """Upsert the run row now (atomically replaces ``runs/sweep=.../run=.../run.parquet``)."""
        self._check_open()
        self._run_record = {k: v for k, v in record.items() if k not in _schema.PARTITION_KEYS}
        self._write_run_row()

    def _write_run_row(self) -> None:
        if self._run_record is None:
            return
        self._last_heartbeat = time.monotonic()
        row = {**self._run_record, "updated_at": datetime.now(UTC)}
        row.setdefault("schema_version", _schema.SCHEMA_VERSION)
        table = _schema.rows_to_table("runs", [row])
        _fs.atomic_write(self._root, table, self._dir("runs"), "run.parquet")

    def add_trial(self, row: Mapping[str, Any]) -> None:
        """Buffer a trial row; a later row for the same ``trial_id`` replaces it."""
        self._check_open()
        row = dict(row)
        row.setdefault("updated_at", datetime.now(UTC))
        self._trials[row["trial_id"]] = row
        self._maybe_flush_on_size()

    def add_iteration(self, row: Mapping[str, Any]) -> None:
        """Buffer an iteration row keyed by ``(trial_id, training_iteration)``; the last one wins.

        The row is stamped with this writer's ``writer_id`` (creation time in ns + random suffix).
        """
        self._check_open()
        row = {**row, "writer_id": self._session}  # orders attempts across resumes
        self._iterations[(row["trial_id"], int(row["training_iteration"]))] = row
        self._maybe_flush_on_size()

    def add_rung(self, row: Mapping[str, Any]) -> None:
        """Buffer an ASHA rung row (:class:`RungRow`) keyed by ``(trial_id, milestone)``.

        The latest ``timestamp`` wins on read, so a rung re-decided after a resume (Ray's ASHA
        starts with empty rungs) keeps its last decision.
        """
        self._check_open()
        row = dict(row)
        row.setdefault("timestamp", datetime.now(UTC))
        self._rungs[(row["trial_id"], float(row["milestone"]))] = row
        self._maybe_flush_on_size()

    def add_perturbation(self, row: Mapping[str, Any]) -> None:
        """Buffer a PBT exploit row (:class:`PerturbationRow`) keyed by ``(trial_id, time_value)``;
        the latest ``timestamp`` wins on read."""
        self._check_open()
        row = dict(row)
        row.setdefault("timestamp", datetime.now(UTC))
        self._perturbations[(row["trial_id"], float(row["time_value"]))] = row
        self._maybe_flush_on_size()

    def _buffered(self) -> int:
        return len(self._trials) + len(self._iterations) + len(self._rungs) + len(self._perturbations)

    def _maybe_flush_on_size(self) -> None:
        if self._buffered() >= self._max_buffered_rows:
            self.flush()

    def maybe_flush(self, min_interval_s: float | None = None) -> bool:
        """Flush if ``min_interval_s`` (default ``flush_interval_s``) has passed since the last one.

        Returns whether it flushed. The callback passes a short ``min_interval_s`` at trial end so
        that finished trials reach storage quickly without a file per trial on busy sweeps.
        """
        gap = self.flush_interval_s if min_interval_s is None else min_interval_s
        if self._buffered() and time.monotonic() - self._last_flush >= gap:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Write every buffered row now (one part file per dataset that has rows).

        Iterations are written before trial rows: a trial row stored (an end, say) has every
        iteration buffered before it stored too, even if the process dies between the two files.
        """
        self._last_flush = time.monotonic()
        wrote = False
        for dataset, buffer in (("iterations", self._iterations), ("rungs", self._rungs),
                                ("perturbations", self._perturbations), ("trials", self._trials)):
            if not buffer:
                continue
            table = _schema.rows_to_table(dataset, list(buffer.values()))
            if dataset == "rungs" and not self._rungs_dir:
                _fs.ensure_dir(self._root, self._dir(dataset))
                self._rungs_dir = True
            if dataset == "perturbations" and not self._perturbations_dir:
                _fs.ensure_dir(self._root, self._dir(dataset))
                self._perturbations_dir = True
            self._seq += 1
            name = f"part-{self._session}-{self._seq:06d}.parquet"
            _fs.atomic_write(self._root, table, self._dir(dataset), name)
            self.files_written += 1
            buffer.clear()
            wrote = True
        if wrote:
            self.heartbeat()

    def heartbeat(self) -> None:
        """Refresh the run row's ``updated_at`` (at most every 10 s): a live run keeps it fresh.

        Readers report a ``running`` run whose driver is gone as ``crashed`` (see
        :func:`raysweep.results.driver_alive`: a dead pid on the driver's host, else a heartbeat
        older than 60 s).
        """
        if self._run_record is not None and time.monotonic() - self._last_heartbeat >= _HEARTBEAT_S:
            self._write_run_row()

    def compact(self) -> None:
        """Merge the run's trial and iteration files into a few de-duplicated files per dataset.

        The same rule as every read applies (``_schema.dedup``: one row per key, superseded
        attempts dropped), so plain-Parquet readers agree with raysweep after compaction. A
        partition of up to ``rows_per_file`` rows becomes one file; a larger one is split into
        ``n`` ranges of ``trial_id`` (``data-<writer>-<seq>-<k>of<n>.parquet``) in two streaming
        passes, so compaction holds one part file, then one range, in memory, never the run; a
        smaller one is read 64 part files at a time (``_compact.compact_one``).
        """
        for dataset in ("trials", "iterations", "rungs", "perturbations"):
            found = _scan.discover(self._root, dataset, [self.sweep], [self.run_id])
            fragments = found.get((self.sweep, self.run_id), [])
            if not fragments or _scan.compacted(fragments):
                continue  # nothing written, or one compaction's files and nothing since
            rows = sum(_fragment_rows(f) for f in fragments)
            n = max(1, -(-rows // self.rows_per_file))
            self._seq += 1
            stem = f"data-{self._session}-{self._seq:06d}"
            if n == 1:
                readable = _compact_one(self._root, dataset, fragments, self._dir(dataset),
                                        f"{stem}.parquet")
            else:
                readable = _compact_split(self._root, dataset, fragments, self._dir(dataset),
                                          stem, n)
            _fs.delete_files(self._root, readable)

    def close(self, compact: bool = True) -> None:
        """Flush, then (by default) compact. Safe to call twice."""
        if self._closed:
            return
        self.flush()
        if compact:
            self.compact()
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"RunWriter for {self.sweep}/{self.run_id} is closed.")

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
