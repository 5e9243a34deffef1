"""``evals cache info|prune``: what the on-disk caches hold, and removing what is not needed.

Two caches live under ``EVALS_CACHE_DIR`` (default ``~/.cache/evals``): the request cache
(``requests/*.sqlite``, one file per variant and dtype) and converted GGUF models
(``gguf/<sha256>/``, a transformers folder about five times the size of the GGUF file, kept so
a later run loads in seconds).
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from evals.cache.store import requests_dir
from evals.fingerprint import cache_root


@dataclass(frozen=True)
class CacheEntry:
    """One cache file or folder."""

    path: Path
    """Where it is."""

    kind: str
    """``requests`` or ``gguf``."""

    model: str
    """The variant it belongs to (as recorded; ``?`` for files written before labels)."""

    size: int
    """Bytes on disk."""

    answers: int | None
    """Stored answers (request cache files)."""

    modified: float
    """Last write (seconds since the epoch)."""


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _request_entry(path: Path) -> CacheEntry:
    model, answers = "?", None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            answers = int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            row = (
                db.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
                if "meta" in tables
                else None
            )
            model = str(row[0]) if row else "?"
    except sqlite3.DatabaseError:
        model = "? (unreadable)"
    size = sum(
        _size(path.with_name(path.name + s))
        for s in ("", "-wal", "-shm")
        if path.with_name(path.name + s).exists()
    )
    return CacheEntry(path, "requests", model, size, answers, path.stat().st_mtime)


def entries() -> list[CacheEntry]:
    """Every request-cache file and converted GGUF folder."""
    found = [_request_entry(p) for p in sorted(requests_dir().glob("*.sqlite"))]
    gguf = cache_root() / "gguf"
    if gguf.is_dir():
        for folder in sorted(p for p in gguf.iterdir() if p.is_dir()):
            found.append(
                CacheEntry(
                    folder, "gguf", folder.name[:16], _size(folder), None, folder.stat().st_mtime
                )
            )
    return found


def _human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def info_lines() -> list[str]:
    """What ``evals cache info`` prints."""
    found = entries()
    lines = [f"cache: {cache_root()} ({_human(sum(e.size for e in found))})"]
    for e in found:
        age = (time.time() - e.modified) / 86400
        held = f", {e.answers} answers" if e.answers is not None else ""
        lines.append(
            f"  {e.kind:8s} {_human(e.size):>9s}  {age:5.1f} days  {e.model}{held}  {e.path.name}"
        )
    return lines


def prune(older_than_days: float | None, model: str | None) -> list[CacheEntry]:
    """Remove the entries older than ``older_than_days`` and/or of ``model``; returns them."""
    now = time.time()
    removed = []
    for e in entries():
        if older_than_days is not None and now - e.modified < older_than_days * 86400:
            continue
        if model is not None and e.model != model:
            continue
        if e.kind == "gguf":
            shutil.rmtree(e.path, ignore_errors=True)
        else:
            for suffix in ("", "-wal", "-shm"):
                e.path.with_name(e.path.name + suffix).unlink(missing_ok=True)
        removed.append(e)
    return removed
