"""Hostile programs against the code sandbox (evals/sandbox/): every one is contained and its
reason recorded, within its time limit. No test sends traffic off this machine: the network test
connects only to a listener this test opens on 127.0.0.1, and "no route" is read from the
namespace's own tables. Tests of per-sample control groups and per-slot uids run where this
process is root and may create groups (as on CI's runners and the project's machines)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from evals import sandbox
from evals.sandbox import (
    Limits,
    Outcome,
    Program,
    SandboxUnavailable,
    cgroups,
    find_sandbox,
    run_programs,
    verdict,
)
from tests.helpers import require

pytestmark = pytest.mark.sandbox

require(
    sandbox.bwrap_works(),
    "bubblewrap is not installed here (make install adds it where it can)",
    module=True,
)

needs_groups = pytest.mark.skipif(
    os.geteuid() != 0 or not cgroups.available(), reason="no per-sample control groups here"
)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="one uid per slot needs root")

LIMITS = Limits(
    wall_seconds=6, cpu_seconds=3, memory_mb=512, processes=16, file_size_mb=4, disk_mb=16
)
SECRET = "sk-planted-7c1e9a"


FORGE = """import os, sys
def f(x):
    seen = []
    frame = sys._getframe()
    while frame is not None:
        seen += [str(v) for v in frame.f_locals.values()] + [str(frame.f_globals)]
        frame = frame.f_back
    lines = [f"{s}\\tpassed\\t\\n".encode() for s in seen]
    for fd in range(3, 64):
        for line in lines:
            try:
                os.write(fd, line)
            except OSError:
                pass
    for pid in os.listdir("/proc"):
        for fd in range(64) if pid.isdigit() else ():
            try:
                with open(f"/proc/{pid}/fd/{fd}", "wb") as handle:
                    handle.write(b"".join(lines))
            except OSError:
                pass
"""
ALWAYS_EQUAL = """class T:
    def __eq__(self, other):
        return True
    def __bool__(self):
        return True
def f(x):
    return T()
"""
READ_TESTS = """import os
def f(x):
    data = b""
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            fds = [f"fd/{n}" for n in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            fds = []
        for name in ["cmdline", "environ", "mem", *fds]:
            try:
                fd = os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_NONBLOCK)
                try:
                    data += os.read(fd, 1 << 20)
                finally:
                    os.close(fd)
            except OSError:
                pass
    return 2 if b"EXPECTED-7f3a" in data else 0
"""
FILL = "i = 0\nwhile True:\n    open(f'{folder}/{{i}}', 'wb').write(b'x' * 2**21)\n    i += 1\n"
TESTS_WITH_SECRET = "expected = 'EXPECTED-7f3a'\nassert f(1) == 2, expected\n"
NODES = """class Node:
    def __init__(self, data):
        self.data, self.left = data, None
def depth(node):
    return 0 if node is None else 1 + depth(node.left)
def doubled(xs):
    return map(lambda x: 2 * x, xs)
