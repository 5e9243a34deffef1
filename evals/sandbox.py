"""Run untrusted (model-written) Python in a sandbox, one process per candidate.

Each candidate runs under bubblewrap (``bwrap``) with:

- **no network**: a new network namespace (only a loopback of its own: nothing on the host's
  127.0.0.1 is reachable, and there is no route anywhere else);
- **a read-only view of the system**: ``/usr``, ``/bin``, ``/lib*``, ``/etc`` and the Python
  installation, nothing else (no home folders, no project, no caches); a throwaway writable
  working directory, mounted as ``/work``, and a private ``/tmp``;
- **an empty environment** (``PATH``, ``LANG`` and ``HOME=/work`` only: no API keys or tokens);
- **its own PID namespace**, so it can neither see nor signal any process outside;
- **limits**: CPU time, address space, processes, file size (stdout and stderr are files, so
  100 MB of output stops at the limit), open files; the wall-time limit kills the whole process
  group, and the namespace dies with it;
- when started as root, it runs as ``nobody`` (root is exempt from the process limit).

Outcomes (:class:`Outcome`): ``passed``, ``failed`` (an assertion), ``error`` (any other
exception), ``exited`` (the program ended before its tests finished: ``exit(0)`` in a solution
is not a pass), ``timeout``, ``memory``, ``output_limit``, ``process_limit``, ``forbidden`` (the
sandbox refused: permission, read-only file system, network). A pass needs the harness's
one-time token, written after the tests ran; the token reaches the harness on stdin and is not
in the program's namespace (a program that walks the harness's stack frames could find it:
this guards against accidents and crude forgery, not a determined adversary, whom the
namespaces and limits contain anyway).

Where bubblewrap cannot run, :func:`find_sandbox` refuses with one line unless the caller
passes ``allow_unsafe=True`` (the CLI's ``--unsafe-no-sandbox``); then candidates run as plain
subprocesses with the same limits and empty environment, and every outcome says
``sandbox="none"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from evals.errors import EvalsError

NOBODY = 65534
STATUSES = ("passed", "failed", "error", "exited", "timeout", "memory", "output_limit",
            "process_limit", "forbidden")  # fmt: skip


class SandboxUnavailable(EvalsError):
    """No sandbox on this machine and unsandboxed execution was not allowed."""


@dataclass(frozen=True)
class Limits:
    """Per-candidate limits."""

    wall_seconds: float = 10.0
    """Wall-clock time; the whole process group is killed when it passes."""

    cpu_seconds: int = 10
    """CPU time (SIGXCPU, then SIGKILL)."""

    memory_mb: int = 1024
    """Address space (a larger allocation raises MemoryError)."""

    processes: int = 32
    """Processes and threads of the candidate's user (a fork bomb stops here)."""

    file_size_mb: int = 16
    """Largest file the candidate may write, stdout and stderr included."""

    open_files: int = 64
    """Open file descriptors."""

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form (recorded with every run that executes code)."""
        return {"wall_seconds": self.wall_seconds, "cpu_seconds": self.cpu_seconds,
                "memory_mb": self.memory_mb, "processes": self.processes,
                "file_size_mb": self.file_size_mb, "open_files": self.open_files}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate."""

    status: str
    """One of :data:`STATUSES`."""

    detail: str
    """The exception or signal behind a non-pass (e.g. ``AssertionError``, ``SIGXFSZ``)."""

    seconds: float
    """Wall time of the candidate's process."""

    sandbox: str
    """``bwrap`` or ``none``."""

    output: str = ""
    """The first 2,000 characters of its stdout and stderr, for the samples file."""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"status": self.status, "detail": self.detail, "seconds": round(self.seconds, 4),
                "sandbox": self.sandbox, "output": self.output}  # fmt: skip


_PROLOGUE = """import os, resource
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
if os.geteuid() == 0:  # root is exempt from the process limit: become nobody
    os.setgroups([])
    os.setgid({nobody})
    os.setuid({nobody})
"""

