"""Read the results store into pandas, pruning on the ``sweep``/``run`` hive partitions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from raysweep._errors import StorageError, SweepNotFoundError, invalid_parameter
from raysweep.results import _fs, _scan, _schema
from raysweep.results._liveness import driver_alive
from raysweep.results._schema import RunStatus


def _as_list(value: str | Iterable[str] | None, param: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        items = list(value)
    except TypeError:
        items = None
    if items is None or not all(isinstance(v, str) for v in items):
        raise StorageError(
            invalid_parameter(param, "the results reader", "a str, a list of str or None", value)
        )
    return items


def read_dataset(
    root: str | None,
    dataset: str,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
    columns: list[str] | None = None,
) -> pa.Table | None:
    """Read, de-duplicate and concatenate the selected partitions of one dataset as Arrow."""
    opened = _fs.open_root(root)
    sweeps, runs = _as_list(sweeps, "sweeps"), _as_list(runs, "runs")
    for name in sweeps or []:
        _fs.check_name(name, "sweeps")
    for name in runs or []:
        _fs.check_name(name, "runs")
    if columns is not None:
        wanted = list(dict.fromkeys([*_schema.DEDUP_COLUMNS[dataset], *_schema.SORT[dataset],
                                     *columns]))
    else:
        wanted = None
    parts = []
    for (sweep, run), fragments in _scan.discover(opened, dataset, sweeps, runs).items():
        tables = [_scan.read_fragment(opened, f, wanted) for f in fragments]
        table = _schema.unify(tables)
        if table is None or table.num_rows == 0:
            continue
        if _scan.compacted(fragments) and all(t is not None for t in tables):
            # One compaction's files: unique keys, iterations already in key order (part k
            # holds the k-th trial_id range); trials are re-sorted by index (cheap).
            if dataset == "trials":
                table = _schema.sort_rows(dataset, table)
        else:
            table = _schema.dedup(dataset, table)
        n = table.num_rows
        table = table.add_column(0, "run", pa.repeat(pa.scalar(run, pa.string()), n))
        table = table.add_column(0, "sweep", pa.repeat(pa.scalar(sweep, pa.string()), n))
        parts.append(table)
    merged = _schema.unify(parts)
    if merged is not None and columns is None:
        merged = _schema.conform(dataset, merged)
    if merged is not None and columns is not None:
        keep = ["sweep", "run", *_schema.DEDUP[dataset][0], *columns]
        merged = merged.select([c for c in dict.fromkeys(keep) if c in merged.column_names])
    return merged


def _empty(dataset: str) -> pd.DataFrame:
    names = ["sweep", "run", *_schema.FIXED[dataset]]
    return pd.DataFrame({name: pd.Series(dtype=object) for name in names})


def list_runs(
    root: str | None = None, sweeps: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per run (launch), newest first.

    ``status`` is the stored status, except that a stored ``running`` run whose driver is gone
    (:func:`driver_alive`) reads as ``crashed``. The stored row is never rewritten.
    """
    table = read_dataset(root, "runs", sweeps=sweeps)
    if table is None:
        return _empty("runs")
    frame = table.to_pandas()
    crashed = [
        status == RunStatus.RUNNING and not driver_alive(row)
        for status, (_, row) in zip(frame["status"], frame.iterrows(), strict=True)
    ]
    frame.loc[pd.Series(crashed, index=frame.index, dtype=bool), "status"] = RunStatus.CRASHED.value
    frame = frame.sort_values(["started_at", "sweep", "run"], ascending=False, na_position="last")
    return frame.reset_index(drop=True)


def unknown_target(
    param: str,
    owner: str,
    got: str,
    candidates: Iterable[str],
    expected: str = "a sweep name or a run id present in the results store",
) -> SweepNotFoundError:
    """The error for a sweep name or run id not in the store, with a did-you-mean suggestion."""
    by_lower: dict[str, str] = {}
    for name in sorted(set(candidates)):
        by_lower.setdefault(name.lower(), name)
    lowered = difflib.get_close_matches(str(got).lower(), list(by_lower), n=3, cutoff=0.6)
    close = [by_lower[name] for name in lowered]
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return SweepNotFoundError(
        invalid_parameter(param, owner, expected, got,
                          f"{hint}List the recorded runs with `raysweep runs`.")
    )


def latest_run(sweep: str, root: str | None = None) -> str:
    """The id of ``sweep``'s most recently started run.

    Raises ``SweepNotFoundError`` (bad input, with a did-you-mean suggestion) if it has none.
    """
    everything = list_runs(root=root)
    runs = everything[everything["sweep"] == sweep] if not everything.empty else everything
    if runs.empty:
        names = [] if everything.empty else everything["sweep"]
        raise unknown_target("sweep", "latest_run", sweep, names, "a sweep with a recorded run")
    return str(runs["run"].iloc[0])


def load_trials(
    root: str | None = None,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per trial of the selected sweeps and runs (all when None), in creation order.

    ``columns`` restricts the columns read (``sweep``, ``run`` and ``trial_id`` are always
    returned); unknown names are ignored.
    """
    table = read_dataset(root, "trials", sweeps=sweeps, runs=runs, columns=columns)
    return _empty("trials") if table is None else table.to_pandas()


def load_iterations(
    root: str | None = None,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per (trial, training_iteration) of the selected sweeps and runs.

    ``columns`` restricts the metric columns read (``sweep``, ``run``, ``trial_id`` and
    ``training_iteration`` are always returned); unknown names are ignored.
    """
    table = read_dataset(root, "iterations", sweeps=sweeps, runs=runs, columns=columns)
    return _empty("iterations") if table is None else table.to_pandas()
