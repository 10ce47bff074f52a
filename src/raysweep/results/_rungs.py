"""The ``rungs`` dataset: one row per (trial, ASHA rung) with the cutoff and the decision.

Written by :meth:`RunWriter.add_rung` (the execution layer records what Ray's ASHA decided);
read here. See ``docs/results.md`` ("rungs").
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from raysweep.results._reader import read_dataset
from raysweep.results._schema import FIXED

__all__ = ["load_rungs"]


def load_rungs(
    root: str | None = None,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per (trial, rung) of the selected sweeps and runs (all when None).

    Sorted by run, bracket, milestone and decision time. Empty (with the fixed columns) for runs
    that ASHA did not schedule and for stores written before the dataset existed.
    """
    table = read_dataset(root, "rungs", sweeps=sweeps, runs=runs)
    if table is None:
        names = ["sweep", "run", *FIXED["rungs"]]
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    frame = table.to_pandas()
    order = ["sweep", "run", "bracket", "milestone", "timestamp", "trial_id"]
    return frame.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)

