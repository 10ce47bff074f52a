"""The one pickling rule of raysweep's Tune callbacks (execution/tune/_driver_bound.py): each pickles
as a callback that does nothing, never as an object without its attributes."""

from __future__ import annotations

import pickle
import threading

import pytest

from raysweep import results as R
from raysweep.execution._internals._wandb import FlushingWandbLoggerCallback
from raysweep.execution.durability._trim import TrimCallback
from raysweep.execution.launch._fit import _ForwardInterrupt
from raysweep.execution.recording._store_callback import ParquetResultsCallback
from raysweep.execution.terminal._progress import ProgressCallback
from raysweep.execution.tune._asha import RungCallback
from raysweep.execution.tune._driver_bound import DetachedCallback, DriverBound

cloudpickle = pytest.importorskip("ray.cloudpickle")


def _callbacks(tmp_path):
    from rich.console import Console

    writer = R.RunWriter(str(tmp_path), sweep="p", run_id="r1")
    store = ParquetResultsCallback(writer, sweep="p", run_id="r1", metric="m", mode="max")
    return [store, TrimCallback("m", gate=store.gate), RungCallback(writer, store.trial_key),
            ProgressCallback(4, "m", "max", Console(), live=False), _ForwardInterrupt(threading.Event())]


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
def test_every_driver_callback_pickles_as_a_detached_no_op(tmp_path, dumps):
    for callback in _callbacks(tmp_path):
        assert isinstance(callback, DriverBound)
        restored = pickle.loads(dumps(callback))
        assert isinstance(restored, DetachedCallback)
        assert restored.name.endswith(type(callback).__qualname__)
        # Tune calls every hook of a restored callback: each is the base class's no-op.
        restored.on_step_begin(iteration=0, trials=[])
        restored.on_trial_result(iteration=0, trials=[], trial=None, result={})
        restored.on_experiment_end(trials=[])


def test_every_tune_callback_in_the_execution_layer_is_driver_bound():
    """A new callback that forgets the rule is caught here (its state would be pickled whole)."""
    import importlib
    import pkgutil

    from ray import tune

    import raysweep.execution as execution

    found = []
    for info in pkgutil.walk_packages(execution.__path__, "raysweep.execution."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, tune.Callback)
                    and value.__module__ == module.__name__
                    and value not in (DriverBound, DetachedCallback)):
                found.append(value)
    # The sweep's own integrations (W&B) are Ray's callbacks: they pickle as Ray's do, state and all.
    integrations = {FlushingWandbLoggerCallback}
    assert found and all(issubclass(cls, DriverBound) for cls in found if cls not in integrations), found
