"""Cache upkeep: a corrupt request-cache file is moved aside and the run goes on; `evals cache
info` and `prune` see and remove what is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cache.store import RequestStore
from evals.cli import main


def test_a_corrupt_cache_file_is_moved_aside_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "requests" / "x.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, it is junk" * 100)
    store = RequestStore(path, "model-x")
    store.put("k", {"a": 1})
    assert store.get_many(["k"]) == {"k": {"a": 1}}
    (aside,) = list(path.parent.glob("x.sqlite.corrupt-*"))
    assert aside.read_bytes().startswith(b"this is not a database")
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "unreadable" in warning.getMessage() and str(aside) in warning.getMessage()


def test_truncated_cache_file_does_not_stop_a_run(
    tiny_chat_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "cache"))
    args = [
        "eval",
        "--model",
        str(tiny_chat_model),
        "--tasks",
        "sentiment",
        "--limit",
        "4",
        "--output",
        str(tmp_path / "runs"),
    ]
    assert main(args) == 0
    first = json.loads(next((tmp_path / "runs").glob("*/*/results.json")).read_text())
    (db,) = (tmp_path / "cache" / "requests").glob("*.sqlite")
    for companion in db.parent.glob(db.name + "-*"):
        companion.unlink()
    # Truncated mid-page, as a crashed copy or a full disk leaves it (a new file: an open
    # connection of the first run in this same process must not serve it from memory).
    data = db.read_bytes()[:100]
    db.unlink()
    db.write_bytes(data)
    args[-1] = str(tmp_path / "runs2")  # not served warm from the first run: ask the cache
    assert main(args) == 0
    newest = next((tmp_path / "runs2").glob("*/*/results.json"))
    assert json.loads(newest.read_text())["requests"] == {
        "from_cache": 0,
        "computed": first["requests"]["computed"],
    }
    assert list(db.parent.glob(db.name + ".corrupt-*"))


def test_cache_info_and_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path))
    RequestStore(tmp_path / "requests" / "a.sqlite", "alpha").put("k", 1)
    RequestStore(tmp_path / "requests" / "b.sqlite", "beta").put("k", 2)
    (tmp_path / "gguf" / ("f" * 64)).mkdir(parents=True)
    (tmp_path / "gguf" / ("f" * 64) / "model.safetensors").write_bytes(b"0" * 2048)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"cache: {tmp_path}") and "alpha, 1 answers  a.sqlite" in out
    assert "gguf" in out and "beta, 1 answers" in out
    assert main(["cache", "prune"]) == 2
    assert main(["cache", "prune", "--model", "alpha"]) == 0
    assert "removed 1 cache entries" in capsys.readouterr().out
    assert not (tmp_path / "requests" / "a.sqlite").exists()
    assert (tmp_path / "requests" / "b.sqlite").exists()
    assert main(["cache", "prune", "--older-than", "0"]) == 0
    assert not any((tmp_path / "requests").glob("*.sqlite"))
    assert not (tmp_path / "gguf" / ("f" * 64)).exists()
