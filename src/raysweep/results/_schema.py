"""Column names, Arrow types, row-to-table conversion, schema unification and de-duplication.

The schema is versioned (``SCHEMA_VERSION``) and documented in ``docs/results.md``. Partition keys
(``sweep``, ``run``) live only in the hive directory names, never inside the files, so pyarrow,
pandas and DuckDB all read them the same way.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, get_type_hints

import pyarrow as pa
import pyarrow.compute as pc

from raysweep.results._rows import IterationRow, PerturbationRow, RungRow, RunRow, TrialRow

SCHEMA_VERSION = 2
PARTITION_KEYS = ("sweep", "run")

_TS = pa.timestamp("us", tz="UTC")
_S = pa.string()
_I = pa.int64()
_F = pa.float64()
_B = pa.bool_()

_ARROW: dict[type, pa.DataType] = {str: _S, int: _I, float: _F, bool: _B, datetime: _TS}


def _columns(row_type: type) -> dict[str, pa.DataType]:
    """Column name -> Arrow type, from a row ``TypedDict`` (partition keys excluded)."""
    return {
        name: _ARROW[annotation]
        for name, annotation in get_type_hints(row_type).items()
        if name not in PARTITION_KEYS
    }


RUN_COLUMNS: dict[str, pa.DataType] = _columns(RunRow)
TRIAL_COLUMNS: dict[str, pa.DataType] = _columns(TrialRow)
ITERATION_COLUMNS: dict[str, pa.DataType] = _columns(IterationRow)
RUNG_COLUMNS: dict[str, pa.DataType] = _columns(RungRow)
PERTURBATION_COLUMNS: dict[str, pa.DataType] = _columns(PerturbationRow)
#: Store column names a user metric may not shadow (a metric named so is stored as
#: ``metric/<name>``): the partition keys and every fixed column of the iterations dataset.
RESERVED_COLUMNS: frozenset[str] = frozenset({*PARTITION_KEYS, *ITERATION_COLUMNS})


class TrialStatus(enum.StrEnum):
    """A trial's status in the ``trials`` dataset (stored as the plain string)."""

    RUNNING = "running"
    COMPLETED = "completed"
    EARLY_STOPPED = "early_stopped"
    ERRORED = "errored"
    CANCELLED = "cancelled"


class RunStatus(enum.StrEnum):
    """A run's status. ``crashed`` is never stored: readers derive it for a ``running`` run whose
    driver is gone."""

    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    CRASHED = "crashed"


class RungDecision(enum.StrEnum):
    """What ASHA decided for a trial at a rung (``rungs`` dataset, stored as the plain string)."""

    PROMOTED = "promoted"
    STOPPED = "stopped"
    COMPLETED = "completed"


TRIAL_STATUSES = tuple(s.value for s in TrialStatus)
RUNG_DECISIONS = tuple(s.value for s in RungDecision)
RUN_STATUSES = tuple(s.value for s in RunStatus)

# Rows kept when several versions of one key exist: the greatest (tiebreak...) wins.
DEDUP = {
    "runs": ((), ("updated_at",)),
    "trials": (("trial_id",), ("updated_at",)),
    "iterations": (("trial_id", "training_iteration"), ("attempt", "timestamp")),
    "rungs": (("trial_id", "milestone"), ("timestamp",)),
    "perturbations": (("trial_id", "time_value"), ("timestamp",)),
}
# Every column the de-duplication of a dataset reads (a projected read must include them).
DEDUP_COLUMNS = {
    "runs": ("updated_at",),
    "trials": ("trial_id", "updated_at"),
    "iterations": ("trial_id", "training_iteration", "attempt", "timestamp", "writer_id"),
    "rungs": ("trial_id", "milestone", "timestamp"),
    "perturbations": ("trial_id", "time_value", "timestamp"),
}
FIXED = {"runs": RUN_COLUMNS, "trials": TRIAL_COLUMNS, "iterations": ITERATION_COLUMNS,
         "rungs": RUNG_COLUMNS, "perturbations": PERTURBATION_COLUMNS}
# Free-form columns: the prefix decides the type (None: inferred from the values).
_FREE_TYPES = {"trials": {"config.": None, "last.": _F}, "iterations": {"": _F}, "runs": {"": None},
               "rungs": {}, "perturbations": {}}


def to_json(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces); non-JSON values become their ``str``.

    The one form of ``config_json`` and of the config hashed into :func:`stable_trial_id`.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _infer_array(values: list[Any]) -> pa.Array:
    scalars = (bool, int, float, str)
    if all(v is None or isinstance(v, scalars) for v in values):
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    return pa.array([None if v is None else to_json(v) for v in values], type=_S)


def _typed_array(values: list[Any], dtype: pa.DataType | None) -> pa.Array:
    if dtype is None:
        return _infer_array(values)
    if dtype == _F:
        values = [None if v is None else float(v) for v in values]
    elif dtype == _S:
        values = [None if v is None else (v if isinstance(v, str) else to_json(v)) for v in values]
    return pa.array(values, type=dtype)


