"""Read the results store into pandas, pruning on the ``sweep``/``run`` hive partitions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa

from raysweep._errors import StorageError, invalid_parameter
from raysweep.results import _fs, _schema

# A 'running' run whose heartbeat is older than this is reported as stale (its driver died).
STALE_AFTER = timedelta(seconds=60)


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


def _partitions(
    root: _fs.Root, dataset: str, sweeps: list[str] | None, runs: list[str] | None
) -> list[tuple[str, str]]:
    """(sweep, run) pairs present for ``dataset``, filtered by the requested values."""
    pairs = []
    for name in sweeps or []:
        _fs.check_name(name, "sweeps")
    for sweep in sweeps if sweeps is not None else _fs.list_partitions(root, dataset, "sweep"):
        parent = root.path(dataset, f"sweep={sweep}")
        for run in _fs.list_partitions(root, dataset, "run", parent=parent):
            if runs is None or run in runs:
                pairs.append((sweep, run))
    return pairs


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
    if columns is not None:
        keys, tiebreak = _schema.DEDUP[dataset]
        wanted = list(dict.fromkeys([*keys, *tiebreak, *columns]))
    else:
        wanted = None
    parts = []
    for sweep, run in _partitions(opened, dataset, sweeps, runs):
        files = _fs.list_files(opened, opened.partition(dataset, sweep, run))
        table = _schema.unify(_fs.read_parquet(opened, path, wanted) for path in files)
        if table is None or table.num_rows == 0:
            continue
        table = _schema.dedup(dataset, table)
        n = table.num_rows
        table = table.add_column(0, "run", pa.array([run] * n, pa.string()))
        table = table.add_column(0, "sweep", pa.array([sweep] * n, pa.string()))
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

    Adds ``stale`` (bool): the run says ``running`` but its writer's heartbeat (``updated_at``) is
    older than 60 s, so its driver most likely died.
    """
    table = read_dataset(root, "runs", sweeps=sweeps)
    if table is None:
        frame = _empty("runs")
        frame["stale"] = pd.Series(dtype=bool)
        return frame
    frame = table.to_pandas()
    now = pd.Timestamp(datetime.now(UTC))
    heartbeat = frame["updated_at"] if "updated_at" in frame else pd.Series(pd.NaT, index=frame.index)
    frame["stale"] = (frame["status"] == "running") & ((now - heartbeat) > STALE_AFTER)
    frame = frame.sort_values(["started_at", "sweep", "run"], ascending=False, na_position="last")
    return frame.reset_index(drop=True)


def latest_run(sweep: str, root: str | None = None) -> str:
    """The id of ``sweep``'s most recently started run; ``StorageError`` if it has none."""
    runs = list_runs(root=root, sweeps=sweep)
    if runs.empty:
        raise StorageError(
            invalid_parameter(
                "sweep",
                "latest_run",
                f"a sweep with at least one run under {_fs.resolve_root(root)!r}",
                sweep,
                "List the recorded runs with `raysweep runs`.",
            )
        )
    return str(runs["run"].iloc[0])


def load_trials(
    root: str | None = None,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per trial of the selected sweeps and runs (all when None), in creation order."""
    table = read_dataset(root, "trials", sweeps=sweeps, runs=runs)
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