"""
NODE_TESTS = """root = Node(1)
root.left = Node(2)
root.left.left = Node(3)
assert depth(root) == 3 and [depth(n) for n in [root, root.left]] == [3, 2]
assert root.left.data == 2 and list(doubled([1, 2])) == [2, 4]
"""


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
        "a FIFO where the status file was": (
            "import os\nos.mkfifo('/work/.status')\nos.mkfifo('/work/.status.tmp')\nos._exit(0)\n"
        ),
        "the status file a link to /dev/zero": (
            "import os\nos.symlink('/dev/zero', '/work/.status')\n"
            "os.symlink('/dev/zero', '/work/.stdout')\nos._exit(0)\n"
        ),
        "the status file a link to /dev/urandom": (
            "import os\nos.symlink('/dev/urandom', '/work/.status')\nos._exit(0)\n"
        ),
        "fill /work": FILL.format(folder="/work"),
        "fill /tmp": FILL.format(folder="/tmp"),
        "walk the frames for the token, forge a pass on every descriptor": Program(
            FORGE + "    os._exit(0)\n", "assert f(1) == 2\n"
        ),
        "walk the frames, forge a pass, then answer wrong": Program(
            FORGE + "    return 3\n", "assert f(1) == 2\n"
        ),
        "an object whose == is always true": Program(ALWAYS_EQUAL, "assert f(1) == 2\n"),
        "a list subclass whose == is always true": Program(
            "class T(list):\n    def __eq__(self, other):\n        return True\n"
            "def f(x):\n    return T()\n",
            "assert f(1) == [2]\n",
        ),
        "an int subclass whose == is always true": Program(
            "class T(int):\n    def __eq__(self, other):\n        return True\n"
            "    __hash__ = int.__hash__\ndef f(x):\n    return T(7)\n",
            "assert f(1) == 2\n",
        ),
        "a non-plain object's truth, asked across": Program(ALWAYS_EQUAL, "assert not f(1)\n"),
        "redefine the problem's helper the test calls": Program(
            "def poly(xs, x):\n    return 0\ndef find_zero(xs):\n    return 0.5\n",
            "assert abs(poly([1, 2], find_zero([1, 2]))) < 1e-6\n",
            context="def poly(xs, x):\n    return sum(c * x**i for i, c in enumerate(xs))\n"
            "def find_zero(xs):\n    pass\n",
            entry=("find_zero",),
        ),
        "read the tests from the harness's process": Program(READ_TESTS, TESTS_WITH_SECRET),
        "shadow a built-in the test calls": Program(
            "def abs(x):\n    return 0\ndef f(x):\n    return 9.0\n",
            "assert abs(f(1) - 2.5) < 1e-6\n",
        ),
        "shadow a module the test uses": Program(
            "import math\nclass math:\n    def isclose(*args, **kwargs):\n        return True\n"
            "def f(x):\n    return 0.0\n",
            "assert math.isclose(f(1), 2.5)\n",
        ),
        "a function under test named as a built-in (MBPP 126)": Program(
            "def sum(a, b):\n    return a + b\n", "assert sum(1, 2) == 3\n", entry=("sum",)
        ),
        "exit from inside a call": Program(
            "def f(x):\n    raise SystemExit(0)\n", "assert f(1) == 1\n"
        ),
        "a correct solution called across the boundary": Program(
            "def f(x):\n    return {'x': [x, (x, b'x')], 'n': None}\n",
            "assert f(1) == {'x': [1, (1, b'x')], 'n': None}\n",
        ),
        "objects of the solution's classes, iterators": Program(NODES, NODE_TESTS),
    }
    results = run_programs(list(programs.values()), LIMITS, "bwrap", workers=2)
    os.environ.pop("EVALS_TEST_PLANTED_TOKEN")
    found = dict(zip(programs, results, strict=True))
    found["_host"] = host  # type: ignore[assignment]
    return found


@pytest.mark.slow
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
        ("a FIFO where the status file was", "exited"),
        ("the status file a link to /dev/zero", "exited"),
        ("the status file a link to /dev/urandom", "exited"),
        ("fill /work", "output_limit"),
        ("fill /tmp", "output_limit"),
        ("walk the frames for the token, forge a pass on every descriptor", "error"),
        ("walk the frames, forge a pass, then answer wrong", "error"),
        ("an object whose == is always true", "failed"),
        ("a list subclass whose == is always true", "failed"),
        ("an int subclass whose == is always true", "failed"),
        ("a non-plain object's truth, asked across", "failed"),
        ("redefine the problem's helper the test calls", "failed"),
        ("read the tests from the harness's process", "failed"),
        ("shadow a built-in the test calls", "failed"),
        ("shadow a module the test uses", "failed"),
        ("a function under test named as a built-in (MBPP 126)", "passed"),
        ("exit from inside a call", "exited"),
        ("a correct solution called across the boundary", "passed"),
        ("objects of the solution's classes, iterators", "passed"),
    ],
)
def test_each_hostile_program_is_contained_with_its_reason(
    outcomes: dict[str, Outcome], program: str, status: str
) -> None:
    outcome = outcomes[program]
    assert (outcome.status, outcome.sandbox) == (status, "bwrap"), outcome
    assert outcome.seconds < LIMITS.wall_seconds + 2
    assert len(outcome.output) <= 2000


@pytest.mark.slow
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
    sandbox.forget_probe()
    try:
        with pytest.raises(SandboxUnavailable, match=r"install bubblewrap .* --unsafe-no-sandbox"):
            find_sandbox()
        assert find_sandbox(allow_unsafe=True) == "none"
    finally:
        monkeypatch.undo()
        sandbox.forget_probe()
    assert find_sandbox() == "bwrap"


def _path_with(tmp_path: Path, name: str, target: str | None, script: str = "") -> str:
    folder = tmp_path / "bin"
    folder.mkdir()
    if target is not None:
        (folder / name).symlink_to(target)
    else:
        (folder / name).write_text(script)
        (folder / name).chmod(stat.S_IRWXU)
    return str(folder)


def test_bwrap_outside_the_system_path_still_runs_samples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the check, so started by its full path (the sample's PATH is /usr/bin:/bin)."""
    real = shutil.which("bwrap")
    assert real is not None
    monkeypatch.setenv("PATH", _path_with(tmp_path, "bwrap", real))
    sandbox.forget_probe()
    try:
        assert sandbox.launch.bwrap_path() == str(tmp_path / "bin" / "bwrap")
        (outcome,) = run_programs(["assert 1 + 1 == 2\n"], LIMITS, find_sandbox())
        assert outcome.status == "passed", outcome
    finally:
        monkeypatch.undo()
        sandbox.forget_probe()


