"""Typed callback specs: MLflow, Weights & Biases and TensorBoard logging, Ray-free.

Plain data, validated when built: ``raysweep.execution`` turns each into Ray's logger callback
(``ray.air.integrations.mlflow.MLflowLoggerCallback``, ``ray.air.integrations.wandb.WandbLoggerCallback``,
``ray.tune.logger.TBXLoggerCallback``) as the run starts, after checking that the integration's
package is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from raysweep._errors import invalid_parameter, raise_all
from raysweep._spec import Spec

__all__ = ["WANDB_MODES", "CallbackSpec", "MLflow", "TensorBoard", "Wandb"]

#: The W&B modes a run can log in (``wandb.init(mode=...)``).
WANDB_MODES = ("online", "offline", "disabled")


def _optional_str(value: Any, param: str, owner: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return None
    return invalid_parameter(param, owner, "a non-empty string or None", value)


def _str_dict(value: Any, param: str, owner: str) -> str | None:
    if value is None or (isinstance(value, Mapping)
                         and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
        return None
    return invalid_parameter(param, owner, "a dict of strings to strings or None", value)


def _flag(value: Any, param: str, owner: str) -> str | None:
    return None if isinstance(value, bool) else invalid_parameter(param, owner, "True or False", value)


@dataclass(frozen=True)
class CallbackSpec(Spec):
    """Base class of callback specs: what Ray integration a run logs to, and what it needs installed."""

    #: The module the integration imports (checked before Ray starts).
    package: ClassVar[str]
    #: raysweep's optional dependency that installs it: ``pip install 'raysweep[<extra>]'``.
    extra: ClassVar[str]

    @property
    def owner(self) -> str:
        return f"callbacks.{self.name}"

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[str | None]:
        """What is wrong with these parameter values (a message each; None where all is well)."""
        return []

    def __post_init__(self) -> None:
        raise_all(self.problems(self.params()), self.owner)

    def install_hint(self) -> str:
        """The command that installs what this callback needs."""
        return f"pip install 'raysweep[{self.extra}]'"


@dataclass(frozen=True)
class MLflow(CallbackSpec):
    """Every trial as an MLflow run (its config as parameters, each report as metrics), through Ray's
    ``MLflowLoggerCallback``. ``tracking_uri=None`` uses MLflow's own default (``MLFLOW_TRACKING_URI``);
    ``experiment_name=None`` the sweep's name. ``save_artifact=True`` also uploads each trial's
    directory (its checkpoints included) as the run's artifacts."""

    name: ClassVar[str] = "mlflow"
    package: ClassVar[str] = "mlflow"
    extra: ClassVar[str] = "mlflow"
    tracking_uri: str | None = None
    experiment_name: str | None = None
    tags: Mapping[str, str] | None = None
    save_artifact: bool = False

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[str | None]:
        owner = "callbacks.mlflow"
        return [
            _optional_str(values.get("tracking_uri"), "tracking_uri", owner),
            _optional_str(values.get("experiment_name"), "experiment_name", owner),
            _str_dict(values.get("tags"), "tags", owner),
            _flag(values.get("save_artifact", False), "save_artifact", owner),
        ]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tags is not None:
            object.__setattr__(self, "tags", dict(self.tags))


@dataclass(frozen=True)
class Wandb(CallbackSpec):
    """Every trial as a Weights & Biases run, through Ray's ``WandbLoggerCallback``.

    ``project`` is required (or the ``WANDB_PROJECT`` environment variable when None); ``group``
    defaults to the sweep's name. ``mode="offline"`` writes the runs under ``WANDB_DIR`` for a later
    ``wandb sync``; ``"online"`` needs an API key (``WANDB_API_KEY`` or ``wandb login``).
    ``excludes`` names reported keys not to log; ``log_config=True`` also logs the config as metrics.
    """

    name: ClassVar[str] = "wandb"
    package: ClassVar[str] = "wandb"
    extra: ClassVar[str] = "wandb"
    project: str | None = None
    group: str | None = None
    mode: str = "online"
    excludes: tuple[str, ...] = field(default=())
    log_config: bool = False

    @classmethod
    def problems(cls, values: Mapping[str, Any]) -> list[str | None]:
        owner, mode = "callbacks.wandb", values.get("mode", "online")
        excludes = values.get("excludes", ())
        bad_excludes = (isinstance(excludes, str) or not isinstance(excludes, list | tuple)
                        or not all(isinstance(e, str) and e for e in excludes))
        return [
            _optional_str(values.get("project"), "project", owner),
            _optional_str(values.get("group"), "group", owner),
            None if mode in WANDB_MODES else invalid_parameter(
                "mode", owner, f"one of {', '.join(map(repr, WANDB_MODES))}", mode),
            invalid_parameter("excludes", owner, "a list of reported key names", excludes)
            if bad_excludes else None,
            _flag(values.get("log_config", False), "log_config", owner),
        ]

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "excludes", tuple(self.excludes))


@dataclass(frozen=True)
class TensorBoard(CallbackSpec):
    """TensorBoard event files in every trial's directory (``<results>/_ray/<sweep>/<run>/<trial>``),
    through Ray Tune's ``TBXLoggerCallback``: ``tensorboard --logdir <results>/_ray/<sweep>/<run>``."""

    name: ClassVar[str] = "tensorboard"
    package: ClassVar[str] = "tensorboardX"
    extra: ClassVar[str] = "tensorboard"