HARNESS = r'''
import errno, json, os, sys

def _run():
    with open("program.py", encoding="utf-8") as handle:
        source = handle.read()
    try:
        exec(compile(source, "program.py", "exec"), {"__name__": "__candidate__"})
    except AssertionError as err:
        return "failed", "AssertionError" + (f": {err}"[:200] if str(err) else "")
    except SystemExit as err:
        return "exited", f"SystemExit({err.code!r})"
    except MemoryError:
        return "memory", "MemoryError"
    except BlockingIOError as err:
        if err.errno == errno.EAGAIN:
            return "process_limit", "BlockingIOError: process limit"
        return "error", repr(err)[:200]
    except PermissionError as err:
        return "forbidden", repr(err)[:200]
    except OSError as err:
        if err.errno == errno.EFBIG:
            return "output_limit", repr(err)[:200]
        if err.errno in FORBIDDEN or _hidden(err):
            return "forbidden", repr(err)[:200]
        return "error", repr(err)[:200]
    except BaseException as err:
        return "error", repr(err)[:200]
    return "passed", ""

FORBIDDEN = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENETUNREACH, errno.EHOSTUNREACH,
             errno.ECONNREFUSED, errno.EAFNOSUPPORT, errno.ESRCH}
# Where a missing path is really missing; anywhere else (a home, the project, the host's /tmp
# behind the sandbox's private one) the sandbox hides it.
VISIBLE = __VISIBLE__

def _hidden(err):
    """A path outside what the sandbox shows (a home folder, the project): hidden, not absent."""
    name = err.filename if isinstance(err.filename, str) else ""
    return (err.errno == errno.ENOENT and name.startswith("/")
            and not any(name == top or name.startswith(top + "/") for top in VISIBLE))

def _main():
    token = sys.stdin.readline().strip()
    me = os.getpid()
    status, detail = _run()
    if os.getpid() != me:  # a process the program forked came back here: only we report
        os._exit(0)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(".status.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, json.dumps({"token": token, "status": status, "detail": detail}).encode())
    os.close(fd)
    os.replace(".status.tmp", ".status")

_main()
'''


