"""Loading sweep modules from a project directory: by name, by path, and every way it can fail."""

from __future__ import annotations

import hashlib
import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from raysweep import ConfigError, SweepNotFoundError, searchers, space
from raysweep.sweep import LoadedSweep, list_sweeps, load_sweep, resolve_sweep_path

SPACE_MODULE = """\
from raysweep import space

SPACE = {"lr": space.loguniform(1e-3, 1e-1), "dim": space.choice([8, 16])}
"""

SWEEP_MODULE = """\
from raysweep import Sweep, searchers
from search_spaces.s import SPACE


def train(config):
    return None


SWEEP = Sweep(name="x", trainable=train, space=SPACE, metric="loss", mode="min",
              searcher=searchers.grid(grid_points=2))
"""


def _forget(prefixes: tuple[str, ...]) -> list[str]:
    dotted = tuple(p + "." for p in prefixes)
    return [m for m in sys.modules if m in prefixes or m.startswith(dotted)]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fake project: sweeps/x.py importing search_spaces/s.py. sys.path and sys.modules are
    restored afterwards, and any search_spaces package imported by other tests is hidden."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in _forget(("search_spaces",)):
        monkeypatch.delitem(sys.modules, name)
    before = set(sys.modules)
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "search_spaces").mkdir()
    (tmp_path / "search_spaces" / "__init__.py").write_text("")
    (tmp_path / "search_spaces" / "s.py").write_text(SPACE_MODULE)
    (tmp_path / "sweeps" / "x.py").write_text(SWEEP_MODULE)
    importlib.invalidate_caches()
    yield tmp_path
    for name in set(_forget(("search_spaces", "raysweep_sweeps"))) - before:
        del sys.modules[name]


def write_sweep(project: Path, name: str, source: str) -> Path:
    path = project / "sweeps" / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    importlib.invalidate_caches()
    return path


def test_load_by_name_with_sweeps_dir(project):
    loaded = load_sweep("x", sweeps_dir=project / "sweeps")
    assert isinstance(loaded, LoadedSweep)
    assert loaded.sweep.name == "x"
    assert loaded.sweep.searcher == searchers.grid(grid_points=2)
    # The space came from search_spaces/s.py through the project root put on sys.path.
    assert loaded.sweep.space["lr"] == space.loguniform(1e-3, 1e-1)
    assert loaded.sweep.n_trials == 2 * 2
    assert loaded.path == (project / "sweeps" / "x.py").resolve()
    assert loaded.module_name == "raysweep_sweeps.x"


def test_load_by_name_from_the_working_directory(project, monkeypatch):
    monkeypatch.chdir(project)
    assert load_sweep("x").path == (project / "sweeps" / "x.py").resolve()


@pytest.mark.parametrize("as_str", [True, False])
def test_load_by_path(project, as_str):
    path = project / "sweeps" / "x.py"
    loaded = load_sweep(str(path) if as_str else path)
    assert loaded.sweep.name == "x"
    assert loaded.path == path.resolve()


def test_load_by_relative_path(project, monkeypatch):
    monkeypatch.chdir(project)
    assert load_sweep("sweeps/x.py").path == (project / "sweeps" / "x.py").resolve()


def test_sha256_is_the_hash_of_the_file(project):
    path = project / "sweeps" / "x.py"
    loaded = load_sweep("x", sweeps_dir=project / "sweeps")
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_reloading_an_edited_module_sees_the_edit(project):
    first = load_sweep("x", sweeps_dir=project / "sweeps")
    path = write_sweep(project, "x", SWEEP_MODULE.replace('mode="min"', 'mode="max"'))
    second = load_sweep("x", sweeps_dir=project / "sweeps")
    assert (first.sweep.mode, second.sweep.mode) == ("min", "max")
    assert second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != first.sha256


