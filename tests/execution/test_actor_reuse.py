"""Which trainables reuse trial actors, decided before launch (no Ray started).

Reusing an actor saves ~1 s per trial, but Tune cancels the trials of a ``tune.Trainable`` subclass
without ``reset_config`` it was told to reuse (issue 22): the trials it would have reused never ran.
"""

from __future__ import annotations

import pytest
from ray import tune

from raysweep.execution.launch._fit import _reuse_actors


def _function(config):
    tune.report({"loss": config["x"]})


class _NoReset(tune.Trainable):
    def step(self):
        return {"loss": 1.0, "done": True}


class _Reset(_NoReset):
    def reset_config(self, new_config):
        return True


@pytest.mark.parametrize(("trainable", "reused"), [(_function, True), (_Reset, True),
                                                   (_NoReset, False)],
                         ids=["function", "class with reset_config", "class without reset_config"])
def test_a_trainable_is_reused_only_where_tune_can_reset_it(trainable, reused):
    assert _reuse_actors(trainable) is reused
