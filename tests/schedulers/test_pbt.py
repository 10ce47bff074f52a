"""schedulers.pbt / schedulers.pb2: the specs, the Sweep's checks of them, plan, and the conversion to
Ray's PBT (its seeded random streams). No Ray run: tests/execution/test_pbt_run.py runs them."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from raysweep import ConfigError, Sweep, checkpoints, schedulers, searchers, space
from raysweep.sweep import make_plan

SPACE = {"lr": space.loguniform(1e-4, 1e-1), "n_neg": space.choice([1, 4, 16]),
         "opt": {"wd": space.uniform(0.0, 0.1), "layers": space.randint(1, 5)}, "epochs": 10}
MUTATIONS = {"lr": space.loguniform(1e-4, 1e-1), "n_neg": space.choice([1, 4, 16]),
             "opt": {"wd": space.uniform(0.0, 0.1)}}


def _train(config):
    pass


def _sweep(**kw):
    return Sweep(**{"name": "pbt", "trainable": _train, "space": SPACE, "metric": "loss",
                    "mode": "min", "num_samples": 6,
                    "scheduler": schedulers.pbt(2, MUTATIONS), **kw})


def test_pbt_spec_defaults_and_json_params():
    spec = schedulers.pbt(perturbation_interval=2, mutations=MUTATIONS)
    assert (spec.quantile_fraction, spec.resample_probability, spec.perturbation_factors,
            spec.time_attr, spec.seed) == (0.25, 0.25, (1.2, 0.8), "training_iteration", None)
    params = json.loads(json.dumps(spec.params()))
    assert params["mutations"]["opt.wd"] == {"type": "uniform", "lower": 0.0, "upper": 0.1}
    assert params["mutations"]["n_neg"] == {"type": "choice", "values": [1, 4, 16]}
    assert spec.mutated_paths() == [("lr",), ("n_neg",), ("opt", "wd")]


def test_pbt_spec_reports_every_problem_at_once():
    with pytest.raises(ConfigError) as info:
        schedulers.pbt(0, {"lr": 0.1, "c": space.choice([{"a": space.uniform(0, 1)}, {"b": 1}])},
                       quantile_fraction=0.7, resample_probability=1.5, perturbation_factors=(),
                       time_attr="", seed=-1)
    text = str(info.value)
    assert text.startswith("8 problems in schedulers.pbt")
    for fragment in ("'perturbation_interval' parameter of schedulers.pbt must be a number > 0",
                     "mutations['lr']\" parameter", "mutations['c']\" parameter of schedulers.pbt must be a "
                     "dimension that is not conditional", "'quantile_fraction'",
                     "'resample_probability'", "'perturbation_factors'", "'time_attr'", "'seed'"):
        assert fragment in text
    with pytest.raises(ConfigError, match=r"'mutations' parameter of schedulers\.pbt must be a non-empty"):
        schedulers.pbt(2, {})
    with pytest.raises(ConfigError, match="'perturbation_intervall' is not a parameter"):
        schedulers.pbt(2, MUTATIONS, perturbation_intervall=3)


def test_pb2_spec_takes_numeric_bounds_only():
    spec = schedulers.pb2(4, {"lr": space.uniform(1e-4, 0.1), "opt": {"layers": space.randint(1, 5)}})
    assert spec.params()["bounds"]["opt.layers"] == {"type": "randint", "lower": 1, "upper": 5}
    with pytest.raises(ConfigError, match=r"bounds\['n_neg'\]\" parameter of schedulers.pb2 must be a "
                                          "numeric dimension"):
        schedulers.pb2(4, {"n_neg": space.choice([1, 4])})


def test_sweep_accepts_pbt_over_nested_dimensions():
    sweep = _sweep()
    assert sweep.scheduler_spec.name == "pbt" and sweep.n_trials == 6
    assert sweep.definition_warnings() == ()


def test_model_based_searchers_are_refused_with_the_reason_and_the_alternative():
    for searcher in (searchers.tpe(), searchers.optuna()):
        with pytest.raises(ConfigError) as info:
            _sweep(searcher=searcher)
        text = str(info.value)
        assert "The 'searcher' parameter of Sweep must be 'random' or 'grid' with schedulers.pbt" in text
        assert "learn from results of configs it did not propose" in text
        assert "Use searcher='random' (or 'grid')" in text
    assert _sweep(searcher=searchers.grid(grid_points=2), num_samples=None).n_trials == 2 * 3 * 2 * 2


def test_mutations_are_checked_against_the_space_all_at_once():
    bad = {"lr": space.choice([0.1, 0.01]),  # a choice for a number
           "epochs": space.randint(1, 20),  # a constant of the space
           "momentum": space.uniform(0, 1),  # not in the space
           "opt": {"layers": space.uniform(1, 5)}}  # a float for an integer dimension
    with pytest.raises(ConfigError) as info:
        _sweep(scheduler=schedulers.pbt(2, bad), searcher=searchers.tpe())
    text = str(info.value)
    assert text.startswith("5 problems in Sweep 'pbt'")
    assert "mutations['lr']\" parameter of schedulers.pbt must be a dimension like the space's " \
           "loguniform(0.0001, 0.1). Got 'choice([0.1, 0.01])' instead." in text
    assert "'epochs' is a constant of the space" in text
    assert "'momentum' is not a key of the space" in text
    assert "(the space's dimensions: lr, n_neg, opt.wd, opt.layers)" in text
    assert "mutations['opt.layers']" in text
    # keys nest as the space nests them
    with pytest.raises(ConfigError, match=r"The 'mutations' parameter of schedulers\.pbt must be keyed "
                                          r"by non-empty strings without '\.'"):
        schedulers.pbt(2, {"opt.wd": space.uniform(0, 0.1)})


def test_interval_beyond_the_trials_length_and_a_bounded_retention_are_warnings():
    sweep = _sweep(scheduler=schedulers.pbt(10, MUTATIONS), stop={"training_iteration": 8},
                   checkpoint=checkpoints.keep(num_to_keep=2))
    first, second = sweep.definition_warnings()
    assert "perturbs every 10 training_iteration but the trials stop at training_iteration=8" in first
    assert "no trial is ever perturbed" in first
    assert "num_to_keep=2 is not applied under schedulers.pbt" in second
    assert _sweep(stop={"training_iteration": 8}).definition_warnings() == ()


def test_plan_says_num_samples_is_the_population():
    plan = make_plan(_sweep())
    assert plan.scheduler == "pbt"
    assert plan.options["population"].startswith("6 members (num_samples), side by side")
    assert "every 2 training_iteration the bottom 0.25" in plan.options["population"]
    assert plan.options["checkpoint"].endswith("not applied: pbt keeps every checkpoint")
    assert "perturb lr, n_neg, opt.wd" in plan.options["population"]
    assert "population" not in make_plan(_sweep(scheduler="fifo")).options


def test_conversion_to_ray_pbt_is_seeded():
    from raysweep.execution.tune import _convert
    from raysweep.execution.tune._pbt import RecordingPBT

    pbt = _convert.make_scheduler(_sweep(seed=3))
    assert isinstance(pbt, RecordingPBT)
    draws = []
    before = random.getstate(), np.random.get_state()[1].copy()
    for seed in (3, 3, 4):
        other = _convert.make_scheduler(_sweep(seed=seed))
        with other.random_streams:
            draws.append((random.random(), np.random.random()))
    assert draws[0] == draws[1] != draws[2]
    assert random.getstate() == before[0]  # the driver's own streams are untouched
    assert (np.random.get_state()[1] == before[1]).all()
    spec_seed = _convert.make_scheduler(_sweep(seed=4, scheduler=schedulers.pbt(2, MUTATIONS, seed=3)))
    with spec_seed.random_streams:
        assert (random.random(), np.random.random()) == draws[0]


def test_pb2s_shared_checks_name_pb2():
    """PB2 shares PBT's checks of the interval and quantile; its errors name schedulers.pb2."""
    with pytest.raises(ConfigError, match=r"'quantile_fraction' parameter of schedulers\.pb2 must be"):
        schedulers.pb2(4, {"lr": space.uniform(1e-4, 0.1)}, quantile_fraction=0.9)
