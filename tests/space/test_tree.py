"""Walking nested spaces: validation, flatten/unflatten, and the JSON form stored with runs."""

from __future__ import annotations

import json

import pytest

from raysweep import ConfigError, space
from raysweep.space import flatten, space_to_json, unflatten, validate_space

NESTED = {
    "lr": space.loguniform(1e-4, 1e-1),
    "epochs": 10,
    "opt": {
        "beta": space.uniform(0.8, 0.99),
        "sched": {"kind": "cosine", "warmup": space.randint(0, 5)},
    },
    "tags": ["a", "b"],
}


def test_flatten_gives_leaves_by_path_in_definition_order():
    flat = flatten(NESTED)
    assert list(flat) == [("lr",), ("epochs",), ("opt", "beta"), ("opt", "sched", "kind"),
                          ("opt", "sched", "warmup"), ("tags",)]
    assert flat[("opt", "beta")] == space.uniform(0.8, 0.99)
    assert flat[("opt", "sched", "kind")] == "cosine"
    # Lists are constants (leaves), not nested levels.
    assert flat[("tags",)] == ["a", "b"]


def test_unflatten_inverts_flatten():
    assert unflatten(flatten(NESTED)) == NESTED


def test_unflatten_of_handwritten_paths():
    flat = {("a",): 1, ("b", "c"): 2, ("b", "d", "e"): 3}
    assert unflatten(flat) == {"a": 1, "b": {"c": 2, "d": {"e": 3}}}


def test_flatten_of_a_flat_space_is_single_keys():
    flat = flatten({"a": 1, "b": space.choice([1, 2])})
    assert list(flat) == [("a",), ("b",)]


def test_validate_space_accepts_dimensions_constants_and_nesting():
    validate_space(NESTED)
    validate_space({})
    validate_space({"none": None, "flag": True, "cfg": {"depth": [1, 2, {"x": "y"}]}})


@pytest.mark.parametrize("key", ["a.b", "a/b", "", 3, None])
def test_keys_with_separators_or_not_strings_are_rejected(key):
    with pytest.raises(ConfigError) as info:
        validate_space({key: 1})
    message = str(info.value)
    assert "'space' parameter" in message
    assert "without '.' or '/'" in message
    assert f"Got {key!r} instead" in message
    assert "top level" in message


def test_a_bad_nested_key_names_where_it_is():
    with pytest.raises(ConfigError) as info:
        validate_space({"opt": {"inner": {"beta.1": space.uniform(0, 1)}}})
    message = str(info.value)
    assert "Got 'beta.1' instead" in message
    assert "opt.inner" in message


def test_flatten_rejects_bad_keys_too():
    with pytest.raises(ConfigError, match=r"without '\.' or '/'"):
        flatten({"opt": {"a/b": 1}})


def test_empty_nested_dict_is_rejected_naming_its_path():
    with pytest.raises(ConfigError) as info:
        validate_space({"lr": space.uniform(0, 1), "opt": {"inner": {}}})
    message = str(info.value)
    assert "space['opt.inner']" in message
    assert "non-empty dict" in message
    assert "Got {} instead" in message


@pytest.mark.parametrize("bad", [lambda: 0, object(), {1, 2}, float("nan"), float("inf")])
def test_non_json_constants_are_rejected_naming_the_path(bad):
    with pytest.raises(ConfigError) as info:
        validate_space({"lr": space.uniform(0, 1), "opt": {"fn": bad}})
    message = str(info.value)
    assert "space['opt.fn']" in message
    assert "JSON-serialisable constant" in message


def test_dimensions_inside_lists_are_rejected():
    # Only dicts nest; a dimension inside a list is neither a constant nor a dimension.
    with pytest.raises(ConfigError, match=r"space\['layers'\]"):
        validate_space({"layers": [space.uniform(0, 1)]})


@pytest.mark.parametrize("bad", [[("lr", 1)], "lr=0.1", None, 5])
def test_space_must_be_a_dict(bad):
    with pytest.raises(ConfigError) as info:
        validate_space(bad)
    message = str(info.value)
    assert "'space' parameter of Sweep" in message
    assert f"Got {bad!r} instead" in message


def test_validate_space_names_its_owner():
    with pytest.raises(ConfigError, match="'space' parameter of MySweep"):
        validate_space(None, owner="MySweep")


def test_space_to_json_is_flat_ordered_and_typed():
    text = space_to_json(NESTED)
    loaded = json.loads(text)
    assert list(loaded) == [
        "lr", "epochs", "opt.beta", "opt.sched.kind", "opt.sched.warmup", "tags",
    ]
    assert loaded["lr"] == {"type": "loguniform", "lower": 1e-4, "upper": 1e-1}
    assert loaded["epochs"] == {"type": "constant", "value": 10}
    assert loaded["opt.beta"] == {"type": "uniform", "lower": 0.8, "upper": 0.99}
    assert loaded["opt.sched.kind"] == {"type": "constant", "value": "cosine"}
    assert loaded["opt.sched.warmup"] == {"type": "randint", "lower": 0, "upper": 5}
    assert loaded["tags"] == {"type": "constant", "value": ["a", "b"]}


def test_space_to_json_is_deterministic():
    assert space_to_json(NESTED) == space_to_json(unflatten(flatten(NESTED)))
