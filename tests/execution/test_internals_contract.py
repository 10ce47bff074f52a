"""The contract between raysweep's adapter (``execution/_internals``) and the installed Ray, HyperOpt
and Optuna, checked in seconds and without ``ray.init`` (issue 20).

- Every requirement the adapter declares (``REQUIREMENTS``) holds: the owner imports, the method
  takes the parameters raysweep passes, the instance attribute is assigned in the owner's source.
- The registry cannot drift from the code: every private name an adapter module reaches is declared
  by that module.
- The shapes behind the names are what raysweep expects, on cheap real objects: an
  ``AsyncHyperBandScheduler``, a ``HyperOptSearch`` and an ``OptunaSearch`` over a tiny space, a
  ``TuneController`` built without a cluster (its ``setup_experiments`` runs a callback's ``setup``,
  so :func:`find_controller` walks the real frames), a ``Tuner``, a function trainable.
- A Ray that lacks a name makes the adapter raise an ``ExecutionError`` naming the Ray version and
  the supported range, or warn once and return a neutral value where the feature can degrade.

On another Ray: ``PYTHONPATH=src <venv>/bin/python -m pytest tests/execution/test_internals_contract.py``.
"""

from __future__ import annotations

import ast
import re
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from raysweep import ExecutionError
from raysweep.execution import _internals as internals
from raysweep.execution._internals import _registry
from raysweep.execution._internals import _versions as versions

ADAPTER = Path(internals.__file__).parent


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the adapter's once-per-process warnings afresh."""
    monkeypatch.setattr(_registry, "_WARNED", set())


@contextmanager
def _strict() -> Iterator[None]:
    """Any RayInternalsWarning fails the test: on a supported Ray nothing degrades."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", internals.RayInternalsWarning)
        yield


class _Trial:
    """What Tune's scheduler and controller read of a trial here: an id (hashable)."""

    def __init__(self, trial_id: str) -> None:
        self.trial_id = trial_id


# ------------------------------------------------------------------------------ the registry


@pytest.mark.parametrize("req", internals.REQUIREMENTS, ids=lambda r: f"{r.label}[{r.kind}]")
def test_every_requirement_holds(req):
    assert internals.verify(req) is None


def test_the_registry_covers_every_adapter_module():
    owners = {r.owner.split(":")[0].split(".")[0] for r in internals.REQUIREMENTS}
    assert owners == {"ray", "sys", "optuna"}  # optuna: the constraints key of warm-start trials
    assert len(internals.REQUIREMENTS) >= 40


