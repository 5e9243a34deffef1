"""How every file of this suite is written: whole (a reader sees the old or the new content,
never half), credentials replaced first, under a lock where several processes write, and a
file that cannot be written named in one :class:`evals.errors.OutputError`."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from evals.errors import OutputError
from evals.secrets import redact_known


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see either the old content or the whole new content.

    Every credential the process has seen (:mod:`evals.secrets`) is replaced first, and a lone
    surrogate (model output can hold one) is written as its ``\\uXXXX`` escape, which JSON reads
    back as the same character. Raises :class:`OutputError` naming ``path`` when it cannot be
    written."""
    text = redact_known(text)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError as err:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise output_error(err, path) from None


def write_json(path: Path, value: Any) -> None:
    """Atomic, pretty JSON."""
    atomic_write_text(
        path, json.dumps(value, indent=2, ensure_ascii=False, default=jsonable) + "\n"
    )


def output_error(err: OSError, path: Path) -> OutputError:
    """One line for a file that could not be written: the path and what the system said."""
    reason = err.strerror or str(err) or type(err).__name__
    return OutputError(f"cannot write {path}: {reason}")


_held_locks = threading.local()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (``fcntl.flock`` on ``<path>.lock``) while writing ``path``.

    Other processes, and other threads of this one, wait until it is released; the same thread
    may take it again inside (no deadlock). The lock file stays: removing it would let a waiter
    and a newcomer lock two different files. POSIX only."""
    lock_path = path.with_name(f"{path.name}.lock").absolute()
    held: set[Path] | None = getattr(_held_locks, "paths", None)
    if held is None:
        held = _held_locks.paths = set()
    if lock_path in held:
        yield
        return
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise output_error(err, lock_path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(lock_path)
        try:
            yield
        finally:
            held.discard(lock_path)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def reports_lock(reports_root: Path) -> AbstractContextManager[None]:
    """The one lock every writer of shared report files holds (``matrix.json``, ``matrix.md``,
    the family files and the site pages); its file lies in ``reports/families/``."""
    return file_lock(reports_root / "families" / ".reports")


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A copy of ``target`` (empty when there is none) beside it, to write a new version into.
    On success the copy replaces ``target`` (two renames); on any error ``target`` is left as
    it was and the copy removed, so a build that fails midway never leaves half a site. Hold
    the lock of ``target``'s writers around it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
        stage.chmod(0o755)  # mkdtemp's 0700 would hide a published site from the web server
        if target.is_dir():
            shutil.copytree(target, stage, dirs_exist_ok=True)
    except OSError as err:
        raise output_error(err, target) from None
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = stage.with_name(stage.name.replace("-new-", "-old-"))
    try:
        if target.exists():
            target.rename(old)
        stage.rename(target)
    except OSError as err:
        shutil.rmtree(stage, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)
        raise output_error(err, target) from None
    shutil.rmtree(old, ignore_errors=True)


def unique_folder(base: Path) -> Path:
    """Create and return ``base``, or ``base-2``, ``base-3``… if taken: one ``mkdir`` each that
    fails when the name exists, so concurrent callers never get the same folder."""
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(err, base.parent) from None
    for counter in range(1, 10_000):
        path = base if counter == 1 else base.with_name(f"{base.name}-{counter}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise output_error(err, path) from None
        return path
    raise OutputError(f"cannot write {base}: too many folders of that name")


def jsonable(value: Any) -> Any:
    """What ``json`` cannot write itself: result objects by their ``to_dict`` (such as
    :class:`evals.runs.results.UseCaseResult`), numpy values by ``tolist``, anything else as
    text."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def slugify(name: str) -> str:
    """A folder-safe version of a variant name."""
    # Leading dots go too: ``..`` or ``.`` would name a folder outside the run store (or the
    # store itself), and a hidden folder would be skipped by readers.
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lstrip(".").strip("-") or "model"
