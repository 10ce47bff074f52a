"""Monthly electrical-equipment orders (statsmodels' ``elec_equip``): a seasonal ARIMA order grid.

Each cell fits SARIMAX(p, d, q)x(P, D, Q, 12) on all but the last 24 months and is scored by the
hold-out MAPE (AIC and BIC are reported too). Fits that do not converge become errored trials with
the reason; the sweep goes on. Needs ``raysweep[workloads]``.
RAYSWEEP_SIZE=tiny gives 4 cells; small and full the whole 144-cell grid.
"""

import search_spaces
from raysweep import Sweep, schedulers, searchers
from raysweep.workloads import train_arima
from search_spaces import arima

SIZE = search_spaces.size()

SWEEP = Sweep(
    name="arima_grid",
    trainable=train_arima,
    space=arima.space_for(SIZE),
    metric="val_mape",
    mode="min",
    searcher=searchers.grid(),
    scheduler=schedulers.fifo(),
    resources={"cpu": 1},
    seed=0,
    description=f"Seasonal ARIMA order grid on elec_equip, hold-out MAPE ({SIZE}).",
    tags={"workload": "arima", "size": SIZE},
)
