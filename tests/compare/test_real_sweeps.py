"""Real sweeps of one toy problem with different searchers, compared end to end (Ray)."""

import textwrap

import pytest
from click.testing import CliRunner

from raysweep import compare as cmp
from raysweep.cli._compare import compare_cmd

SWEEP_TEMPLATE = '''
import math
import time

from ray import tune

from raysweep import Sweep, schedulers, searchers, space


def train(config):
    # Quadratic bowl in (log10 lr, width); the loss decays toward it over the epochs.
    floor = (math.log10(config["lr"]) + 2.0) ** 2 + ((config["width"] - 48) / 32.0) ** 2
    for epoch in range(1, 7):
        time.sleep(0.01)
        tune.report({{"loss": floor + 1.0 / epoch}})


SWEEP = Sweep(
    name="{name}", trainable=train,
    space={{"lr": space.loguniform(1e-4, 1e-1), "width": space.randint(16, 97)}},
    metric="loss", mode="min", searcher={searcher}, scheduler={scheduler},
    num_samples={num_samples}, seed=0,
)
'''

SWEEPS = {
    "toy_grid": ("searchers.grid(grid_points=3)", "schedulers.fifo()", 1),
    "toy_random": ("searchers.random(seed=0)", "schedulers.asha(max_t=6, grace_period=2, "
                   "reduction_factor=3)", 9),
    "toy_tpe": ("searchers.tpe(seed=0, n_initial_points=4)", "schedulers.asha(max_t=6, "
                "grace_period=2, reduction_factor=3)", 9),
}


@pytest.fixture(scope="module")
def toy_store(ray_session, tmp_path_factory):
    from raysweep.execution import run_sweep

    base = tmp_path_factory.mktemp("toy")
    (base / "sweeps").mkdir()
    root = str(base / "results")
    for name, (searcher, scheduler, n) in SWEEPS.items():
        path = base / "sweeps" / f"{name}.py"
        path.write_text(textwrap.dedent(SWEEP_TEMPLATE.format(
            name=name, searcher=searcher, scheduler=scheduler, num_samples=n)))
        run_sweep(str(path), results_root=root, progress=False)
    return root


@pytest.mark.slow
def test_real_runs_of_different_searchers_compare(toy_store, tmp_path):
    comp = cmp.load(list(SWEEPS), toy_store)
    summary = cmp.run_summary(comp).set_index("label")
    assert list(summary.index) == list(SWEEPS)
    assert summary.loc["toy_grid", "n_trials"] == 9 and summary.loc["toy_grid", "iterations"] == 54
    assert summary.loc["toy_random", "early_stopped"] > 0
    # ASHA spends less compute than the full grid of the same size
    assert summary.loc["toy_random", "iterations"] < summary.loc["toy_grid", "iterations"]
    for axis in cmp.AXES:
        curve = cmp.anytime_best(comp, axis)
        assert curve.groupby("label")["best"].apply(lambda s: s.is_monotonic_decreasing).all()
    costs = cmp.cost_to_target(comp, (0.95,))
    assert costs["trials"].notna().any()  # the run holding the global best reaches it
    path = cmp.write_report(comp, tmp_path / "toy.html", n_boot=200)
    assert path.stat().st_size > 1_000_000
    result = CliRunner().invoke(compare_cmd, [*SWEEPS, "--results", toy_store],
                                terminal_width=220)
    assert result.exit_code == 0, result.output
    assert "toy_tpe" in result.output and "Cost to reach the targets" in result.output
