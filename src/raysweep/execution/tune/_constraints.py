"""A sweep's constraints evaluated on one trial: feasible or not, and by how much (Optuna's form).

The conditions are parsed by ``raysweep.results``' whitelisted language (``best --where``'s); they
read a trial's last reported metrics by bare name (``latency_ms``, also ``last.latency_ms``) and its
config as ``config.<path>``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from raysweep.results import Condition, config_columns, frame_of, parse_condition

__all__ = ["CONSTRAINTS_ATTR", "CONSTRAINT_COUNTERS", "Constraints", "stored_constraints",
           "unreported_message"]

#: Tune's counters a constraint may read besides the trial's metrics (``time_total_s <= 600``).
CONSTRAINT_COUNTERS = ("time_total_s", "training_iteration", "time_this_iter_s")

#: The Optuna user attribute holding a live trial's constraint values (read by stored_constraints).
CONSTRAINTS_ATTR = "raysweep.constraints"


class Constraints:
    """The conditions of ``Sweep(constraints=[...])``; picklable (Tune saves the searcher): the text
    is kept, the parsed conditions are rebuilt after unpickling."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = tuple(texts)
        self._conditions: tuple[Condition, ...] | None = None

    def __bool__(self) -> bool:
        return bool(self.texts)

    def __getstate__(self) -> dict[str, Any]:
        return {"texts": self.texts, "_conditions": None}

    @property
    def conditions(self) -> tuple[Condition, ...]:
        if self._conditions is None:
            self._conditions = tuple(parse_condition(t, "Sweep", f"constraints[{i}]")
                                     for i, t in enumerate(self.texts))
        return self._conditions

    def frame(self, metrics: Mapping[str, Any], config: Mapping[str, Any]) -> pd.DataFrame:
        """One row: each metric by its bare name and as ``last.<name>``, each config value as
        ``config.<path>``, and every name a condition reads (None where the trial has no value)."""
        row = {**dict(metrics), **{f"last.{k}": v for k, v in metrics.items()},
               **config_columns(dict(config))}
        names = [n for c in self.conditions for n in c.names()]
        return frame_of([row], names)

    def values(self, metrics: Mapping[str, Any], config: Mapping[str, Any]) -> list[float]:
        """Each constraint's value for Optuna: <= 0 when it holds, > 0 by how much it is missed."""
        frame = self.frame(metrics, config)
        return [float(c.violation(frame).iloc[0]) for c in self.conditions]

    def unreported(self, metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(constraint, metric)`` for each metric a constraint reads that is not in ``metrics``
        (a trial's last value of every metric it reported); config values are not metrics."""
        out = []
        for text, condition in zip(self.texts, self.conditions, strict=True):
            for name in condition.names():
                if name.startswith("config."):
                    continue
                metric = name.removeprefix("last.")
                if metric not in metrics:
                    out.append((text, metric))
        return out

    def feasible(self, metrics: Mapping[str, Any], config: Mapping[str, Any]) -> bool | None:
        """Whether every constraint holds (None: the sweep has none)."""
        if not self.texts:
            return None
        frame = self.frame(metrics, config)
        return all(bool(c.mask(frame).iloc[0]) for c in self.conditions)


def unreported_message(constraint: str, metric: str, trial_id: str,
                       metrics: Mapping[str, Any]) -> str:
    """Why a sweep stops when a trial that ran to its end never reported a metric a constraint reads
    (a misspelt name would make every trial infeasible): what was read, what was reported, the fix."""
    reported = list(metrics)
    shown = ", ".join(repr(k) for k in reported) or "no metric at all"
    close = difflib.get_close_matches(metric, reported, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"The constraint {constraint!r} of Sweep(constraints=[...]) reads {metric!r}, which trial "
            f"{trial_id} never reported although it ran to its end; it reported {shown}.{hint} "
            f"Report it (tune.report({{{metric!r}: value, ...}})) or name a reported metric in the "
            f"constraint.")


def stored_constraints(trial: Any) -> list[float]:
    """Optuna's ``constraints_func``: the values raysweep set on the trial before telling it
    (:data:`CONSTRAINTS_ATTR`); none for a trial told without them."""
    return list(trial.user_attrs.get(CONSTRAINTS_ATTR, ()))
