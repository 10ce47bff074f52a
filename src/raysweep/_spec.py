"""The base of searcher and scheduler specs: frozen, typed, JSON-ready records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

__all__ = ["Spec"]


@dataclass(frozen=True)
class Spec:
    """A named, immutable set of parameters; ``name`` is what results record."""

    name: ClassVar[str]

    def params(self) -> dict[str, Any]:
        """The parameters as a JSON-ready dict (stored with every run)."""
        return asdict(self)

    @classmethod
    def parameter_names(cls) -> list[str]:
        """The parameters this spec accepts, in declaration order."""
        return [f.name for f in fields(cls)]
