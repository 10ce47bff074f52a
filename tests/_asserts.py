"""``assert_invalid``: the one way tests check an error message built by ``invalid_parameter``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from raysweep import ConfigError, RaysweepError


def assert_invalid(
    call: Callable[[], Any],
    param: str,
    owner: str | None = None,
    *,
    got: str | None = None,
    expected: str | None = None,
    error: type[RaysweepError] = ConfigError,
) -> str:
    """Call ``call`` and check it raises ``error`` in the template; return the message.

    Checks "The '<param>' parameter of <owner> must be <expected>" (``owner`` and ``expected`` when
    given; ``expected`` may be a prefix) and "Got <got> instead." when ``got`` (a repr) is given.
    """
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    head = f"The '{param}' parameter of {owner} must be " if owner else f"'{param}' parameter of "
    assert head in message, message
    if expected is not None:
        assert f"must be {expected}" in message, message
    if got is not None:
        assert f"Got {got} instead" in message, message
    return message
