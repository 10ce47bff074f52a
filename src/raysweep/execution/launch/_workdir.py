"""Ray Tune's driver loop runs in a working directory raysweep owns: nothing deletes it under Tune.

A Ray job's driver starts in the job's ``working_dir``, which Ray unpacks under the node's
``runtime_resources`` directory. Nodes on one machine (``ray start`` twice on 127.0.0.1, several
raylets per host) share that directory, and the first time another node sets up the job's runtime
env (as soon as the driver connects: Ray starts the job's workers on every node) it deletes and
unpacks the package again (``download_and_unpack_package(..., overwrite=True)`` in Ray 2.60): the
same path then holds a new directory, and the driver's cwd is the deleted one. ``os.getcwd()`` fails
from then on, and with it every relative path Ray resolves; Tune's ``ExperimentAnalysis`` at the end
of ``fit`` calls ``os.path.relpath`` and the sweep stopped with ``[Errno 2] No such file or
directory``, naming no file, after every trial had run and been stored. On a cluster of one node
per machine nothing replaces the directory, and this changes nothing but the driver's cwd during
``fit``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["owned_workdir"]


@contextmanager
def owned_workdir(prefix: str = "raysweep-driver-") -> Iterator[str | None]:
    """Run the body in a fresh temporary directory; yield the working directory it replaces.

    Afterwards the process returns to that directory by path: to the directory now at that path
    when it was replaced meanwhile (a job's re-unpacked working_dir), to the temporary directory's
    parent when nothing is there any more. Only the driver's own cwd changes: Ray's workers keep
    theirs (Tune's trial directories), and every path raysweep hands Tune is absolute.
    """
    try:
        before: str | None = os.getcwd()
    except FileNotFoundError:  # already replaced: PWD still names it (Ray's job runner cd's there)
        before = os.environ.get("PWD")
    with tempfile.TemporaryDirectory(prefix=prefix) as own:
        os.chdir(own)
        try:
            yield before
        finally:
            try:
                os.chdir(before or tempfile.gettempdir())
            except OSError:
                os.chdir(tempfile.gettempdir())
