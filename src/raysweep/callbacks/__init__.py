"""Callbacks: log every trial to MLflow, Weights & Biases or TensorBoard, as specs that know nothing of Ray.

>>> from raysweep import callbacks
>>> callbacks.mlflow(tracking_uri="sqlite:///mlflow.db", experiment_name="digits")
MLflow(tracking_uri='sqlite:///mlflow.db', experiment_name='digits', tags=None, save_artifact=False)

``Sweep(callbacks=[...])`` takes these specs and, as the escape hatch, any ``ray.tune.Callback``
instance of your own. Tune pickles its callbacks with the run (``tuner.pkl``) and a submitted sweep
travels pickled to the cluster: such a callback must pickle (no open files, locks or clients in
its attributes; open them in ``setup``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raysweep._errors import raise_all, unknown_parameters
from raysweep.callbacks._specs import WANDB_MODES, CallbackSpec, MLflow, TensorBoard, Wandb

__all__ = ["WANDB_MODES", "CallbackSpec", "MLflow", "TensorBoard", "Wandb", "mlflow", "tensorboard",
           "wandb"]


def _checked(spec: type[CallbackSpec], unknown: dict[str, Any], **values: Any) -> None:
    """Raise every problem at once: unknown keywords (with a did-you-mean) and bad values."""
    owner = f"callbacks.{spec.name}"
    raise_all([*unknown_parameters(owner, unknown, spec.parameter_names()), *spec.problems(values)],
              owner)


def mlflow(*, tracking_uri: str | None = None, experiment_name: str | None = None,
           tags: Mapping[str, str] | None = None, save_artifact: bool = False,
           **unknown: Any) -> MLflow:
    """Log each trial as an MLflow run (see :class:`MLflow`). Needs ``pip install 'raysweep[mlflow]'``."""
    _checked(MLflow, unknown, tracking_uri=tracking_uri, experiment_name=experiment_name, tags=tags,
             save_artifact=save_artifact)
    return MLflow(tracking_uri=tracking_uri, experiment_name=experiment_name, tags=tags,
                  save_artifact=save_artifact)


def wandb(*, project: str | None = None, group: str | None = None, mode: str = "online",
          excludes: tuple[str, ...] | list[str] = (), log_config: bool = False,
          **unknown: Any) -> Wandb:
    """Log each trial as a W&B run (see :class:`Wandb`). Needs ``pip install 'raysweep[wandb]'``."""
    _checked(Wandb, unknown, project=project, group=group, mode=mode, excludes=excludes,
             log_config=log_config)
    return Wandb(project=project, group=group, mode=mode, excludes=tuple(excludes),
                 log_config=log_config)


def tensorboard(**unknown: Any) -> TensorBoard:
    """Write TensorBoard event files per trial (see :class:`TensorBoard`)."""
    _checked(TensorBoard, unknown)
    return TensorBoard()