@cache
def _bwrap_works() -> bool:
    """Whether bubblewrap is installed and may create namespaces here."""
    binary = shutil.which("bwrap")
    if binary is None:
        return False
    try:
        done = subprocess.run(
            [binary, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
            capture_output=True, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def find_sandbox(allow_unsafe: bool = False) -> str:
    """``bwrap`` when bubblewrap works here; else ``none`` if ``allow_unsafe``; else refuse."""
    if _bwrap_works():
        return "bwrap"
    if allow_unsafe:
        return "none"
    raise SandboxUnavailable(
        "no sandbox for model-written code: install bubblewrap (Debian/Ubuntu: apt-get install "
        "bubblewrap) or, only for code you trust, pass --unsafe-no-sandbox"
    )


SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""Mounted read-only (those that exist)."""

PYTHON_MOUNT = "/python"
"""Where the interpreter's installation is mounted in the sandbox (its own path may lie under a
home folder, which the sandbox does not show)."""


def _python() -> tuple[str, str]:
    """The installation folder of the interpreter candidates run with, and that interpreter's
    path inside the sandbox."""
    executable = os.path.realpath(sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    relative = os.path.relpath(executable, prefix)
    if relative.startswith(".."):
        raise SandboxUnavailable(f"cannot mount the interpreter {executable}: not under {prefix}")
    return prefix, f"{PYTHON_MOUNT}/{relative}"


def _bwrap_command(workdir: Path) -> list[str]:
    prefix, executable = _python()
    # As root, no user namespace: bwrap mounts with root's rights and the harness then
    # becomes nobody; as anyone else, a user namespace is what lets bwrap mount at all.
    unshare = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try"] if os.geteuid() == 0 else ["--unshare-all"]  # fmt: skip
    command = ["bwrap", *unshare, "--die-with-parent", "--new-session",
               "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
               "--setenv", "HOME", "/work", "--proc", "/proc", "--dev", "/dev",
               "--tmpfs", "/tmp"]  # fmt: skip
    for folder in SYSTEM_FOLDERS:
        if os.path.exists(folder):
            command += ["--ro-bind", folder, folder]
    command += ["--ro-bind", prefix, PYTHON_MOUNT, "--bind", str(workdir), "/work",
                "--chdir", "/work", executable, "-I", "-S", "-B", "_harness.py"]  # fmt: skip
    return command


def _limiter(limits: Limits, sandboxed: bool) -> Callable[[], None]:
    def apply() -> None:
        os.setsid()  # its own process group: killed as one at the wall-time limit
        mb = 1024 * 1024
        # CPU: SIGXCPU at the soft limit, SIGKILL a second later if it is ignored.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        for which, value in (
            (resource.RLIMIT_FSIZE, limits.file_size_mb * mb),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, limits.processes + (4 if sandboxed else 0)),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))
        if not sandboxed:  # bwrap itself needs more address space than the candidate gets
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2)

    return apply


def run_program(program: str, limits: Limits = Limits(), sandbox: str = "bwrap") -> Outcome:
    """Run ``program`` (Python source: solution and tests) and say what happened."""
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="evals-sandbox-") as tmp:
        workdir = Path(tmp)
        (workdir / "program.py").write_text(program, encoding="utf-8")
        visible = ("/work", "/proc", "/dev", PYTHON_MOUNT, *SYSTEM_FOLDERS)
        harness = HARNESS.replace("__VISIBLE__", repr(visible))
        if sandbox == "bwrap":
            # Set inside: bwrap itself needs more address space than the candidate gets; and
            # root gives way to nobody only after bwrap has mounted what the candidate needs.
            harness = _PROLOGUE.format(memory=limits.memory_mb * 1024 * 1024, nobody=NOBODY) \
                + harness  # fmt: skip
        (workdir / "_harness.py").write_text(harness, encoding="utf-8")
        if os.geteuid() == 0:
            os.chown(workdir, NOBODY, NOBODY)
        if sandbox == "bwrap":
            command = _bwrap_command(workdir)
            env = {"PATH": "/usr/bin:/bin"}
        else:
            command = [os.path.realpath(sys.executable), "-I", "-S", "-B", "_harness.py"]
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(workdir)}
        with open(workdir / ".stdout", "w+b") as out:
            started = time.perf_counter()
            proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                cwd=workdir, env=env, preexec_fn=_limiter(limits, sandbox == "bwrap"),
            )  # fmt: skip
            killed = False
            try:
                assert proc.stdin is not None
                try:
                    proc.stdin.write((token + "\n").encode())
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(proc)
            seconds = time.perf_counter() - started
            out.seek(0)
            output = out.read(2000).decode("utf-8", errors="replace")
        status, detail = _status(workdir / ".status", token, proc.returncode, killed)
    return Outcome(status, detail, seconds, sandbox, output)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _status(path: Path, token: str, returncode: int, killed: bool) -> tuple[str, str]:
    if killed:
        return "timeout", "wall-time limit"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    if isinstance(record, dict) and record.get("token") == token and returncode == 0:
        status = str(record.get("status"))
        return (status, str(record.get("detail", ""))) if status in STATUSES else ("error", "")
    if returncode < 0 or returncode > 128:
        number = -returncode if returncode < 0 else returncode - 128
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        reason = {"SIGXCPU": "timeout", "SIGXFSZ": "output_limit", "SIGKILL": "memory"}
        return reason.get(name, "error"), name
    return "exited", f"exit code {returncode} before the tests finished"


def run_programs(
    programs: Sequence[str], limits: Limits = Limits(), sandbox: str = "bwrap",
    workers: int | None = None,
) -> list[Outcome]:  # fmt: skip
    """:func:`run_program` for each, ``workers`` at a time (default: the machine's cores)."""
    count = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda p: run_program(p, limits, sandbox), programs))
