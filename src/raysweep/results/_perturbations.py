"""The ``perturbations`` dataset: one row per PBT exploit (who copied whom, when, configs before and
after, which keys Ray resampled or perturbed).

Written by :meth:`RunWriter.add_perturbation` (the execution layer records what Ray's PBT did);
read here. See ``docs/results.md`` ("perturbations").
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from raysweep.results._reader import read_dataset
from raysweep.results._schema import FIXED

__all__ = ["load_perturbations"]


def load_perturbations(
    root: str | None = None,
    sweeps: str | Iterable[str] | None = None,
    runs: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per exploit of the selected sweeps and runs (all when None), in time order.

    Empty (with the fixed columns) for runs that PBT did not schedule and for stores written
    before the dataset existed.
    """
    table = read_dataset(root, "perturbations", sweeps=sweeps, runs=runs)
    if table is None:
        names = ["sweep", "run", *FIXED["perturbations"]]
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    frame = table.to_pandas()
    order = ["sweep", "run", "time_value", "timestamp", "trial_id"]
    return frame.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