def test_unknown_name_suggests_a_close_match(project):
    write_sweep(project, "mf_tpe", SWEEP_MODULE)
    with pytest.raises(SweepNotFoundError) as info:
        load_sweep("mf_tp", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert "Unknown sweep 'mf_tp'" in message
    assert "Did you mean 'mf_tpe'?" in message
    assert "mf_tpe, x" in message  # every available sweep, sorted
    assert isinstance(info.value, ConfigError) and isinstance(info.value, LookupError)


def test_unknown_name_without_a_close_match_lists_the_sweeps(project):
    with pytest.raises(SweepNotFoundError) as info:
        resolve_sweep_path("completely_different", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert "Did you mean" not in message
    assert ": x." in message


def test_missing_sweeps_dir_says_so(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(SweepNotFoundError, match="has no sweep modules"):
        resolve_sweep_path("x", sweeps_dir=missing)


def test_missing_file_path(project):
    with pytest.raises(SweepNotFoundError, match="does not exist"):
        load_sweep(str(project / "sweeps" / "nope.py"))


def test_module_without_sweep(project):
    path = write_sweep(project, "empty", "VALUE = 1\n")
    with pytest.raises(ConfigError) as info:
        load_sweep("empty", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert "defines no SWEEP" in message
    assert str(path.resolve()) in message


def test_sweep_of_the_wrong_type(project):
    path = write_sweep(project, "wrong", "SWEEP = {'name': 'wrong'}\n")
    with pytest.raises(ConfigError) as info:
        load_sweep("wrong", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert "must be a raysweep.Sweep" in message
    assert "Got dict instead" in message
    assert str(path.resolve()) in message


def test_syntax_error_names_the_line(project):
    path = write_sweep(project, "broken", "x = 1\ny = 2\ndef broken(:\n    pass\n")
    with pytest.raises(ConfigError) as info:
        load_sweep("broken", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert "syntax error at line 3" in message
    assert str(path.resolve()) in message
    assert "raysweep_sweeps.broken" not in sys.modules


def test_syntax_error_in_an_imported_module_names_that_module(project):
    (project / "search_spaces" / "s.py").write_text("SPACE = {\n")
    importlib.invalidate_caches()
    with pytest.raises(ConfigError) as info:
        load_sweep("x", sweeps_dir=project / "sweeps")
    assert "s.py" in str(info.value)


def test_config_error_in_the_space_names_the_file_and_the_field(project):
    path = write_sweep(project, "badspace", """\
        from raysweep import Sweep, space

        SPACE = {"lr": space.loguniform(0, 1)}
        SWEEP = Sweep(name="badspace", trainable=lambda config: None, space=SPACE,
                      metric="loss", mode="min", num_samples=3)
        """)
    with pytest.raises(ConfigError) as info:
        load_sweep("badspace", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert str(path.resolve()) in message
    assert "'lower' parameter of space.loguniform" in message
    assert "Got 0 instead" in message
    assert "raysweep_sweeps.badspace" not in sys.modules


def test_config_error_in_an_imported_search_space_names_the_sweep_and_the_field(project):
    (project / "search_spaces" / "s.py").write_text(
        "from raysweep import space\nSPACE = {'dim': space.choice([])}\n")
    importlib.invalidate_caches()
    with pytest.raises(ConfigError) as info:
        load_sweep("x", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert str((project / "sweeps" / "x.py").resolve()) in message
    assert "'values' parameter of space.choice" in message


def test_invalid_sweep_in_a_module_names_the_file_and_the_field(project):
    path = write_sweep(project, "badsweep", """\
        from raysweep import Sweep, space

        SWEEP = Sweep(name="badsweep", trainable=lambda config: None,
                      space={"x": space.uniform(0, 1)}, metric="loss", mode="min",
                      searcher="tpe")
        """)
    with pytest.raises(ConfigError) as info:
        load_sweep("badsweep", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert str(path.resolve()) in message
    assert "'num_samples' parameter of Sweep" in message


def test_not_found_raised_inside_a_module_keeps_its_type(project):
    write_sweep(project, "nested", """\
        from raysweep import load_sweep

        load_sweep("no_such_sweep", sweeps_dir="/nonexistent-raysweep-dir")
        """)
    with pytest.raises(SweepNotFoundError, match="In sweep module"):
        load_sweep("nested", sweeps_dir=project / "sweeps")


def test_other_exceptions_name_the_type_the_line_and_the_message(project):
    path = write_sweep(project, "boom", """\
        VALUE = 1

        raise RuntimeError("boom at import")
        """)
    with pytest.raises(ConfigError) as info:
        load_sweep("boom", sweeps_dir=project / "sweeps")
    message = str(info.value)
    assert str(path.resolve()) in message
    assert "raised RuntimeError while loading (line 3): boom at import" in message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "raysweep_sweeps.boom" not in sys.modules


def test_missing_import_is_reported(project):
    write_sweep(project, "noimport", "import raysweep_no_such_module_xyz\n")
    with pytest.raises(ConfigError, match="raised ModuleNotFoundError while loading"):
        load_sweep("noimport", sweeps_dir=project / "sweeps")


def test_list_sweeps_skips_private_modules_and_other_files(project):
    sweeps = project / "sweeps"
    for name in ("b.py", "a.py", "_helpers.py", "__init__.py", "notes.txt"):
        (sweeps / name).write_text("")
    (sweeps / "sub").mkdir()
    (sweeps / "sub" / "c.py").write_text("")
    assert list_sweeps(sweeps) == [sweeps / "a.py", sweeps / "b.py", sweeps / "x.py"]


def test_list_sweeps_of_a_missing_dir_is_empty(tmp_path):
    assert list_sweeps(tmp_path / "nowhere") == []


def test_private_modules_are_not_offered_as_names(project):
    (project / "sweeps" / "_x_helpers.py").write_text("")
    with pytest.raises(SweepNotFoundError) as info:
        resolve_sweep_path("x_helpers", sweeps_dir=project / "sweeps")
    assert "_x_helpers" not in str(info.value)
