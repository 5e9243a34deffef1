"""The request cache's storage: one SQLite file of request key → answer per variant, under
``<cache>/requests/``, each answer committed the moment it is stored. Kept apart from the lm-eval
wrapper (:mod:`evals.cache.requests`) so that what only reads or tidies the cache (warm runs,
``evals cache``) does not import lm-eval.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from evals.fingerprint import cache_root, sha256_text

log = logging.getLogger(__name__)


def cache_enabled() -> bool:
    """Whether model requests are cached (``EVALS_REQUEST_CACHE`` not set to off/0/false)."""
    return os.environ.get("EVALS_REQUEST_CACHE", "on").lower() not in {"off", "0", "false", "no"}


def request_key(namespace: str, method: str, args: Iterable[Any]) -> str:
    """The cache key of one request."""
    payload = json.dumps(
        [namespace, method, list(args)], sort_keys=True, ensure_ascii=False, default=str
    )
    return sha256_text(payload)


class RequestStore:
    """Request key → answer (JSON) in one SQLite file; each write is committed at once. A file
    found corrupt — at opening or at any later read or write, wherever in the file the damage
    is — is moved aside with one warning and the run goes on with a fresh file (what it held
    is recomputed)."""

    def __init__(self, path: Path, label: str = "") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.label = label
        self._lock = threading.Lock()
        try:
            self._db = self._open(path, label)
        except sqlite3.DatabaseError as err:  # truncated or overwritten: keep it, start afresh
            self._db = self._reopen(err)

    def _reopen(self, err: sqlite3.DatabaseError) -> sqlite3.Connection:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        aside = set_aside(self.path)
        log.warning(
            "request cache %s is unreadable (%s); moved aside to %s, recomputing",
            self.path,
            err,
            aside,
        )
        return self._open(self.path, self.label)

    @staticmethod
    def _open(path: Path, label: str) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # Damage past the header passes a COUNT; quick_check reads every page (a few ms
            # for a few MB) and finds it before the first answer is trusted.
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {verdict}")
            if label:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (label,))
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The stored answers among ``keys`` (none, if the file turns out corrupt)."""
        found: dict[str, Any] = {}
        with self._lock:
            try:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(
                        f"SELECT key, value FROM answers WHERE key IN ({marks})", chunk
                    ).fetchall()
                    found.update((k, json.loads(v)) for k, v in rows)
            except (sqlite3.DatabaseError, json.JSONDecodeError) as err:
                self._db = self._reopen(sqlite3.DatabaseError(str(err)))
                return {}
        return found

    def put(self, key: str, value: Any) -> None:
        """Store one answer (committed before returning). ASCII JSON: a reply holding a lone
        surrogate (``\\ud800``) is stored escaped, since SQLite's text must be valid UTF-8."""
        text = json.dumps(value, ensure_ascii=True)
        with self._lock:
            try:
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, text))
            except sqlite3.DatabaseError as err:
                self._db = self._reopen(err)
                self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, text))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


class NoStore:
    """The request cache turned off: nothing kept, nothing found."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        return {}

    def put(self, key: str, value: Any) -> None:
        pass

    def __len__(self) -> int:
        return 0


def set_aside(path: Path) -> Path:
    """Move an unreadable cache file (and its WAL/SHM companions) out of the way."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}-{os.getpid()}")
    for suffix in ("", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + suffix))
    return aside


def requests_dir() -> Path:
    """Where the request cache's SQLite files live."""
    return cache_root() / "requests"
