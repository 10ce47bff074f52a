"""Compaction of a large run partition in bounded memory: split by ``trial_id`` range, then dedup.

Pass 1 reads one part file at a time and appends each of its rows to the hidden temporary file of
its ``trial_id`` range (``n`` ranges of the 16-hex-digit ids, in key order). Pass 2 reads one
range at a time, de-duplicates it (``_schema.dedup``: every key lives in exactly one range) and
writes it as ``<stem>-<k>of<n>.parquet``. Memory: one part file, then one range, never the run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from raysweep._errors import StorageError
from raysweep.results import _fs, _scan, _schema
from raysweep.results._fs import Root

_GROUP = 64  # part files concatenated (and their chunks combined) before the next group is read


def fragment_rows(fragment: ds.ParquetFileFragment) -> int:
    """Rows in one file, from its footer (0 when it cannot be read: it is skipped later).

    The footer is read apart from ``fragment`` (whose metadata would stay cached in it: ~30 KB per
    file for as long as the caller holds its fragments, 21 MB for a 715-file partition).
    """
    try:
        return int(pq.read_metadata(fragment.path, filesystem=fragment.filesystem).num_rows)
    except (OSError, pa.ArrowException, ValueError):
        return 0


def _fresh(fragment: ds.ParquetFileFragment) -> ds.ParquetFileFragment:
    """A new fragment of the same file: what reading it caches is dropped with it."""
    return ds.ParquetFileFormat().make_fragment(fragment.path, fragment.filesystem)


def compact_one(root: Root, dataset: str, fragments: Sequence[ds.ParquetFileFragment],
                directory: str, name: str) -> list[str]:
    """Rewrite ``fragments`` as one de-duplicated file ``name``; return the paths read (to delete).

    Part files are read ``_GROUP`` at a time, each group concatenated into one contiguous table,
    so the driver holds the partition's rows (at most ``ROWS_PER_FILE``) and one group's files,
    not every file's table, metadata and chunks at once.
    """
    groups: list[pa.Table] = []
    read: list[str] = []
    for start in range(0, len(fragments), _GROUP):
        batch = []
        for fragment in fragments[start:start + _GROUP]:
            table = _scan.read_fragment(root, _fresh(fragment))
            if table is not None:
                batch.append(table)
                read.append(fragment.path)
        merged = _schema.unify(batch)
        if merged is not None:
            groups.append(merged.combine_chunks())
    merged = _schema.unify(groups)
    if merged is None:
        return []
    groups.clear()
    _fs.atomic_write(root, _schema.dedup(dataset, merged.combine_chunks()), directory, name)
    return read


def range_bounds(n: int) -> list[str]:
    """The ``n - 1`` lower bounds of ranges 2..n of 16-hex-digit trial ids (4-digit prefixes)."""
    return [f"{(j * 65536) // n:04x}" for j in range(1, n)]


def range_index(trial_ids: pa.ChunkedArray | pa.Array, bounds: Sequence[str]) -> pa.Array:
    """For each id, the index of its range: how many bounds it is >= (string order)."""
    index = pa.array([0] * len(trial_ids), pa.int32())
    for bound in bounds:
        index = pc.add(index, pc.cast(pc.greater_equal(trial_ids, bound), pa.int32()))
    return pc.fill_null(index, 0)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: missing ones as nulls, types cast."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            columns.append(pc.cast(table.column(field.name), field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def compact_split(root: Root, dataset: str, fragments: Sequence[ds.ParquetFileFragment],
                  directory: str, stem: str, n: int) -> list[str]:
    """Rewrite ``fragments`` as ``n`` de-duplicated range files; return the paths read (to delete)."""
    schemas = []
    for fragment in fragments:
        try:
            schemas.append(_fresh(fragment).physical_schema.empty_table())
        except (OSError, pa.ArrowException, ValueError):
            continue  # unreadable: skipped (with a warning) when read below
    unified = _schema.unify(schemas)
    if unified is None:
        return []
    schema = unified.schema
    bounds = range_bounds(n)
    tag = uuid.uuid4().hex[:8]
    temps = [f"{directory}/.{stem}-{k + 1:03d}of{n:03d}.{tag}.tmp" for k in range(n)]
    read: list[str] = []
    try:
        sinks = [root.fs.open_output_stream(path) for path in temps]
        writers = [pq.ParquetWriter(sink, schema, compression="zstd") for sink in sinks]
        try:
            for fragment in fragments:
                table = _scan.read_fragment(root, _fresh(fragment))
                if table is None:
                    continue
                read.append(fragment.path)
                table = _conform(table, schema)
                index = range_index(table.column("trial_id"), bounds)
                for k, writer in enumerate(writers):
                    part = table.filter(pc.equal(index, k))
                    if part.num_rows:
                        writer.write_table(part)
        finally:
            for writer, sink in zip(writers, sinks, strict=True):
                writer.close()
                sink.close()
        for k, temp in enumerate(temps):
            with root.fs.open_input_file(temp) as source:
                table = pq.read_table(source)
            name = f"{stem}-{k + 1:03d}of{n:03d}.parquet"
            _fs.atomic_write(root, _schema.dedup(dataset, table), directory, name)
    except OSError as exc:
        raise StorageError(f"Could not compact {directory!r} under {root.uri!r}: {exc}") from exc
    finally:
        _fs.delete_files(root, temps)
    return read