def _reached(path: Path) -> set[str]:
    """Private names a module reaches: ``x._name``, ``getattr(x, "_name")``, ``d.get("_name")``, and
    the private components of the library modules and names it imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "hasattr", "delattr"):
                names.update(_strings(node.args[1:2]))
            elif isinstance(func, ast.Attribute) and func.attr in ("get", "pop"):
                names.update(_strings(node.args[:1]))
        elif (isinstance(node, ast.ImportFrom) and node.module and not node.level
              and node.module.split(".")[0] in ("ray", "hyperopt", "optuna")):
            names.update(p for p in node.module.split(".") if _private(p))
            names.update(a.name for a in node.names if _private(a.name))
    return names


def _strings(nodes: list[ast.expr]) -> set[str]:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.isidentifier() and _private(n.value)}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


@pytest.mark.parametrize("path", sorted(ADAPTER.glob("_*.py")), ids=lambda p: p.name)
def test_every_private_name_an_adapter_module_reaches_is_declared(path):
    declared = set()
    for req in internals.REQUIREMENTS:
        declared.add(req.name)
        declared.update(p for p in req.owner.replace(":", ".").split(".") if _private(p))
    assert _reached(path) - declared == set()


def test_verify_names_what_is_missing():
    controller = "ray.tune.execution.tune_controller:TuneController"
    cases = {
        _registry.Requirement(controller, "_no_such_thing", "attribute", why="x"): "no `self._no_such",
        _registry.Requirement(controller, "checkpoint", "method", ("wait", "force"), why="x"):
            "expected parameters",
        _registry.Requirement(controller, "_trials", "property", why="x"): "has no property",
        _registry.Requirement("ray.no_such_module", "x", "function", why="x"): "cannot import",
        _registry.Requirement("ray._private.worker", "no_such_fn", "function", why="x"): "has no",
        _registry.Requirement("ray.tune:Tuner", "no_such", "class_attribute", why="x"): "no class attr",
    }
    for req, expected in cases.items():
        assert expected in (internals.verify(req) or ""), req


# ------------------------------------------------------------------------------ shapes: Tune


@pytest.fixture
def controller(tmp_path, monkeypatch):
    """A real TuneController, built without a cluster (no pending-trial autodetection)."""
    monkeypatch.setenv("TUNE_MAX_PENDING_TRIALS_PG", "1")
    from ray import tune
    from ray.train._internal.storage import StorageContext
    from ray.tune.execution.tune_controller import TuneController

    class Finder(tune.Callback):
        def setup(self, **info):
            self.found = internals.find_controller("the contract test", required=True)

    finder = Finder()
    storage = StorageContext(storage_path=str(tmp_path), experiment_dir_name="contract")
    built = TuneController(storage=storage, callbacks=[finder])
    built.finder = finder
    return built


def test_find_controller_walks_from_callback_setup_to_the_controller(controller):
    with _strict():
        controller.setup_experiments([None], 1)  # Tune's own call of every Callback.setup
    assert controller.finder.found is controller


def test_find_controller_outside_tune_raises_or_warns_once():
    found, supported = re.escape(versions.ray_version()), re.escape(versions.supported_range())
    expected = rf"Ray {found}.*supports Ray {supported}"
    with pytest.raises(ExecutionError, match=expected):
        internals.find_controller("a test", required=True)
    with pytest.warns(internals.RayInternalsWarning, match="a test is off"):
        assert internals.find_controller("a test", required=False) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert internals.find_controller("a test", required=False) is None  # once


def test_controller_collections_have_the_shapes_release_needs(controller):
    from ray.tune.schedulers import FIFOScheduler

    with _strict():
        assert internals.controller_trials(controller) == []
        states = internals.trial_states(controller)
        assert states == {}
        holders = internals.trial_holders(controller)
        assert sum(isinstance(h, set) for h in holders) >= 2  # _trials_to_cache, _stopped_trials
        internals.replace_trial_states(controller, {"t": ("{}", "{}")})
        assert internals.trial_states(controller) == {"t": ("{}", "{}")}
        marked = _Trial("t")
        internals.mark_for_snapshot(controller, marked)
        assert marked in controller._trials_to_cache
        assert isinstance(internals.controller_scheduler(controller), FIFOScheduler)
        internals.wait_for_experiment_sync(controller)  # no copy running: returns at once


def test_run_metadata_has_the_fields_trimming_reads_and_drops_its_cached_json():
    from ray.tune.trainable.metadata import _TrainingRunMetadata

    meta = _TrainingRunMetadata()
    meta.update_metric("score", 1.0, step=1)
    trial = types.SimpleNamespace(run_metadata=meta)
    with _strict():
        last, analysis, steps = internals.run_metadata_results(trial)
        assert "score" in analysis and "score" in steps and isinstance(last, dict)
        before = meta.get_json_state()
        internals.set_run_metadata_results(trial, {}, {}, {})
        assert meta.get_json_state() != before  # the cached JSON was dropped
        assert internals.trial_failures(trial) == 0


def test_result_frames_patch_is_class_wide_and_restored():
    from ray.tune.analysis.experiment_analysis import ExperimentAnalysis

    originals = (ExperimentAnalysis._fetch_trial_dataframes, ExperimentAnalysis._load_trials)
    with _strict(), internals.without_result_frames():
        assert ExperimentAnalysis._fetch_trial_dataframes(object()) == {}
        assert ExperimentAnalysis._load_trials(object()) == []
    assert (ExperimentAnalysis._fetch_trial_dataframes, ExperimentAnalysis._load_trials) == originals


def test_a_restored_tuners_callbacks_can_be_replaced(tmp_path):
    from ray import tune

    def train(config):
        pass

    tuner = tune.Tuner(train, run_config=tune.RunConfig(storage_path=str(tmp_path), name="t"))
    callback = tune.Callback()
    with _strict():
        assert internals.replace_restored_callbacks(tuner, [callback]) is True
    assert tuner._local_tuner.get_run_config().callbacks == [callback]


def test_a_function_trainables_name_is_what_tune_shows():
    from ray.tune.experiment import Experiment
    from ray.tune.trainable.function_trainable import wrap_function

    def train(config):
        pass

    cls = type("Sub", (wrap_function(train),), {})
    with _strict():
        internals.name_function_trainable(cls, "my_trainable")
    assert Experiment.get_trainable_name(cls) == "my_trainable"


# ------------------------------------------------------------------------------ shapes: ASHA


def test_asha_brackets_rungs_and_cutoffs_are_what_recording_reads():
    from ray.tune.schedulers import AsyncHyperBandScheduler, TrialScheduler

    asha = AsyncHyperBandScheduler(metric="score", mode="max", max_t=9, grace_period=1,
                                   reduction_factor=3, brackets=1)
    with _strict():
        settings = internals.asha_settings(asha)
        assert settings == internals.AshaSettings("score", 1.0, "training_iteration", 9, True)
        brackets = internals.asha_brackets(asha)
        assert len(brackets) == 1
        rungs = internals.bracket_rungs(brackets[0])
        assert [m for m, _ in rungs] == [9, 3, 1] and all(r == {} for _, r in rungs)
        seen = []

        def spy(recorded):
            seen.append(dict(recorded))
            return internals.bracket_cutoff(brackets[0], recorded)

        assert internals.replace_bracket_cutoff(brackets[0], spy)
        for i, score in enumerate([1.0, 3.0, 2.0, 0.5]):
            trial = _Trial(f"t{i}")
            asha.on_trial_add(None, trial)
            assert internals.asha_bracket_of(asha, trial.trial_id) is brackets[0]
            action = asha.on_trial_result(None, trial, {"training_iteration": 1, "score": score})
        assert len(seen) == 4  # on_result compared through the replaced cutoff, once per trial
        assert set(internals.bracket_rungs(brackets[0])[-1][1]) == {"t0", "t1", "t2", "t3"}
        assert action == TrialScheduler.STOP  # 0.5 is below the cutoff of the first three
        assert internals.asha_bracket_of(asha, "unknown") is None


# ------------------------------------------------------------------------------ shapes: searchers


def test_hyperopt_searchers_trials_take_seeded_documents():
    import hyperopt
    from hyperopt import hp
    from ray.tune.search.hyperopt import HyperOptSearch

    searcher = HyperOptSearch(space={"x": hp.uniform("x", 0, 1)}, metric="m", mode="min",
                              random_state_seed=1)
    with _strict():
        trials = internals.hyperopt_trials(searcher)
    assert isinstance(trials, hyperopt.Trials)
    for method in ("new_trial_ids", "insert_trial_docs", "refresh"):
        assert callable(getattr(trials, method))
    assert searcher.suggest("t1") is not None


def test_optuna_searchers_live_trials_are_keyed_by_ray_trial_id():
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    searcher = OptunaSearch(space={"x": optuna.distributions.FloatDistribution(0, 1)}, metric="m",
                            mode="min", sampler=optuna.samplers.RandomSampler(seed=1))
    with _strict():
        assert internals.optuna_trials(searcher) == {}
        searcher.suggest("t1")
        live = internals.optuna_trials(searcher)
    assert set(live) == {"t1"} and set(live["t1"].params) == {"x"}
    live["t1"].report(0.5, 1)


def test_a_limited_searcher_gets_as_many_pending_trials_as_it_may_run(monkeypatch):
    import optuna
    from ray.tune.execution.tune_controller import _get_max_pending_trials
    from ray.tune.search import BasicVariantGenerator, ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch
    from ray.tune.search.search_generator import SearchGenerator

    monkeypatch.setenv(internals.PENDING_ENV, "")
    monkeypatch.delenv(internals.PENDING_ENV)  # restored (absent) after the test
    searcher = OptunaSearch(space={"x": optuna.distributions.FloatDistribution(0, 1)}, metric="m",
                            mode="min")
    limiter = ConcurrencyLimiter(searcher, max_concurrent=3)
    assert internals.allow_limiter_pending_trials(BasicVariantGenerator()) is False
    internals.allow_limiter_pending_trials(limiter)  # sets the env only on a Ray older than 2.57
    assert _get_max_pending_trials(SearchGenerator(limiter)) == 3  # on every supported Ray
    monkeypatch.setenv(internals.PENDING_ENV, "5")  # the user's setting wins
    assert internals.allow_limiter_pending_trials(limiter) is False
    assert _get_max_pending_trials(SearchGenerator(limiter)) == 5


def test_searcher_internals_missing_is_an_execution_error_naming_the_versions():
    for get in (internals.hyperopt_trials, internals.optuna_trials):
        with pytest.raises(ExecutionError) as info:
            get(object())
        assert versions.ray_version() in str(info.value)
        assert f"supports Ray {versions.supported_range()}" in str(info.value)


# ------------------------------------------------------------------------------ shapes: Ray core


def test_worker_log_printer_is_replaced_and_restored():
    from ray._private import worker

    original = worker.print_worker_logs
    calls = []

    def make(inner):
        assert inner is original

        def replacement(data, print_file, ignore_prefix=False):
            calls.append(data)

        return replacement

    with _strict():
        restore = internals.replace_worker_log_printer(make)
        assert worker.print_worker_logs is not original
        worker.print_worker_logs({"pid": 1, "lines": ["x"], "is_err": True}, None, False)
        restore()
    assert worker.print_worker_logs is original and len(calls) == 1


def test_cluster_address_lookup_follows_ray_address(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    with _strict():
        assert internals.find_cluster_address("auto") == "10.0.0.1:6379"


def test_actor_handles_have_a_hex_actor_id_property():
    from ray.actor import ActorHandle

    with _strict():
        assert internals.actor_id(types.SimpleNamespace(_actor_id=bytes.fromhex("ab"))) == "ab"
    assert isinstance(ActorHandle.__dict__["_actor_id"], property)


# ------------------------------------------------------------------------------ degrading


@pytest.mark.parametrize("call, neutral", [
    (lambda: internals.asha_settings(types.SimpleNamespace()), None),
    (lambda: internals.asha_brackets(types.SimpleNamespace()), []),
    (lambda: internals.asha_bracket_of(types.SimpleNamespace(), "t"), None),
    (lambda: internals.bracket_rungs(object()), []),
    (lambda: internals.controller_trials(object()), None),
    (lambda: internals.trial_states(object()), None),
    (lambda: internals.trial_holders(object()), []),
    (lambda: internals.controller_scheduler(object()), None),
    (lambda: internals.run_metadata_results(object()), None),
    (lambda: internals.trial_failures(object()), 0),
    (lambda: internals.actor_id(object()), None),
    (lambda: internals.wait_for_experiment_sync(object()), None),
], ids=["asha_settings", "asha_brackets", "asha_bracket_of", "bracket_rungs", "controller_trials",
        "trial_states", "trial_holders", "controller_scheduler", "run_metadata_results",
        "trial_failures", "actor_id", "wait_for_experiment_sync"])
def test_a_missing_internal_warns_once_and_returns_a_neutral_value(call, neutral):
    with pytest.warns(internals.RayInternalsWarning, match=r"raysweep: Ray .* has no .*supports Ray"):
        assert call() == neutral
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert call() == neutral  # once per name and process


def test_a_missing_snapshot_method_is_an_execution_error():
    with pytest.raises(ExecutionError, match="checkpoint"):
        internals.checkpoint_experiment(object())
    with pytest.raises(ExecutionError, match="_local_tuner"):
        internals.replace_restored_callbacks(object(), [])


# ------------------------------------------------------------------------------ versions


def test_the_installed_ray_is_supported_and_others_are_named():
    versions.require_supported_ray()
    assert versions.unsupported_ray(versions.ray_version()) is None
    lo, hi = versions.SUPPORTED_RAY
    assert versions.unsupported_ray(f"{lo[0]}.{lo[1]}.0") is None
    assert versions.unsupported_ray(f"{hi[0]}.{hi[1]}.3") is None
    for outside in (f"{lo[0]}.{lo[1] - 1}.9", f"{hi[0]}.{hi[1] + 1}.0", "3.0.0", "nightly"):
        problem = versions.unsupported_ray(outside)
        assert problem is not None and outside in problem and versions.supported_range() in problem
        with pytest.raises(ExecutionError, match="raysweep supports Ray"):
            versions.require_supported_ray(outside)


def test_the_package_metadata_allows_exactly_the_supported_range():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    lo, hi = versions.SUPPORTED_RAY
    pin = f"ray[tune]>={lo[0]}.{lo[1]},<{hi[0]}.{hi[1] + 1}"
    assert f'"{pin}"' in text and f'"ray[default,tune]>={lo[0]}.{lo[1]},<{hi[0]}.{hi[1] + 1}"' in text


def test_starting_or_joining_ray_fails_first_on_an_unsupported_ray(monkeypatch):
    from raysweep.execution.cluster import _ray

    (major, minor), _ = versions.SUPPORTED_RAY
    too_old = f"{major}.{minor - 1}.1"
    monkeypatch.setattr(versions, "ray_version", lambda: too_old)
    started = []
    monkeypatch.setattr(_ray.ray, "init", lambda *args, **kwargs: started.append(kwargs))
    monkeypatch.setattr(_ray.ray, "is_initialized", lambda: False)
    for address in (None, "127.0.0.1:6379"):
        with pytest.raises(ExecutionError, match=re.escape(
                f"supports Ray {versions.supported_range()}; found Ray {too_old}")):
            with _ray.ray_runtime(address):
                pass
    assert started == []


def test_validate_needs_no_supported_ray(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from raysweep.cli import raysweep as cli

    (tmp_path / "tiny.py").write_text(
        "from raysweep import Sweep, space\n\n\ndef train(config):\n    pass\n\n\n"
        "SWEEP = Sweep(name='tiny', trainable=train, space={'x': space.uniform(0, 1)},\n"
        "              metric='loss', mode='min', searcher='random', num_samples=1)\n")
    monkeypatch.setattr(versions, "ray_version", lambda: "2.40.0")
    result = CliRunner().invoke(cli, ["validate", "tiny", "--sweeps-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "OK: sweep 'tiny'" in result.output
