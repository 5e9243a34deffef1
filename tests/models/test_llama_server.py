"""The OpenAI-compatible path against a real server users run: llama.cpp's
(``llama-cpp-python[server]``) serving the embedded GGUF on loopback, both completions and
chat-completions, under faults injected by a proxy: 5xx replies, a stall past the client's
timeout, a dropped connection, the server killed mid-run and restarted, and a server that stays
dead (one clear line, then a re-run resumes from the request cache)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.cli import main
from evals.runs.folder import RESULTS_FILE
from tests.helpers import only_run
from tests.llama_server import MODEL_ALIAS, FaultProxy, LlamaServer

pytestmark = pytest.mark.server

pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")

LIMIT = 4


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    llama = LlamaServer()
    llama.start()
    yield llama
    llama.kill()


@pytest.fixture
def proxy(server: LlamaServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(server)
    yield fault_proxy
    fault_proxy.close()
    if server.proc is None or server.proc.poll() is not None:
        server.start()


def _eval(
    proxy: FaultProxy,
    kind: str,
    runs: Path,
    *,
    tasks: str = "qa",
    limit: int = LIMIT,
    args: str = "max_retries=4,timeout=30",
) -> int:
    return main(
        [
            "eval",
            "--model",
            f"openai-{kind}:{proxy.base_url}@{MODEL_ALIAS}",
            "--model-args",
            args,
            "--tasks",
            tasks,
            "--limit",
            str(limit),
            "--batch-size",
            "1",
            "--output",
            str(runs),
        ]
    )


def _run(runs: Path) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    folder = only_run(runs)
    results = json.loads((folder / RESULTS_FILE).read_text())
    outputs = {}
    for name, entry in results["use_cases"].items():
        samples = [json.loads(x) for x in (folder / entry["samples_files"][0]).open()]
        outputs[name] = [s["parsed"] for s in samples]
    return results, outputs


def test_completions_and_chat_completions(proxy: FaultProxy, tmp_path: Path) -> None:
    assert _eval(proxy, "completions", tmp_path / "c") == 0
    results, outputs = _run(tmp_path / "c")
    assert (
        results["prompt_mode"] == "completion"
        and results["model"]["backend"] == "local-completions"
    )
    assert len(outputs["qa"]) == LIMIT and results["requests"]["computed"] == LIMIT
    assert _eval(proxy, "chat", tmp_path / "h", tasks="chat,sentiment", limit=3) == 0
    results, outputs = _run(tmp_path / "h")
    assert results["prompt_mode"] == "chat"
    assert results["model"]["backend"] == "local-chat-completions"
    assert any(reply for dialogue in outputs["chat"] for reply in dialogue)  # real text came back
    assert "sentiment_choice" in results["use_cases"]["sentiment"]["skipped_tasks"]


def test_errors_stalls_and_drops_are_retried(
    proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _eval(proxy, "completions", tmp_path / "clean") == 0
    _, clean = _run(tmp_path / "clean")
    monkeypatch.setenv("EVALS_CACHE_DIR", str(tmp_path / "empty-cache"))  # every request is sent
    proxy.log.clear()
    proxy.plan = ["503", "drop", "stall", "pass", "503"]
    proxy.stall_s = 25.0  # past the 12 s timeout, which real answers stay well under
    started = time.monotonic()
    code = _eval(proxy, "completions", tmp_path / "faulty", args="max_retries=6,timeout=12")
    assert code == 0
    _, faulty = _run(tmp_path / "faulty")
    assert faulty == clean  # greedy answers, unchanged by the faults
    assert proxy.log[:5] == ["503", "drop", "stall", "pass", "503"]
    assert time.monotonic() - started < 180


def test_server_killed_mid_run_and_restarted(
    server: LlamaServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.plan = ["pass", "pass", "kill"]
    assert _eval(proxy, "completions", tmp_path, args="max_retries=8,timeout=30") == 0
    _, outputs = _run(tmp_path)
    assert "kill" in proxy.log and len(outputs["qa"]) == LIMIT
    assert server.proc is not None and server.proc.poll() is None  # restarted and serving


def test_dead_server_one_line_then_resume_from_cache(
    proxy: FaultProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy.plan = ["pass", "pass"]
    proxy.then = "503"
    started = time.monotonic()
    code = _eval(proxy, "completions", tmp_path, args="max_retries=2,timeout=30")
    assert time.monotonic() - started < 60
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == err[-1]
    assert "model backend failed during qa" in errors[0]
    proxy.then = "pass"
    assert _eval(proxy, "completions", tmp_path / "again") == 0
    results, outputs = _run(tmp_path / "again")
    assert results["requests"] == {"from_cache": 2, "computed": LIMIT - 2}
    assert len(outputs["qa"]) == LIMIT
