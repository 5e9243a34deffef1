"""Run folders, and how every file of this suite is written (whole, under locks, errors named).

Layout: ``reports/runs/<variant-slug>/<timestamp>-<random>/`` holding ``results.json`` and one
``samples_<task>.jsonl`` per task. The folder is written as ``<name>.partial/`` and renamed
only when the run completes, so an interrupted run never leaves a results file that looks
complete; what it finished stays in the partial folder (samples and ``results.partial.json``).

Concurrent writers: a run folder is created by one ``mkdir`` that fails if the name is taken
(so two runs started in the same second never share one), every file is written whole
(:func:`atomic_write_text`), and files several processes rewrite (the reports' matrix and index,
a converted GGUF folder) are written under :func:`file_lock`. A file that cannot be written
(permission denied, disk full, a file where a folder should be) raises
:class:`evals.errors.OutputError` naming the path.

What a run measured (the values written into ``results.json``) is :mod:`evals.runs.results`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evals.errors import OutputError
from evals.secrets import redact_known

RESULTS_FILE = "results.json"
PARTIAL_RESULTS_FILE = "results.partial.json"
SCHEMA_VERSION = 4  # 4: run_spec.json; 3: clusters, interval methods and trivial baselines


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
        path, json.dumps(value, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
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


def _jsonable(value: Any) -> Any:
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


class RunFolder:
    """A run folder being written; renamed from ``.partial`` when :meth:`finish` is called.

    Its name is the UTC second the run started plus a random number, as in
    ``20250101T120000Z-042137``: names sort by time, and the folder is made by one ``mkdir`` that
    fails if the name exists, so runs started together (threads or processes) never share one."""

    def __init__(self, runs_root: Path, variant_name: str) -> None:
        parent = runs_root / slugify(variant_name)
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(err, parent) from None
        while True:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            name = f"{stamp}-{secrets.randbelow(1_000_000):06d}"
            path = parent / f"{name}.partial"
            if (parent / name).exists():
                continue  # taken by a finished run (its .partial was renamed away)
            try:
                path.mkdir()
            except FileExistsError:
                continue  # another run took this name first: draw again
            except OSError as err:
                raise output_error(err, path) from None
            break
        self.final_path = parent / name
        self.path = path

    def write_samples(self, task: str, records: Sequence[Mapping[str, Any]]) -> str:
        """Write one task's samples JSONL; returns its name relative to the folder."""
        name = f"samples_{task}.jsonl"
        text = "".join(json.dumps(r, ensure_ascii=False, default=_jsonable) + "\n" for r in records)
        atomic_write_text(self.path / name, text)
        return name

    def write_progress(self, results: Mapping[str, Any]) -> None:
        """Record what has finished so far (kept if the run dies)."""
        write_json(self.path / PARTIAL_RESULTS_FILE, results)

    def finish(self, results: Mapping[str, Any]) -> Path:
        """Write ``results.json`` and give the folder its final name."""
        write_json(self.path / RESULTS_FILE, results)
        try:
            (self.path / PARTIAL_RESULTS_FILE).unlink(missing_ok=True)
            self.path.rename(self.final_path)
        except OSError as err:
            raise output_error(err, self.final_path) from None
        self.path = self.final_path
        return self.final_path


def load_results(run_folder: Path) -> dict[str, Any]:
    """Read a finished run's ``results.json``."""
    path = run_folder / RESULTS_FILE
    return json.loads(path.read_text(encoding="utf-8"))
