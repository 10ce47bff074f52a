"""Unknown Sweep arguments: the error template, all at once, a did-you-mean, and for Ray Tune's own
option names what raysweep takes instead (or that it is not supported yet)."""

from __future__ import annotations

import dataclasses

import pytest

from raysweep import ConfigError, Sweep, space


def train(config):
    return None


BASE = dict(name="s", trainable=train, space={"x": space.uniform(0.0, 1.0)}, metric="loss",
            mode="min", searcher="random", num_samples=2)


def test_a_misspelt_argument_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match=r"'num_sample' is not a parameter of Sweep\. Got "
                                          r"num_sample=3\. Did you mean 'num_samples'\?"):
        Sweep(**BASE, num_sample=3)


def test_ray_tune_names_say_what_raysweep_takes_and_every_one_is_reported():
    with pytest.raises(ConfigError) as caught:
        Sweep(**BASE, param_space={}, checkpoint_config={}, max_concurrent_trials=2)
    message = str(caught.value)
    assert message.startswith("3 problems in Sweep 's':")
    assert "'param_space' is not a parameter of Sweep" in message and "Use space=" in message
    assert "Use checkpoint=checkpoints.keep(" in message
    assert "Use max_concurrent=" in message


def test_known_arguments_and_replace_still_work():
    sweep = Sweep(**BASE)
    assert dataclasses.replace(sweep, num_samples=5).num_samples == 5
