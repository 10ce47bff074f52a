"""Ray Tune's ``ExperimentAnalysis``: keeping the ``ResultGrid`` that ``fit()`` builds from loading
what raysweep never reads (docs/architecture.md, "Scale")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from raysweep.execution._internals._registry import degrade, requirement

__all__ = ["without_result_frames"]

_ANALYSIS = "ray.tune.analysis.experiment_analysis:ExperimentAnalysis"
_FRAMES = requirement(
    _ANALYSIS, "_fetch_trial_dataframes", "method",
    why="keep fit() from reading every trial's result.json into a DataFrame at the end of a run")
_LOAD = requirement(
    _ANALYSIS, "_load_trials", "method",
    why="keep fit() from loading the released trials back from the experiment snapshot")
_PATCHES: dict[str, Callable[[Any], Any]] = {
    _FRAMES.name: lambda self: {},
    _LOAD.name: lambda self: [],
}


@contextmanager
def without_result_frames() -> Iterator[None]:
    """While active, ``ExperimentAnalysis._fetch_trial_dataframes`` returns no frames and
    ``_load_trials`` no trials (a class-wide patch of both, restored on exit). Without them, warns
    once and changes nothing (the ResultGrid then loads every trial's results: a larger peak at the
    end of ``fit()``)."""
    try:
        from ray.tune.analysis.experiment_analysis import ExperimentAnalysis
    except ImportError:
        degrade(_FRAMES, "the ResultGrid at the end of a run loads every trial's results")
        yield
        return
    originals = {name: ExperimentAnalysis.__dict__.get(name) for name in _PATCHES}
    for req in (_FRAMES, _LOAD):
        if originals[req.name] is None:
            degrade(req, "the ResultGrid at the end of a run loads every trial's results")
            yield
            return
    for name, patch in _PATCHES.items():
        setattr(ExperimentAnalysis, name, patch)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(ExperimentAnalysis, name, original)
