"""A trial's stored traceback from the user's first frame: Ray's and raysweep's wrapper frames out.

The store keeps the whole traceback Ray recorded (``error_traceback``). Read as stored, it opens
with Ray's actor header and a dozen frames of Tune's and raysweep's trial wrappers before the
trainable's own code; :func:`user_traceback` drops those leading frames, and says how many.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from functools import cache

__all__ = ["UserTraceback", "user_traceback"]

_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
_HEADER = "Traceback (most recent call last):"


@dataclass(frozen=True)
class UserTraceback:
    text: str  #: the traceback from the user's first frame (the whole one when it has none)
    hidden: int  #: frames of Ray and raysweep dropped before it


@cache
def _wrapper_dirs() -> tuple[str, ...]:
    """Directories whose frames wrap a trial: Ray's package and raysweep's execution layer."""
    dirs = [os.path.join(os.path.dirname(os.path.dirname(__file__)), "execution")]
    spec = importlib.util.find_spec("ray")  # finds the package without importing it
    dirs += list(spec.submodule_search_locations or []) if spec is not None else []
    return tuple(os.path.normpath(d) + os.sep for d in dirs)


def _is_wrapper(path: str) -> bool:
    return os.path.normpath(path).startswith(_wrapper_dirs())


def user_traceback(text: str) -> UserTraceback:
    """``text`` from the first frame outside Ray and raysweep's execution layer, under Python's
    usual header. A traceback with no such frame (the error was raised inside Ray) is kept whole."""
    lines = text.rstrip().splitlines()
    frames = [(k, m.group(1)) for k, line in enumerate(lines) if (m := _FRAME.match(line))]
    first_user = next((n for n, (_, path) in enumerate(frames) if not _is_wrapper(path)), None)
    if first_user is None or first_user == 0:
        return UserTraceback(text.rstrip(), 0)
    start = frames[first_user][0]
    return UserTraceback("\n".join([_HEADER, *lines[start:]]), first_user)
