"""``show --errors`` prints a trial's traceback from the trainable's first frame."""

from __future__ import annotations

import importlib.util
import os

import raysweep
from raysweep.cli._tracebacks import user_traceback

RAY = next(iter(importlib.util.find_spec("ray").submodule_search_locations))
EXECUTION = os.path.join(os.path.dirname(raysweep.__file__), "execution")


def _frame(path: str, line: int, name: str, code: str) -> str:
    return f'  File "{path}", line {line}, in {name}\n    {code}\n'


STORED = (
    "ray::ResourceTrainable.train() (pid=21459, ip=192.0.2.2, actor_id=04b350da9a0dcb5f, repr=train)\n"
    + _frame(f"{EXECUTION}/tune/_guard.py", 59, "train", "result = super().train()")
    + _frame(f"{RAY}/tune/trainable/trainable.py", 329, "train", "raise skipped")
    + _frame(f"{RAY}/tune/trainable/function_trainable.py", 249, "_trainable_func", "output = fn()")
    + _frame("/home/me/sweeps/mine.py", 6, "train", 'helper(config["x"])')
    + _frame("/usr/lib/python3/site-packages/torch/nn/module.py", 10, "forward", "raise")
    + "ValueError: bad x=0.3\n"
)


def test_the_wrapper_frames_before_the_trainable_are_dropped_and_counted():
    shown = user_traceback(STORED)
    assert shown.hidden == 3
    assert shown.text.splitlines()[0] == "Traceback (most recent call last):"
    assert shown.text.splitlines()[1] == '  File "/home/me/sweeps/mine.py", line 6, in train'
    assert "torch/nn/module.py" in shown.text  # frames after the user's own are kept
    assert shown.text.endswith("ValueError: bad x=0.3")
    assert "_guard.py" not in shown.text and "function_trainable" not in shown.text


def test_a_traceback_raised_inside_ray_is_kept_whole():
    inside = "Traceback (most recent call last):\n" + _frame(
        f"{RAY}/tune/execution/tune_controller.py", 1, "step", "x") + "RuntimeError: boom"
    assert user_traceback(inside).text == inside and user_traceback(inside).hidden == 0


def test_a_traceback_that_starts_in_user_code_is_unchanged():
    plain = "Traceback (most recent call last):\n" + _frame("/a/b.py", 1, "f", "g()") + "KeyError: 'x'"
    assert user_traceback(plain).text == plain and user_traceback(plain).hidden == 0
