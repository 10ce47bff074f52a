"""The one line raysweep shows for a trial's error."""

from __future__ import annotations

from raysweep.execution.terminal._text import clean_error, error_of

WORKER_GROUP = ("Training failed due to worker errors:\n[Rank 1 Error Snippet]:\nTraceback (most recent "
                "call last):\n  File \"loop.py\", line 3, in loop\nRuntimeError: rank one cannot train")


def test_the_last_line_of_an_error_without_colour():
    assert clean_error("\x1b[36mray::train()\x1b[39m\nTraceback\nKeyError: 'k'") == "KeyError: 'k'"


def test_a_ray_train_worker_groups_error_names_its_failing_ranks():
    assert clean_error(WORKER_GROUP) == "rank 1: RuntimeError: rank one cannot train"
    both = WORKER_GROUP.replace("[Rank 1 Error Snippet]", "[Rank 0,1 Error Snippet]")
    assert clean_error(both) == "ranks 0,1: RuntimeError: rank one cannot train"


def test_error_of_keeps_the_users_exception_type_and_message():
    assert error_of(ValueError("bad lr")) == ("ValueError", "bad lr")
