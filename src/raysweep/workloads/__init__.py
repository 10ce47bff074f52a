"""Shipped workloads: trainables and their Ray-free building blocks.

- :mod:`raysweep.workloads.recsys`: MovieLens-like implicit feedback, BPR matrix factorisation,
  NDCG@10 / recall@20 (numpy only); trainable :func:`train_bpr_mf`.
- :func:`train_digits_mlp`: an MLP on scikit-learn's bundled digits (needs ``raysweep[workloads]``).
- :func:`train_arima`: seasonal ARIMA on statsmodels' bundled ``elec_equip`` (needs
  ``raysweep[workloads]``).

scikit-learn, statsmodels and Ray are imported only when a trainable or loader runs, so
``import raysweep.workloads`` needs none of them.
"""

from ._arima import ArimaFitError, fit_arima, load_series, train_arima
from ._digits import digits_epochs, load_digits_split, train_digits_mlp
from .recsys import train_bpr_mf

__all__ = [
    "ArimaFitError",
    "digits_epochs",
    "fit_arima",
    "load_digits_split",
    "load_series",
    "train_arima",
    "train_bpr_mf",
    "train_digits_mlp",
]
