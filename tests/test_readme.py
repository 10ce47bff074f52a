"""Every example in README.md runs: Python blocks are executed, shell commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
SHELL_LINES = [
    line.split("#")[0].strip()
    for block in re.findall(r"```(?:bash|console)\n(.*?)```", README, flags=re.S)
    for line in block.splitlines()
]


def test_readme_quick_start_is_exactly_two_commands():
    quick = README.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.strip()]
    assert commands == ["make quickstart", "make test"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One directory for all blocks, in README order: later examples read what earlier ones wrote."""
    return tmp_path_factory.mktemp("readme")


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_example_runs(index, workdir, monkeypatch, ray_session):
    """Each block runs in a fresh namespace, in README order, in one shared directory."""
    monkeypatch.chdir(workdir)
    code = PYTHON_BLOCKS[index]
    namespace = {"__name__": f"readme_example_{index}"}
    exec(compile(code, f"README.md python block {index}", "exec"), namespace)
    if "SWEEP" in namespace:
        from raysweep import Sweep

        assert isinstance(namespace["SWEEP"], Sweep)


@pytest.mark.parametrize(
    "command", sorted({c for c in SHELL_LINES if c.startswith("raysweep ")}),
)
def test_shell_example_commands_exist(command):
    """Every `raysweep X` in the README names a real command (its --help succeeds)."""
    from click.testing import CliRunner

    from raysweep.cli._main import raysweep

    name = command.split()[1]
    out = CliRunner().invoke(raysweep, [name, "--help"])
    assert out.exit_code == 0, out.output
    assert f"Usage: raysweep {name}" in out.output
