"""A Ray Train trainer as a sweep's trainable, before Ray starts: validation, resources, plan."""

from __future__ import annotations

import warnings

import pytest

from raysweep import ConfigError, Sweep, space
from raysweep.sweep import make_plan, pack_trials

pytest.importorskip("torch")

from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer


def loop(config):
    lr, width = config["lr"], config.get("width", 8)
    return lr * width


def loop_passing_config_on(config):
    return helper(config)


def helper(config):
    return config


def no_config():
    return None


def _sweep(trainable, **kw):
    base = dict(name="t", trainable=trainable, space={"lr": space.loguniform(1e-3, 1e-1)},
                metric="loss", mode="min", searcher="random", num_samples=4)
    return Sweep(**{**base, **kw})


def _trainer(fn=loop, **scaling):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TorchTrainer(fn, scaling_config=ScalingConfig(**{"num_workers": 2, **scaling}))


def test_a_trainer_is_a_trainable_whose_trial_reserves_nothing_itself():
    sweep = _sweep(_trainer())
    assert sweep.resources == {}
    assert sweep.trainer is not None and sweep.trainer.num_workers == 2
    assert sweep.trial_bundles == [{"cpu": 1.0}, {"cpu": 1.0}]
    assert sweep.trial_resources == {"cpu": 2.0}


def test_the_trials_own_reservation_adds_to_its_workers():
    sweep = _sweep(_trainer(use_gpu=True), resources={"cpu": 1})
    assert sweep.trial_bundles == [{"cpu": 1.0}, {"gpu": 1.0}, {"gpu": 1.0}]
    assert sweep.trial_resources == {"cpu": 1.0, "gpu": 2.0}


def test_plan_counts_a_trials_workers_when_it_says_how_many_fit():
    plan = make_plan(_sweep(_trainer()), cluster_cpus=2)
    assert plan.trials_at_once == 1 and plan.resources_per_trial == {"cpu": 2.0}
    assert plan.trainer is not None and "TorchTrainer: 2 worker(s)" in plan.trainer
    nodes = [{"node_id": "a", "resources": {"CPU": 1.0}}, {"node_id": "b", "resources": {"CPU": 3.0}}]
    # The workers of one trial may lie on several nodes: 4 CPUs in all hold 2 trials.
    assert make_plan(_sweep(_trainer()), nodes=nodes).trials_at_once == 2


def test_workers_no_node_can_hold_are_a_plan_warning():
    nodes = [{"node_id": "a", "resources": {"CPU": 2.0}}]
    plan = make_plan(_sweep(_trainer(resources_per_worker={"CPU": 3})), nodes=nodes)
    assert plan.trials_at_once == 0
    assert any("No node can run a trial" in w for w in plan.warnings)


def test_pack_trials_places_bundles_node_by_node():
    assert pack_trials([{"cpu": 1}, {"cpu": 1}], [{"CPU": 1}, {"CPU": 1}], 10) == 1
    assert pack_trials([{"cpu": 2}], [{"CPU": 1}, {"CPU": 1}], 10) == 0
    assert pack_trials([{"cpu": 1}], [{"CPU": 4}], 3) == 3  # at most the limit
    assert pack_trials([{}], [{"CPU": 4}], 3) == 0  # nothing countable


def test_a_space_key_the_loop_never_reads_is_warned_about():
    sweep = _sweep(_trainer(), space={"lr": space.loguniform(1e-3, 1e-1), "dropout": 0.1})
    (warning,) = sweep.definition_warnings()
    assert "['dropout']" in warning and "never reads" in warning and "'lr'" in warning
    assert any("never reads" in w for w in make_plan(sweep, cluster_cpus=2).warnings)


def test_no_warning_when_the_loop_passes_its_config_on():
    assert _sweep(_trainer(loop_passing_config_on)).definition_warnings() == ()


def test_a_loop_without_a_config_parameter_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"The 'trainable' parameter of Sweep must be a trainer whose "
                                          r"train_loop_per_worker takes the config dict.*no_config"):
        _sweep(_trainer(no_config))


def test_a_trainer_with_no_workers_is_refused_with_the_alternative():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = TorchTrainer(loop, scaling_config=ScalingConfig(num_workers=0))
    with pytest.raises(ConfigError, match=r"num_workers >= 1.*give the loop as the trainable"):
        _sweep(trainer)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        _sweep(_trainer(no_config), metric="", num_samples=0)
    message = str(caught.value)
    assert "train_loop_per_worker" in message and "'metric'" in message and "'num_samples'" in message
