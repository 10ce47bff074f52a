"""The one pickling rule for raysweep's Tune callbacks: they belong to the driver that made them.

Tune pickles its run config, callbacks included, into the experiment's ``tuner.pkl``. What raysweep's
callbacks hold (the run's writer, the console, Tune's controller, a threading event) belongs to that
driver and means nothing to another process. Every such callback derives from :class:`DriverBound`
and pickles as a :class:`DetachedCallback`: a Tune callback that does nothing and names the callback
it stands for. ``raysweep resume`` gives the restored Tuner fresh callbacks (``launch/_fit.py``);
anyone else who restores the experiment (``Tuner.restore`` by hand) gets callbacks that do nothing,
never objects without their attributes.
"""

from __future__ import annotations

from typing import Any

from ray import tune

__all__ = ["DetachedCallback", "DriverBound"]


class DetachedCallback(tune.Callback):
    """What a :class:`DriverBound` callback becomes once pickled: a no-op naming its original."""

    def __init__(self, name: str = "") -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"DetachedCallback({self.name!r})"


class DriverBound(tune.Callback):
    """A Tune callback whose state belongs to one driver (see module doc)."""

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return DetachedCallback, (f"{type(self).__module__}.{type(self).__qualname__}",)
