"""Bad input: one clear line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from evals.cli import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "./missing-model"], "model path not found: ./missing-model"),
        (["--model", "/nope/x.gguf"], "GGUF file not found"),
        (["--model", "what is this"], "unknown model spec"),
        (["--tasks", "sentiment,poetry"], "unknown use case 'poetry'"),
        (["--objective", "rlhf", "--tasks", "qa"], "unknown objective"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    code = main(["eval", "--model", f"openai-chat:http://127.0.0.1:{port}/v1@m", "--tasks", "qa"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    url = f"http://127.0.0.1:{port}/v1"
    assert err == f"error: model server at {url} is unreachable: [Errno 111] Connection refused"


def test_no_traceback_from_the_real_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "evals", "eval", "--model", str(tmp_path / "nothing.gguf")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: GGUF file not found: {tmp_path / 'nothing.gguf'}"


def test_vllm_without_the_package_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    assert main(["eval", "--model", "vllm:pretrained=org/x-13b", "--tasks", "qa"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: backend 'vllm' needs a package that is not installed (vllm); "
        "try: pip install 'lm-eval[vllm]'"
    )
