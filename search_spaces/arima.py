"""The seasonal ARIMA grid: (p, d, q) x (P, D, Q) with a 12-month season on ``elec_equip``."""

from __future__ import annotations

from typing import Any

from raysweep import space

__all__ = ["SPACE", "space_for"]

SPACE: dict[str, Any] = {
    "p": space.grid([0, 1, 2]),
    "d": space.grid([0, 1]),
    "q": space.grid([0, 1, 2]),
    "P": space.grid([0, 1]),
    "D": space.grid([0, 1]),
    "Q": space.grid([0, 1]),
    "s": 12,
    "data": {"series": "elec_equip", "horizon": 24},
}

# The tiny grid keeps one differencing choice and a 2 x 2 corner of the orders (4 fits).
_TINY: dict[str, Any] = {
    "p": space.grid([0, 1]), "d": 1, "q": 1, "P": space.grid([0, 1]), "D": 1, "Q": 1,
}


def space_for(size: str) -> dict[str, Any]:
    """The full grid, or a 4-cell corner of it for ``tiny``."""
    return {**SPACE, **_TINY} if size == "tiny" else dict(SPACE)
