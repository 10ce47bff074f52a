"""The driver's working directory replaced under it while Tune runs, as Ray does to a job's driver.

A Ray job's driver starts in the job's ``working_dir``, unpacked under the node's
``runtime_resources``. Nodes on one machine (two ``ray start`` on a laptop, ``127.0.0.1``) share that
directory, and the first time another node sets up the job's runtime env it deletes and unpacks it
again (``download_and_unpack_package(overwrite=True)``): the driver's cwd is then a deleted
directory, and Tune's ``os.path.relpath`` at the end of ``fit`` raised ``[Errno 2] No such file or
directory`` naming no file. Here a trial does the same to the driver's cwd on the session's Ray.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from ray import tune

from raysweep import Sweep, results, space
from raysweep.execution import run_sweep
from raysweep.execution.terminal._text import explain_os_error


def replaces_the_project(config):
    """The first trial to run deletes the project directory and unpacks it again, as Ray does."""
    project = Path(config["project"])
    try:
        os.close(os.open(config["marker"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        pass
    else:
        files = {p.relative_to(project): p.read_bytes() for p in project.rglob("*") if p.is_file()}
        shutil.rmtree(project)
        for relative, data in files.items():
            (project / relative).parent.mkdir(parents=True, exist_ok=True)
            (project / relative).write_bytes(data)
    for i in range(1, 3):
        tune.report({"score": config["x"] * i})


@pytest.mark.slow
def test_the_sweep_finishes_when_the_drivers_working_directory_is_replaced(ray_session, tmp_path,
                                                                           monkeypatch):
    project = tmp_path / "project"
    (project / "sweeps").mkdir(parents=True)
    (project / "sweeps" / "placeholder.txt").write_text("the job's uploaded files")
    monkeypatch.chdir(project)
    store = tmp_path / "store"
    sweep = Sweep(name="cwd_replaced", trainable=replaces_the_project,
                  space={"x": space.uniform(0.0, 1.0), "project": str(project),
                         "marker": str(tmp_path / "replaced")},
                  metric="score", mode="max", searcher="random", num_samples=4,
                  resources={"cpu": 1}, max_failures=0)

    summary = run_sweep(sweep, results_root=str(store), progress=False)

    assert (tmp_path / "replaced").exists()  # the driver's cwd really was replaced
    assert summary.status == "finished", summary
    runs = results.list_runs(str(store), sweeps="cwd_replaced")
    assert runs.loc[0, "status"] == "finished", runs.loc[0, "error_message"]
    trials = results.load_trials(str(store), sweeps="cwd_replaced")
    assert len(trials) == 4 and set(trials["status"]) == {"completed"}
    assert Path.cwd() == project  # given back, by path: the new directory at the old place


def test_an_os_error_naming_no_file_is_told_with_the_paths_in_play(tmp_path, monkeypatch):
    ray_dir = str(tmp_path / "_ray" / "s" / "r1")
    bare = FileNotFoundError(2, "No such file or directory")
    text = explain_os_error(bare, ray_dir=ray_dir, cwd=str(tmp_path))
    assert text.startswith("[Errno 2] No such file or directory")
    assert ray_dir in text and str(tmp_path) in text

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    text = explain_os_error(bare, ray_dir=ray_dir, cwd=str(gone))
    assert f"the driver's working directory {str(gone)!r} was deleted" in text

    named = FileNotFoundError(2, "No such file or directory", str(tmp_path / "x.json"))
    assert explain_os_error(named, ray_dir=ray_dir, cwd=str(tmp_path)).endswith(
        f"No such file or directory: {str(tmp_path / 'x.json')!r}")
