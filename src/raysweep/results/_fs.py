"""Everything that touches the results root goes through a ``pyarrow.fs.FileSystem``.

A root is a local path (relative or absolute) or any URI ``pyarrow.fs.FileSystem.from_uri``
understands (``file://``, ``s3://bucket/prefix``, ``gs://...``). Nothing here calls ``open`` or
``os.path`` on files under the root, so S3 roots need no code change.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from raysweep._errors import ConfigError, StorageError, invalid_parameter
from raysweep.results._schema import FIXED

ENV_VAR = "RAYSWEEP_RESULTS"
DEFAULT_ROOT = "./results"

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def resolve_root(root: str | os.PathLike[str] | None = None) -> str:
    """Return the results root: ``root`` if given, else ``$RAYSWEEP_RESULTS``, else ``./results``.

    Local paths come back absolute; URIs (``s3://bucket/prefix``) come back unchanged.
    """
    if root is None or str(root) == "":
        root = os.environ.get(ENV_VAR) or DEFAULT_ROOT
    text = os.fspath(root)
    if _URI.match(text):
        return text.rstrip("/")
    return str(Path(text).expanduser().absolute())


def local_path(location: str | os.PathLike[str]) -> Path | None:
    """The local filesystem path of ``location``, or None when it is on a remote filesystem.

    A local path comes back as it is (made a ``Path``), ``file:///x`` (or ``file://localhost/x``) as
    ``/x``; ``s3://...``, ``gs://...`` and every other URI have no local path: None. The one place
    that decides whether a results root, a run's Ray directory or a file under them may be handed to
    ``pathlib``/``os``: never ``Path(location)`` itself, since ``Path("s3://bucket/x")`` is the
    local path ``s3:/bucket/x``.
    """
    text = os.fspath(location)
    if not _URI.match(text):
        return Path(text)
    parts = urlsplit(text)
    if parts.scheme.lower() == "file" and parts.netloc in ("", "localhost"):
        return Path(unquote(parts.path) or "/")
    return None


def check_name(value: str, param: str) -> str:
    """Validate a sweep name or run id used as a hive partition value."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise StorageError(
            invalid_parameter(
                param,
                "the results store",
                "a non-empty string of letters, digits, '_', '.' or '-' (a partition value)",
                value,
            )
        )
    return value


@dataclass(frozen=True)
class Root:
    """An opened results root: a filesystem plus the base path inside it."""

    uri: str
    fs: pafs.FileSystem
    base: str

    def path(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts]) if self.base else "/".join(parts)

    def partition(self, dataset: str, sweep: str, run: str) -> str:
        return self.path(dataset, f"sweep={sweep}", f"run={run}")


def open_root(root: str | os.PathLike[str] | None = None) -> Root:
    """Resolve and open a results root; raise ``StorageError`` if its filesystem is unusable."""
    uri = resolve_root(root)
    try:
        fs, base = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise StorageError(
            invalid_parameter(
                "root",
                "the results store",
                "a local path or a URI pyarrow.fs.FileSystem.from_uri can open",
                uri,
                f"pyarrow said: {exc}",
            )
        ) from exc
    opened = Root(uri=uri, fs=fs, base=base)
    if isinstance(fs, pafs.LocalFileSystem):  # one stat; remote roots are probed by their writer
        _check_not_a_file(opened)
    return opened


def _check_not_a_file(root: Root) -> None:
    """A root (or a dataset directory under it, or a parent of it) that is a file is bad input."""
    for path in (root.base, *(root.path(d) for d in FIXED)):
        if root.fs.get_file_info(path).type == pafs.FileType.File:
            where = "" if path == root.base else f" ({path!r} under it is a file)"
            raise ConfigError(
                f"The results root {root.uri!r} is a file, not a directory{where}. "
                "Pass a directory with --results DIR (or $RAYSWEEP_RESULTS)."
            )
    parent = Path(root.base).parent
    while parent != parent.parent and not parent.exists():
        parent = parent.parent
    if parent.is_file():
        raise ConfigError(
            f"The results root {root.uri!r} cannot be created: {str(parent)!r} is a file, not a "
            "directory. Pass a directory with --results DIR (or $RAYSWEEP_RESULTS)."
        )


def ensure_dir(root: Root, path: str) -> None:
    try:
        root.fs.create_dir(path, recursive=True)
    except OSError as exc:
        raise StorageError(f"Could not create {path!r} under results root {root.uri!r}: {exc}") from exc


def atomic_write(root: Root, table: pa.Table, directory: str, name: str) -> str:
    """Write ``table`` to ``directory/name`` through a hidden temporary file and a rename.

    Readers (raysweep, pyarrow, DuckDB globbing ``*.parquet``) never see a half-written file: the
    temporary name starts with '.' and does not end in '.parquet'. On object stores a move is a
    copy; there the object PUT itself is atomic.
    """
    final = f"{directory}/{name}"
    tmp = f"{directory}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with root.fs.open_output_stream(tmp) as sink:
            pq.write_table(table, sink, compression="zstd")
        root.fs.move(tmp, final)
    except OSError as exc:
        raise StorageError(f"Could not write {final!r} under results root {root.uri!r}: {exc}") from exc
    return final


def delete_files(root: Root, paths: list[str]) -> None:
    for path in paths:
        try:
            root.fs.delete_file(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StorageError(f"Could not delete {path!r} under {root.uri!r}: {exc}") from exc


class ResultsWarning(UserWarning):
    """A results file could not be read and was skipped."""


