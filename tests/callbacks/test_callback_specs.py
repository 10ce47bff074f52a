"""Callback specs: validated when built (the template, every problem at once, a did-you-mean), taken
by Sweep with ``ray.tune.Callback`` instances, and refused before Ray starts when the integration's
package is missing, with the command that installs it."""

from __future__ import annotations

import pytest
from ray import tune

from raysweep import ConfigError, Sweep, callbacks, space
from raysweep.callbacks import MLflow, Wandb
from raysweep.execution import check_sweep


def train(config):
    tune.report({"loss": config["x"]})


def _sweep(items) -> Sweep:
    return Sweep(name="cb", trainable=train, space={"x": space.uniform(0.0, 1.0)}, metric="loss",
                 mode="min", num_samples=2, callbacks=items)


class Counting(tune.Callback):
    def __init__(self) -> None:
        self.n = 0

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.n += 1


def test_specs_record_their_parameters():
    spec = callbacks.mlflow(tracking_uri="sqlite:///m.db", experiment_name="e", tags={"team": "a"})
    assert spec.params() == {"tracking_uri": "sqlite:///m.db", "experiment_name": "e",
                             "tags": {"team": "a"}, "save_artifact": False}
    assert callbacks.wandb(project="p", mode="offline", excludes=["lr"]).excludes == ("lr",)
    assert callbacks.tensorboard().name == "tensorboard"


def test_a_bad_tracking_uri_and_an_unknown_keyword_are_reported_together():
    with pytest.raises(ConfigError) as info:
        callbacks.mlflow(tracking_uri=3, experimant_name="e")
    message = str(info.value)
    assert message.startswith("2 problems in callbacks.mlflow:")
    assert ("'experimant_name' is not a parameter of callbacks.mlflow. Got experimant_name='e'. "
            "Did you mean 'experiment_name'?") in message
    assert ("The 'tracking_uri' parameter of callbacks.mlflow must be a non-empty string or None. "
            "Got 3 instead.") in message


@pytest.mark.parametrize(("make", "match"), [
    (lambda: callbacks.wandb(project="p", mode="offlin"),
     r"The 'mode' parameter of callbacks\.wandb must be one of 'online', 'offline', 'disabled'\. "
     r"Got 'offlin' instead\."),
    (lambda: callbacks.wandb(project="p", excludes="lr"),
     r"The 'excludes' parameter of callbacks\.wandb must be a list of reported key names"),
    (lambda: callbacks.mlflow(tags={"a": 1}),
     r"The 'tags' parameter of callbacks\.mlflow must be a dict of strings to strings"),
    (lambda: callbacks.tensorboard(logdir="x"),
     r"'logdir' is not a parameter of callbacks\.tensorboard\. Got logdir='x'\. "
     r"callbacks\.tensorboard takes no parameters\."),
    (lambda: Wandb(project="p", log_config="yes"),
     r"The 'log_config' parameter of callbacks\.wandb must be True or False"),
])
def test_bad_values_are_refused_with_the_template(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_sweep_takes_specs_and_tune_callbacks_and_refuses_anything_else():
    own = Counting()
    assert _sweep([callbacks.tensorboard(), own]).callbacks == (callbacks.tensorboard(), own)
    with pytest.raises(ConfigError) as info:
        _sweep([Counting, "mlflow", callbacks.tensorboard(), callbacks.tensorboard()])
    message = str(info.value)
    assert message.startswith("3 problems in Sweep 'cb':")
    assert "'callbacks[0]'" in message and "Pass an instance: MyCallback(), not the class." in message
    assert "'callbacks[1]'" in message and "Use raysweep.callbacks.mlflow(...)" in message
    assert "one callbacks.tensorboard(...) at most" in message
    with pytest.raises(ConfigError, match=r"The 'callbacks' parameter of Sweep must be a list"):
        _sweep(callbacks.tensorboard())


def test_a_missing_integration_package_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setattr(MLflow, "package", "raysweep_no_such_module")
    with pytest.raises(ConfigError, match=r"must be a callback whose package \(raysweep_no_such_module"
                                          r"\) is installed\..*Install it: pip install "
                                          r"'raysweep\[mlflow\]'"):
        check_sweep(_sweep([callbacks.mlflow()]))


def test_a_tune_callback_that_does_not_pickle_is_refused_before_ray_starts():
    import threading

    own = Counting()
    own.lock = threading.Lock()
    with pytest.raises(ConfigError, match=r"'callbacks\[0\]' parameter of Sweep 'cb' must be a "
                                          r"ray.tune.Callback that pickles.*cannot pickle"):
        check_sweep(_sweep([own]))
    check_sweep(_sweep([Counting(), callbacks.tensorboard()]))  # the installed ones pass