def rows_to_table(dataset: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Build one Arrow table from row dicts: fixed columns typed, free columns typed by prefix."""
    fixed = FIXED[dataset]
    free_names: set[str] = set()
    for row in rows:
        free_names.update(k for k in row if k not in fixed and k not in PARTITION_KEYS)
    columns: dict[str, pa.Array] = {}
    for name, dtype in fixed.items():
        columns[name] = _typed_array([row.get(name) for row in rows], dtype)
    for name in sorted(free_names):
        dtype = next(
            (t for prefix, t in _FREE_TYPES[dataset].items() if name.startswith(prefix)), None
        )
        columns[name] = _typed_array([row.get(name) for row in rows], dtype)
    return pa.table(columns)


def unify(tables: Iterable[pa.Table]) -> pa.Table | None:
    """Concatenate tables with different column sets; conflicting types fall back to string."""
    tables = [t for t in tables if t is not None]
    if not tables:
        return None
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    seen: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for field in table.schema:
            if not pa.types.is_null(field.type):
                seen.setdefault(field.name, set()).add(field.type)
    conflicting = {name for name, types in seen.items() if len(types) > 1}
    fixed = []
    for table in tables:
        for name in conflicting & set(table.column_names):
            idx = table.schema.get_field_index(name)
            table = table.set_column(idx, name, pc.cast(table.column(name), _S))
        fixed.append(table)
    return pa.concat_tables(fixed, promote_options="permissive")


def conform(dataset: str, table: pa.Table) -> pa.Table:
    """Add every fixed column ``table`` lacks as nulls of its type (older schema versions)."""
    for name, dtype in FIXED[dataset].items():
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, type=dtype))
    return table


def supersede(table: pa.Table) -> pa.Table:
    """Drop iteration rows that a later attempt of the same trial restarted over.

    A *segment* is what one attempt reported through one writer: ``(writer_id, attempt)``, ordered
    by writer (writer ids start with their creation time in ns, so a resumed driver's writer sorts
    after the crashed one's) and then by attempt. Its start is the smallest
    ``training_iteration`` it reported. A row at iteration ``i`` is superseded when a later
    segment of the same trial started at or before ``i``: a trial's curve never mixes attempts
    (attempt 1 reached 7, attempt 2 restarted from a checkpoint at 3 and reached 5: iterations
    1-3 come from attempt 1, 4-5 from attempt 2). Ordering by writer first makes this hold after
    a resume even when the resumed trial keeps its attempt number.
    """
    if table.num_rows <= 1 or not all(n in table.column_names for n in _SEGMENT_COLUMNS):
        return table
    keys = ["trial_id", "writer", "attempt"]
    rows = pa.table({
        "trial_id": table.column("trial_id"),
        "writer": pc.fill_null(_column_or_null(table, "writer_id", _S), ""),
        "attempt": pc.fill_null(table.column("attempt"), 0),
        "iteration": table.column("training_iteration"),
        "__row": pa.array(range(table.num_rows), type=_I),
    })
    bounds = pc.min_max(rows["attempt"])
    if bounds["min"].as_py() == bounds["max"].as_py() and pc.count_distinct(rows["writer"]).as_py() == 1:
        return table  # one writer, one attempt number: nothing to supersede
    starts = rows.group_by(keys, use_threads=False).aggregate([("iteration", "min")]).to_pandas()
    if not starts["trial_id"].duplicated().any():
        return table  # one segment per trial
    starts = starts.sort_values(keys, ascending=[True, False, False])
    # The earliest start among the LATER segments: a running minimum, shifted by one segment.
    later = starts.groupby("trial_id")["iteration_min"].cummin()
    starts["cutoff"] = later.groupby(starts["trial_id"]).shift(1)
    starts = starts.dropna(subset=["cutoff"])
    cutoffs = pa.table({
        **{k: pa.array(starts[k].tolist(), type=rows[k].type) for k in keys},
        "cutoff": pa.array(starts["cutoff"].astype("int64").tolist(), type=rows["iteration"].type),
    })
    joined = rows.join(cutoffs, keys=keys, join_type="inner", use_threads=False)
    dropped = joined.filter(pc.greater_equal(joined["iteration"], joined["cutoff"]))["__row"]
    keep = pc.invert(pc.is_in(rows["__row"], value_set=dropped.combine_chunks()))
    return table.filter(keep)


_SEGMENT_COLUMNS = ("trial_id", "attempt", "training_iteration")


def _column_or_null(table: pa.Table, name: str, dtype: pa.DataType) -> pa.ChunkedArray | pa.Array:
    return table.column(name) if name in table.column_names else pa.nulls(table.num_rows, dtype)


def dedup(dataset: str, table: pa.Table) -> pa.Table:
    """Keep one row per key of ``dataset``: the one with the greatest tiebreak columns.

    Iteration rows superseded by a later attempt (:func:`supersede`) are dropped first.
    """
    keys, tiebreak = DEDUP[dataset]
    if dataset == "iterations":
        table = supersede(table)
    if table.num_rows <= 1:
        return table
    present = [c for c in tiebreak if c in table.column_names]
    if present:  # newest first; nulls sort last, so a row without a tiebreak value never wins
        table = table.take(pc.sort_indices(table, sort_keys=[(c, "descending") for c in present]))
    if not keys:
        return table.slice(0, 1)
    table = table.append_column("__row", pa.array(range(table.num_rows), type=_I))
    latest = table.group_by(list(keys), use_threads=False).aggregate([("__row", "min")])
    rows = pc.take(latest["__row_min"], pc.sort_indices(latest["__row_min"]))
    return sort_rows(dataset, table.take(rows).drop_columns(["__row"]))


def sort_rows(dataset: str, table: pa.Table) -> pa.Table:
    """``table`` in the dataset's read order (trials by index, iterations by key)."""
    sort = [(k, "ascending") for k in SORT[dataset] if k in table.column_names]
    return table.take(pc.sort_indices(table, sort_keys=sort)) if sort else table


SORT = {
    "runs": (),
    "trials": ("trial_index", "trial_id"),
    "iterations": ("trial_id", "training_iteration"),
    "rungs": ("milestone", "bracket", "timestamp", "trial_id"),
    "perturbations": ("time_value", "timestamp", "trial_id"),
}
