"""Resume, extend and replay reload a run's sweep module through one check (launch/_continue.py),
each saying in its own words what is refused and what to do."""

from __future__ import annotations

import pandas as pd
import pytest

from raysweep import ConfigError
from raysweep.execution.launch._continue import load_unchanged
from raysweep.execution.launch._replay import _REPLAYING


@pytest.mark.parametrize(("words", "expected"), [
    ((), "Run r1 cannot be resumed: its sweep module '(none recorded)' is gone. Restore the file at "
         "that path, or start a new run."),
    ((_REPLAYING,), "Run r1 cannot be replayed: its sweep module '(none recorded)' is gone. Restore "
                    "the file at that path."),
])
def test_a_gone_sweep_module_is_refused_in_the_callers_words(words, expected):
    with pytest.raises(ConfigError) as info:
        load_unchanged(pd.Series({"run": "r1", "sweep_path": None}, dtype=object), False, *words)
    assert str(info.value) == expected
