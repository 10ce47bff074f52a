"""The base of searcher and scheduler specs: frozen, typed, JSON-ready records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, NoReturn

from raysweep._errors import ConfigError, invalid_parameter

__all__ = ["Spec", "refuse_spec"]


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


def refuse_spec(value: Any, param: str, owner: str, expected: str,
                unsupported: Mapping[str, str], ray_object: str, example: str) -> NoReturn:
    """The ConfigError for a ``searcher=`` / ``scheduler=`` that is no spec and no known name: a Ray
    Tune name raysweep does not take (``unsupported``: name -> why and what instead), a Ray object
    (``ray_object`` names what it is), or anything else (``example``: a spec to write instead)."""
    if isinstance(value, str) and value.lower() in unsupported:
        hint = f"{param}={value!r}: {unsupported[value.lower()]}"
    elif type(value).__module__.startswith("ray."):
        hint = (f"A {ray_object} object ({type(value).__name__}) is not accepted: raysweep builds "
                f"Ray's {param} from its spec, e.g. {example}.")
    else:
        hint = f"For example {example}."
    raise ConfigError(invalid_parameter(param, owner, expected, value, hint))
