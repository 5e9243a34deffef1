"""Hostile programs against the code sandbox (evals/sandbox.py): every one is contained and its
reason recorded. No test sends traffic off this machine: the network test connects only to a
listener this test opens on 127.0.0.1, and "no route" is read from the namespace's own tables."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path

import pytest

from evals import sandbox
from evals.sandbox import Limits, Outcome, SandboxUnavailable, find_sandbox, run_programs

if not sandbox._bwrap_works():
    if os.environ.get("CI"):
        raise RuntimeError("CI must have bubblewrap (.ci/run installs it)")
    pytest.skip("bubblewrap is not installed here (make install adds it where it can)",
                allow_module_level=True)  # fmt: skip

LIMITS = Limits(wall_seconds=6, cpu_seconds=3, memory_mb=512, processes=16, file_size_mb=4)
SECRET = "sk-planted-7c1e9a"


@pytest.fixture(scope="module")
def listener() -> tuple[int, list[str]]:
    """A TCP listener on the host's loopback that records any connection it gets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = server.accept()
            except TimeoutError:
                continue
            seen.append(str(addr))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1]), seen
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def outcomes(
    listener: tuple[int, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every hostile program, run in parallel as a real evaluation would."""
    port, _ = listener
    host = tmp_path_factory.mktemp("host")
    (host / ".ssh").mkdir()
    (host / ".ssh" / "id_rsa").write_text(SECRET)
    os.environ["EVALS_TEST_PLANTED_TOKEN"] = SECRET  # in the parent's environment
    programs = {
        "infinite loop": "while True:\n    pass\n",
        "sleeps forever": "import time\ntime.sleep(10_000)\n",
        "fork bomb": "import os\nwhile True:\n    os.fork()\n",
        "4 GB allocation": "block = bytearray(4 * 1024**3)\n",
        "connect to the host's 127.0.0.1": (
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        ),
        "write outside the working directory": (
            f"open({str(host / 'escaped.txt')!r}, 'w').write('x')\n"
        ),
        "write to the system": "open('/usr/escaped.txt', 'w').write('x')\n",
        "read ~/.ssh": f"print(open({str(host / '.ssh' / 'id_rsa')!r}).read())\n",
        "read the parent's environment": (
            "import os\nprint(dict(os.environ))\n"
            "assert 'EVALS_TEST_PLANTED_TOKEN' not in os.environ\n"
            "print(open('/proc/1/environ', 'rb').read())\n"
            f"open('/proc/{os.getppid()}/environ', 'rb').read()\n"
        ),
        "kill the parent process": f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)\n",
        "print 100 MB": "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 2**20)\n",
        "exit(0) before its tests": "import sys\nsys.exit(0)\nassert False\n",
        "os._exit(0) before its tests": "import os\nos._exit(0)\nassert False\n",
        "forge the status file": (
            "import json, os\nopen('.status', 'w').write(json.dumps({'token': 'guess',"
            " 'status': 'passed', 'detail': ''}))\nos._exit(0)\n"
        ),
        "a correct solution": "def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n",
        "a wrong solution": "def add(a, b):\n    return a - b\nassert add(2, 3) == 5\n",
    }
    results = run_programs(list(programs.values()), LIMITS, "bwrap", workers=2)
    os.environ.pop("EVALS_TEST_PLANTED_TOKEN")
    found = dict(zip(programs, results, strict=True))
    found["_host"] = host  # type: ignore[assignment]
    return found


@pytest.mark.parametrize(
    ("program", "status"),
    [
        ("infinite loop", "timeout"),
        ("sleeps forever", "timeout"),
        ("fork bomb", "process_limit"),
        ("4 GB allocation", "memory"),
        ("connect to the host's 127.0.0.1", "forbidden"),
        ("write outside the working directory", "forbidden"),
        ("write to the system", "forbidden"),
        ("read ~/.ssh", "forbidden"),
        ("kill the parent process", "forbidden"),
        ("print 100 MB", "output_limit"),
        ("exit(0) before its tests", "exited"),
        ("os._exit(0) before its tests", "exited"),
        ("forge the status file", "exited"),
        ("a correct solution", "passed"),
        ("a wrong solution", "failed"),
    ],
)
def test_each_hostile_program_is_contained_with_its_reason(
    outcomes: dict[str, Outcome], program: str, status: str
) -> None:
    outcome = outcomes[program]
    assert (outcome.status, outcome.sandbox) == (status, "bwrap"), outcome
    assert outcome.seconds < LIMITS.wall_seconds + 2
    assert len(outcome.output) <= 2000


def test_nothing_leaked_or_escaped(
    outcomes: dict[str, Outcome], listener: tuple[int, list[str]]
) -> None:
    host: Path = outcomes["_host"]  # type: ignore[assignment]
    assert not (host / "escaped.txt").exists() and not Path("/usr/escaped.txt").exists()
    assert listener[1] == []  # the host's listener never saw a connection
    for name, outcome in outcomes.items():
        if isinstance(outcome, Outcome):
            assert SECRET not in outcome.output, name
    environment = outcomes["read the parent's environment"]
    assert environment.status == "forbidden", environment  # /proc shows only its own processes
    assert "'HOME': '/work'" in environment.output and "EVALS_TEST" not in environment.output


def test_the_namespace_has_no_route_and_only_loopback() -> None:
    program = (
        "routes = open('/proc/net/route').read().splitlines()[1:]\n"
        "devices = [line.split(':')[0].strip() for line in open('/proc/net/dev')][2:]\n"
        "print(routes, devices)\n"
        "assert routes == [] and devices == ['lo'], (routes, devices)\n"
    )
    (outcome,) = run_programs([program], LIMITS, "bwrap")
    assert outcome.status == "passed", outcome


def test_no_sandbox_refuses_unless_unsafe_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # a machine without bubblewrap
    sandbox._bwrap_works.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match=r"install bubblewrap .* --unsafe-no-sandbox"):
            find_sandbox()
        assert find_sandbox(allow_unsafe=True) == "none"
    finally:
        monkeypatch.undo()
        sandbox._bwrap_works.cache_clear()
    assert find_sandbox() == "bwrap"


def test_unsandboxed_runs_still_have_limits_and_say_so() -> None:
    correct, loop = run_programs(
        ["assert sum(range(4)) == 6\n", "while True:\n    pass\n"], LIMITS, "none"
    )
    assert (correct.status, correct.sandbox) == ("passed", "none")
    assert loop.status == "timeout"


def test_signals_name_the_reason() -> None:
    assert sandbox._status(Path("/nonexistent"), "t", -signal.SIGXCPU, False)[0] == "timeout"
    assert sandbox._status(Path("/nonexistent"), "t", -signal.SIGXFSZ, False)[0] == "output_limit"
    assert sandbox._status(Path("/nonexistent"), "t", 0, True) == ("timeout", "wall-time limit")
