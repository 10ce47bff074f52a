"""Time-series forecasting: seasonal ARIMA on a statsmodels bundled series, scored on a hold-out.

Config keys: ``p``, ``d``, ``q``, ``P``, ``D``, ``Q``, optional ``s`` (season length, default 12),
``maxiter`` (L-BFGS iterations, default 50),
``data`` ``{"series": "elec_equip" | "co2", "horizon": 24}`` (the last ``horizon`` months are held out).
Reported once: ``val_mape`` (hold-out MAPE in percent), ``aic``, ``bic``, ``fit_seconds``.
A fit that does not converge, or that statsmodels rejects, raises :class:`ArimaFitError` with the
reason: the trial errors and the sweep goes on. statsmodels is imported lazily.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import ConfigError, invalid_parameter

__all__ = ["SERIES", "ArimaFitError", "fit_arima", "load_series", "train_arima"]

SERIES = ("elec_equip", "co2")


class ArimaFitError(RuntimeError):
    """A SARIMAX fit failed or did not converge; the message says which order and why."""


@functools.lru_cache(maxsize=4)
def load_series(name: str = "elec_equip") -> np.ndarray:
    """A bundled monthly series as float64: ``elec_equip`` (257 months) or ``co2`` (monthly means)."""
    if name == "elec_equip":
        from statsmodels.datasets import elec_equip

        return elec_equip.load_pandas().data.iloc[:, 0].to_numpy(dtype=np.float64)
    if name == "co2":
        from statsmodels.datasets import co2

        weekly = co2.load_pandas().data["co2"]
        return weekly.resample("MS").mean().interpolate().to_numpy(dtype=np.float64)
    raise ConfigError(invalid_parameter("series", "the ARIMA data config", f"one of {SERIES}", name))


def fit_arima(config: Mapping[str, Any]) -> dict[str, float]:
    """Fit one SARIMAX order on the training part and score the hold-out forecast (no Ray)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    data = dict(config.get("data") or {})
    series = load_series(data.get("series", "elec_equip"))
    horizon = int(data.get("horizon", 24))
    train, test = series[:-horizon], series[-horizon:]
    order = tuple(int(config[k]) for k in ("p", "d", "q"))
    seasonal = (*(int(config[k]) for k in ("P", "D", "Q")), int(config.get("s", 12)))
    label = f"SARIMAX{order}x{seasonal}"
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Later filters win: silence statsmodels' other UserWarnings ("non-stationary starting
        # params"), but turn ConvergenceWarning (a UserWarning subclass) into an error.
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model = SARIMAX(train, order=order, seasonal_order=seasonal)
            result = model.fit(disp=False, maxiter=int(config.get("maxiter", 50)))
        except ConvergenceWarning as exc:
            raise ArimaFitError(f"{label} did not converge: {exc}") from None
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise ArimaFitError(f"{label} could not be fitted: {type(exc).__name__}: {exc}") from None
    if not result.mle_retvals.get("converged", True):
        raise ArimaFitError(f"{label} did not converge: {result.mle_retvals}")
    forecast = np.asarray(result.forecast(horizon), dtype=np.float64)
    if not np.all(np.isfinite(forecast)) or not np.isfinite(result.aic):
        raise ArimaFitError(f"{label} produced a non-finite forecast or AIC")
    return {
        "val_mape": float(np.mean(np.abs((test - forecast) / test)) * 100.0),
        "aic": float(result.aic),
        "bic": float(result.bic),
        "fit_seconds": time.perf_counter() - start,
    }


def train_arima(config: dict[str, Any]) -> None:
    """Ray Tune function trainable: one fit, one ``tune.report``; a failed fit errors the trial."""
    from ray import tune

    tune.report(fit_arima(config))
