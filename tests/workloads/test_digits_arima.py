"""The digits MLP and ARIMA workloads without Ray, and ARIMA fit failures inside a real sweep."""

from __future__ import annotations

import numpy as np
import pytest

from raysweep import Sweep, results, schedulers, searchers, space
from raysweep.workloads import ArimaFitError, digits_epochs, fit_arima, load_series, train_arima

pytest.importorskip("sklearn")
pytest.importorskip("statsmodels")

ORDER = {"p": 0, "d": 1, "q": 1, "P": 0, "D": 1, "Q": 1}  # the airline model


def test_digits_mlp_learns_and_reports_documented_metrics():
    config = {"n_layers": 1, "units": 64, "activation": "relu", "alpha": 1e-4, "lr": 1e-2,
              "batch_size": 64, "epochs": 3}
    rows = [metrics for _, metrics in digits_epochs(config)]
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert set(rows[0]) == {"val_accuracy", "val_loss", "train_loss", "test_accuracy",
                            "epoch_seconds", "epoch"}
    assert rows[-1]["val_accuracy"] > 0.85  # ten classes: chance is 0.1
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


def test_digits_resumes_from_a_trained_model():
    config = {"units": 32, "epochs": 2, "lr": 1e-2}
    model, _ = next(iter(digits_epochs(config)))
    resumed = [metrics["epoch"] for _, metrics in digits_epochs(config, model)]
    assert resumed == [2]


def test_series_are_bundled_and_monthly():
    assert load_series("elec_equip").shape == (257,)
    co2 = load_series("co2")
    assert co2.size > 500 and np.isfinite(co2).all()


def test_airline_model_forecasts_elec_equip():
    metrics = fit_arima(ORDER)
    assert 0.0 < metrics["val_mape"] < 15.0
    assert np.isfinite(metrics["aic"]) and metrics["bic"] > metrics["aic"]


def test_non_convergence_is_an_arima_fit_error_with_the_reason():
    with pytest.raises(ArimaFitError, match=r"SARIMAX\(0, 1, 1\)x\(0, 1, 1, 12\) did not converge"):
        fit_arima({**ORDER, "maxiter": 1})


@pytest.mark.slow
def test_failed_fits_become_errored_trials_not_a_crashed_sweep(ray_session, tmp_path):
    sweep = Sweep(
        name="arima_failures",
        trainable=train_arima,
        space={**ORDER, "maxiter": space.grid([1, 50])},
        metric="val_mape",
        mode="min",
        searcher=searchers.grid(),
        scheduler=schedulers.fifo(),
    )
    from raysweep.execution import run_sweep

    summary = run_sweep(sweep, results_root=str(tmp_path), progress=False)
    assert summary.status == "finished"
    trials = results.load_trials(str(tmp_path), sweeps="arima_failures")
    assert sorted(trials["status"]) == ["completed", "errored"]
    message = trials.loc[trials["status"] == "errored", "error_message"].iloc[0]
    assert "did not converge" in message
