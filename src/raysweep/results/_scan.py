"""Find and read a dataset's files through ``pyarrow.dataset`` (hive partitions ``sweep``/``run``).

Discovery lists only the directories a query needs (the dataset, one sweep, or one run
partition) and prunes the rest with a partition filter; no file is opened before it is read, and
only the requested columns are read. A file that cannot be read is skipped with a
``ResultsWarning``. raysweep's own part is the de-duplication on top (``_schema.dedup``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from raysweep._errors import StorageError
from raysweep.results._fs import ResultsWarning, Root

#: The hive partitioning of every dataset: both keys are strings (run ids look like numbers).
HIVE = ds.partitioning(pa.schema([("sweep", pa.string()), ("run", pa.string())]), flavor="hive")

Partition = tuple[str, str]

#: Files written by compaction: ``data-<writer>-<seq>[-<k>of<n>].parquet`` (part k of n).
_DATA_FILE = re.compile(r"^data-(?P<gen>[0-9]+-[0-9a-f]+-[0-9]+)(?:-(?P<k>[0-9]+)of(?P<n>[0-9]+))?"
                        r"\.parquet$")


def compacted(fragments: Sequence[ds.ParquetFileFragment]) -> bool:
    """Whether ``fragments`` are exactly the files of one compaction (nothing else appended).

    Compaction writes de-duplicated rows, split into key ranges of ``trial_id`` (part k of n holds
    the k-th range, each sorted by key), so such a partition needs no de-duplication on read.
    A crashed compaction or a later append leaves other files beside them: then this is False.
    """
    if not fragments:
        return False
    matches = [_DATA_FILE.match(f.path.rsplit("/", 1)[-1]) for f in fragments]
    if any(m is None for m in matches):
        return False
    generations = {m["gen"] for m in matches if m is not None}
    parts = sorted(int(m["k"] or 1) for m in matches if m is not None)
    totals = {int(m["n"] or 1) for m in matches if m is not None}
    return len(generations) == 1 and len(totals) == 1 and parts == list(range(1, totals.pop() + 1))


def _starts(root: Root, dataset: str, sweeps: Sequence[str] | None,
            runs: Sequence[str] | None) -> list[str]:
    """The directories to list: the narrowest ones that hold every selected partition."""
    if sweeps is None:
        return [root.path(dataset)]
    if runs is not None and len(sweeps) * len(runs) <= 16:
        return [root.partition(dataset, s, r) for s in sweeps for r in runs]
    return [root.path(dataset, f"sweep={s}") for s in sweeps]


def _filter(sweeps: Sequence[str] | None, runs: Sequence[str] | None) -> ds.Expression | None:
    parts = []
    if sweeps is not None:
        parts.append(ds.field("sweep").isin(list(sweeps)))
    if runs is not None:
        parts.append(ds.field("run").isin(list(runs)))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] & parts[1]


def discover(
    root: Root, dataset: str, sweeps: Sequence[str] | None = None, runs: Sequence[str] | None = None
) -> dict[Partition, list[ds.ParquetFileFragment]]:
    """The visible ``*.parquet`` files of the selected partitions, grouped by (sweep, run)."""
    base = root.path(dataset)
    options = ds.FileSystemFactoryOptions(
        partition_base_dir=base,
        partitioning=HIVE,
        exclude_invalid_files=False,  # corrupt files are skipped with a warning when read
        selector_ignore_prefixes=[".", "_"],  # temporary files of an atomic write start with '.'
    )
    expression = _filter(sweeps, runs)
    found: dict[Partition, list[ds.ParquetFileFragment]] = {}
    for start in _starts(root, dataset, sweeps, runs):
        selector = pafs.FileSelector(start, allow_not_found=True, recursive=True)
        try:
            factory = ds.FileSystemDatasetFactory(root.fs, selector, ds.ParquetFileFormat(), options)
            # An explicit schema: discovery opens no file (files differ in their columns anyway).
            fragments = factory.finish(schema=HIVE.schema).get_fragments(filter=expression)
            for fragment in fragments:
                keys = ds.get_partition_keys(fragment.partition_expression)
                if not fragment.path.endswith(".parquet") or "sweep" not in keys or "run" not in keys:
                    continue
                found.setdefault((keys["sweep"], keys["run"]), []).append(fragment)
        except (OSError, pa.ArrowInvalid) as exc:
            raise StorageError(f"Could not list {start!r} under results root {root.uri!r}: {exc}") from exc
    for fragments in found.values():
        fragments.sort(key=lambda f: f.path)
    return dict(sorted(found.items()))


def read_fragment(
    root: Root, fragment: ds.ParquetFileFragment, columns: Sequence[str] | None = None
) -> pa.Table | None:
    """One file's table (only ``columns`` it has); warn and return None if it is unreadable."""
    try:
        schema = fragment.physical_schema
        names = schema.names if columns is None else [c for c in columns if c in schema.names]
        return fragment.to_table(schema=schema, columns=names)
    except (OSError, pa.ArrowException, ValueError) as exc:
        warnings.warn(
            f"Skipping unreadable results file {fragment.path!r} under {root.uri!r}: {exc}",
            ResultsWarning,
            stacklevel=3,
        )
        return None
