"""Content hashes that identify what produced a result: model files, data files, templates."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def cache_root() -> Path:
    """Where converted models and hash memos live (``EVALS_CACHE_DIR``, else ``~/.cache/evals``)."""
    root = Path(os.environ.get("EVALS_CACHE_DIR") or Path.home() / ".cache" / "evals")
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(value: Any) -> str:
    """Hex SHA-256 of a JSON value in canonical form (sorted keys, no spaces)."""
    return sha256_text(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, memoised on (path, size, mtime) so a multi-GB model file
    is read once, not on every run."""
    path = path.resolve()
    stat = path.stat()
    memo_path = cache_root() / "file-hashes.json"
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    try:
        memo: dict[str, str] = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if key in memo:
        return memo[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    memo[key] = digest.hexdigest()
    tmp = memo_path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(memo, indent=0))
    tmp.replace(memo_path)
    return memo[key]


def sha256_files(paths: Iterable[Path]) -> str:
    """One hash over several files, in the order given (names excluded: content only)."""
    return sha256_text("".join(sha256_file(p) for p in paths))


def model_folder_hash(folder: Path) -> str:
    """Hash of a model folder: its weights, config and tokenizer files."""
    wanted = (".safetensors", ".bin", ".json", ".model", ".txt", ".gguf", ".jinja")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in wanted)
    return sha256_text("".join(f"{p.name}:{sha256_file(p)}" for p in files))