def test_a_bwrap_that_cannot_start_says_why_and_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ubuntu 24.04's AppArmor refuses unprivileged user namespaces: one line, with the fix."""
    said = "bwrap: setting up uid map: Permission denied"
    script = f"#!/bin/sh\necho '{said}' >&2\nexit 1\n"
    monkeypatch.setenv("PATH", _path_with(tmp_path, "bwrap", None, script))
    sandbox.forget_probe()
    try:
        with pytest.raises(SandboxUnavailable) as refused:
            find_sandbox()
        message = str(refused.value)
        assert said in message and "\n" not in message
        assert "sysctl kernel.apparmor_restrict_unprivileged_userns=0" in message
    finally:
        monkeypatch.undo()
        sandbox.forget_probe()


@pytest.mark.slow
def test_unsandboxed_runs_still_have_limits_and_say_so() -> None:
    correct, loop = run_programs(
        ["assert sum(range(4)) == 6\n", "while True:\n    pass\n"], LIMITS, "none"
    )
    assert (correct.status, correct.sandbox) == ("passed", "none")
    assert loop.status == "timeout"


@pytest.mark.slow
@needs_groups
def test_memory_is_one_budget_for_all_of_a_samples_processes() -> None:
    """Four processes of 200 MB each: under the 512 MB address-space limit of each, over the
    sample's 512 MB in all."""
    program = (
        "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
        "block = b'x' * (200 * 2**20)\ntime.sleep(2)\n"
    )
    started = time.monotonic()
    (outcome,) = run_programs([program], LIMITS, "bwrap")
    assert outcome.status == "memory", outcome
    assert time.monotonic() - started < LIMITS.wall_seconds + 2
    layout = cgroups.layout()
    assert layout is not None
    for parent in layout[1]:  # the sample's groups are gone with it
        assert not list(parent.glob(f"evals-sample-{os.getpid()}-*")), parent


@pytest.mark.slow
@needs_root
def test_a_threaded_solution_passes_beside_a_process_hoarder() -> None:
    """The hoarder takes every process its limit allows and holds them; the neighbour, started
    while it holds them, still starts its 12 threads (a uid, and a group, of its own)."""
    hoarder = (
        "import os, time\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(4)\n            os._exit(0)\nexcept OSError:\n    pass\n"
        "time.sleep(4)\n"
    )
    threaded = Program(
        "import threading\ndef f(n):\n    out = []\n"
        "    threads = [threading.Thread(target=out.append, args=(i,)) for i in range(n)]\n"
        "    for t in threads:\n        t.start()\n    for t in threads:\n        t.join()\n"
        "    return sorted(out)\n",
        "import time\ntime.sleep(1)\nassert f(12) == list(range(12))\n",
    )
    hoarding, neighbour = run_programs([hoarder, threaded], LIMITS, "bwrap", workers=2)
    assert neighbour.status == "passed", (neighbour, hoarding)


def test_only_the_harness_line_with_the_token_counts() -> None:
    forged = b"guess\tpassed\t\n\x00\xff garbage\n"
    assert verdict(forged, "t0k", 0, False) == ("exited", "exit code 0 before the tests finished")
    assert verdict(forged + b"t0k\tfailed\tAssertionError\n", "t0k", 0, False) == (
        "failed",
        "AssertionError",
    )
    assert verdict(b"t0k\tpassed\t\n", "t0k", -9, True) == ("passed", "")  # tests ended in time
    assert verdict(b"t0k\tnonsense\t\n", "t0k", 0, False)[0] == "exited"
    assert verdict(b"t0k\tfailed\tx\n", "t0k", 0, False, oom=True)[0] == "memory"
    cannot = "bwrap: Creating new namespace failed: Resource temporarily unavailable\n"
    assert verdict(b"", "t0k", 1, False, output=cannot) == ("process_limit", cannot.strip())
    assert verdict(b"", "t0k", 75, False)[0] == "process_limit"  # the harness could not fork


def test_signals_name_the_reason() -> None:
    assert verdict(b"", "t", -9 - 15, False)[0] == "timeout"  # SIGXCPU (24)
    assert verdict(b"", "t", -25, False)[0] == "output_limit"  # SIGXFSZ
    assert verdict(b"", "t", 0, True) == ("timeout", "wall-time limit")
