"""Ray Tune's own domains in a space become raysweep's dimensions, with the same values (issue 22,
point 2). Ray's domains are sampled here directly (no Ray cluster)."""

from __future__ import annotations

import numpy as np
import pytest
from ray import tune

from raysweep import ConfigError, Sweep, space
from raysweep.space import from_ray, grid_values, is_ray_domain
from raysweep.warm_start import in_domain


def train(config):
    pass


def _convert(domain):
    converted, problems = from_ray({"p": domain})
    assert problems == []
    return converted["p"]


def _ray_values(domain, n=4000):
    rng = np.random.default_rng(0)
    return {domain.sample(random_state=rng) for _ in range(n)}


@pytest.mark.parametrize(("ray_domain", "expected"), [
    (tune.uniform(0.5, 2.0), space.uniform(0.5, 2.0)),
    (tune.loguniform(1e-4, 1e-1), space.loguniform(1e-4, 1e-1)),
    (tune.quniform(0.0, 1.0, 0.25), space.quniform(0.0, 1.0, 0.25)),
    (tune.qloguniform(1e-3, 1.0, 1e-3), space.qloguniform(1e-3, 1.0, 1e-3)),
    (tune.randint(0, 5), space.randint(0, 5)),
    (tune.lograndint(1, 100), space.lograndint(1, 100)),
    (tune.qrandint(0, 20, 5), space.qrandint(0, 20, 5)),
    (tune.qrandint(1, 9, 4), space.qrandint(4, 8, 4)),  # Ray's bounds snapped inwards to multiples
    (tune.qrandint(0, 5, 1), space.randint(0, 5)),  # Ray excludes the upper bound when q == 1
    (tune.choice(["a", 1, None]), space.choice(["a", 1, None])),
    (tune.grid_search([1, 2, 3]), space.grid([1, 2, 3])),
])
def test_each_ray_domain_converts(ray_domain, expected):
    assert _convert(ray_domain) == expected
    assert type(_convert(ray_domain)).__name__ == type(expected).__name__


@pytest.mark.parametrize("ray_domain", [tune.randint(0, 5), tune.randint(-3, 2), tune.lograndint(1, 9),
                                        tune.qrandint(0, 5, 1), tune.qrandint(1, 9, 4),
                                        tune.qrandint(0, 20, 5)])
def test_integer_domains_draw_exactly_the_values_ray_draws(ray_domain):
    """Ray's randint(lo, hi) excludes hi; the converted dimension holds the very values Ray samples."""
    converted = _convert(ray_domain)
    ray_values = _ray_values(ray_domain)
    assert set(grid_values(converted, 1000)) == ray_values
    assert all(in_domain(converted, v) for v in ray_values)
    assert not in_domain(converted, max(ray_values) + 1)


def test_quantised_floats_take_rays_multiples():
    ray_domain = tune.quniform(0.0, 1.0, 0.25)
    converted = _convert(ray_domain)
    assert {round(v, 9) for v in _ray_values(ray_domain)} == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert grid_values(converted, 5) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_ray_domains_are_recognised_without_importing_ray_in_raysweep():
    assert is_ray_domain(tune.uniform(0, 1)) and is_ray_domain(tune.choice([1]))
    assert not is_ray_domain(space.uniform(0, 1)) and not is_ray_domain({"grid_search": [1]})


def test_nested_ray_domains_convert_and_constants_stay():
    converted, problems = from_ray({"opt": {"lr": tune.loguniform(1e-4, 1e-1), "name": "adam"}, "k": 3})
    assert problems == []
    assert converted == {"opt": {"lr": space.loguniform(1e-4, 1e-1), "name": "adam"}, "k": 3}


def test_a_sweep_converts_at_construction():
    sweep = Sweep(name="s", trainable=train, metric="loss", mode="min", num_samples=2,
                  space={"x": tune.uniform(0, 1), "g": tune.grid_search(["a", "b"])})
    assert sweep.space == {"x": space.uniform(0, 1), "g": space.grid(["a", "b"])}
    assert '"g": {"type": "grid", "values": ["a", "b"]}' in sweep.space_json()
    assert sweep.n_trials == 4  # Ray's rule: 2 samples x 2 grid values


def test_every_unsupported_key_is_reported_at_once_with_the_template():
    with pytest.raises(ConfigError) as info:
        Sweep(name="s", trainable=train, metric="loss", mode="min", num_samples=2, space={
            "a": tune.randn(0, 1), "b": tune.sample_from(lambda c: 1), "c": tune.qlograndint(1, 64, 2),
            "d": object(), "ok": tune.uniform(0, 1), "e.f": 1,
        })
    message = str(info.value)
    assert message.startswith("5 problems in Sweep 's':")
    lines = message.splitlines()[1:]
    assert len(lines) == 5 and all(" must be " in line and " instead." in line for line in lines)
    assert "space['a']" in lines[0] and "tune.randn(mean=0, sd=1)" in lines[0]
    assert "normal distribution has no raysweep equivalent and is not supported" in lines[0]
    assert "space['b']" in lines[1] and "tune.sample_from(<lambda>)" in lines[1]
    assert "sample_from is not supported" in lines[1] and "conditional space" in lines[1]
    assert "space['c']" in lines[2] and "space.lograndint" in lines[2]
    # The hint about functions and objects is for plain objects only, never for Ray's domains.
    assert all("Functions and objects" not in line for line in lines[:3])
    assert "space['d']" in lines[3] and "Functions and objects cannot be stored" in lines[3]
    assert "'e.f'" in lines[4]


def test_a_conversion_problem_names_the_key():
    with pytest.raises(ConfigError, match=r"space\['x'\]") as info:
        Sweep(name="s", trainable=train, metric="loss", mode="min", num_samples=2,
              space={"x": tune.qrandint(1, 3, 5)})
    assert "multiple of q=5" in str(info.value)
