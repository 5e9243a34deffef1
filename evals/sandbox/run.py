"""Running candidates: one sandbox, one control group and one pair of uids per sample."""

from __future__ import annotations

import contextlib
import marshal
import os
import resource
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evals.sandbox import cgroups, launch
from evals.sandbox.model import STATUSES, Limits, Outcome, Program, SandboxUnavailable

FIRST_UID = 1_610_612_736
"""Samples run as uids from here (when started as root): two per concurrent slot (the solution's
and the harness's), 256 per host process (by its pid modulo 65,536), so no two samples that run
at the same time share a uid, and with it a process limit, or can signal or read each other
(beyond 128 workers in one process, or two host processes whose pids agree modulo 65,536, slots
would share uids: their control groups still keep their budgets apart)."""

VERDICT_BYTES = 65536
NO_PROCESS = 75
"""The harness's exit status when it cannot fork the solution's process (harness.py's)."""
DEFAULT_LIMITS = Limits()
_slots: set[int] = set()
_slots_lock = threading.Lock()


@contextlib.contextmanager
def _slot() -> Iterator[int]:
    """The lowest slot no running sample of this process holds."""
    with _slots_lock:
        slot = next(n for n in range(len(_slots) + 1) if n not in _slots)
        _slots.add(slot)
    try:
        yield slot
    finally:
        with _slots_lock:
            _slots.discard(slot)


def uids(slot: int) -> tuple[int, int]:
    """The harness's and the solution's uid for ``slot`` (-1, -1 when not root: one uid)."""
    if os.geteuid() != 0:
        return -1, -1
    base = FIRST_UID + (os.getpid() % 65536) * 256 + 2 * (slot % 128)
    return base, base + 1


def _limiter(limits: Limits, group: cgroups.Group | None) -> Callable[[], None]:
    # The process limit counts per uid: with a pids group it is only a backstop.
    processes = limits.processes * 2 + 8 if group is not None else limits.processes + 4

    def apply() -> None:
        os.setsid()  # its own process group: killed as one at the wall-time limit
        if group is not None:
            group.join()
        mb = 1024 * 1024
        # CPU: SIGXCPU at the soft limit, SIGKILL a second later if it is ignored.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        for which, value in (
            (resource.RLIMIT_FSIZE, limits.file_size_mb * mb),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, processes),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))

    return apply


def run_program(
    program: Program | str, limits: Limits = DEFAULT_LIMITS, sandbox: str = "bwrap"
) -> Outcome:
    """Run ``program`` (a :class:`Program`, or Python source run whole as the solution with no
    tests: it passes when it runs to the end) and say what happened."""
    if isinstance(program, str):
        program = Program(program)
    with _slot() as slot:
        return _run(program, limits, sandbox, slot)


def _run(program: Program, limits: Limits, sandbox: str, slot: int) -> Outcome:
    token = secrets.token_hex(16)
    job = marshal.dumps(
        {
            "token": token,
            "solution": program.solution,
            "tests": program.tests,
            "context": program.context,
            "entry": list(program.entry),
        }
    )
    # Unsandboxed, the interpreter may live where only its owner may read (root's home).
    harness_uid, candidate_uid = uids(slot) if sandbox == "bwrap" else (-1, -1)
    with tempfile.TemporaryDirectory(prefix="evals-sandbox-", ignore_cleanup_errors=True) as tmp:
        host = Path(tmp)  # the sample never sees this folder (bwrap) or cannot write it (root)
        (host / "job").write_bytes(job)
        (host / "harness.bin").write_bytes(launch.harness_code())
        if sandbox == "bwrap":
            command = launch.bwrap_command(launch.bwrap_path(), limits, host / "harness.bin")
            cwd, env = host, {"PATH": "/usr/bin:/bin"}
        else:
            command = launch.plain_command(host / "harness.bin")
            cwd = host / "work"
            cwd.mkdir()
            if candidate_uid >= 0:
                os.chown(cwd, candidate_uid, candidate_uid)
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(cwd)}
        group = None
        if os.geteuid() == 0 and cgroups.available():
            with contextlib.suppress(OSError):  # gone since the probe: per-process limits only
                group = cgroups.Group(limits.memory_mb * 1024 * 1024, limits.processes + 4)
        verdict_in, verdict_out = os.pipe()
        memory = limits.memory_mb * 1024 * 1024
        killed = False
        try:
            # Not on stdin: under a user namespace, bwrap's own process inside (pid 1, the
            # solution's uid) keeps its stdin, where the solution could read the tests.
            with open(host / "job", "rb") as job_in, open(host / "output", "w+b") as out:
                command += [
                    str(harness_uid),
                    str(candidate_uid),
                    str(memory),
                    str(verdict_out),
                    str(job_in.fileno()),
                ]
                started = time.perf_counter()
                try:
                    proc = subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        cwd=cwd,
                        env=env,
                        pass_fds=(verdict_out, job_in.fileno()),
                        preexec_fn=_limiter(limits, group),
                    )
                except (OSError, subprocess.SubprocessError) as err:
                    raise SandboxUnavailable(f"cannot start the sandbox: {err}") from None
                finally:
                    os.close(verdict_out)
                try:
                    proc.wait(timeout=limits.wall_seconds)
                except subprocess.TimeoutExpired:
                    killed = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    if group is not None:
                        group.close()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=5)
                seconds = time.perf_counter() - started
                out.seek(0)
                output = out.read(2000).decode("utf-8", errors="replace")
            os.set_blocking(verdict_in, False)
            try:
                said = os.read(verdict_in, VERDICT_BYTES)
            except BlockingIOError:
                said = b""
        finally:
            os.close(verdict_in)
            oom = group is not None and group.out_of_memory()
            if group is not None:
                group.close()
    status, detail = verdict(said, token, proc.returncode, killed, oom, output)
    return Outcome(status, detail, seconds, sandbox, output)


def verdict(
    said: bytes,
    token: str,
    returncode: int | None,
    killed: bool,
    oom: bool = False,
    output: str = "",
) -> tuple[str, str]:
    """The status and reason from what the harness wrote on its verdict channel (only a line
    with this sample's token counts), the process's exit, the group's memory events, and
    bubblewrap's own complaint where the sandbox could not start (``bwrap: ...`` output)."""
    for line in said.decode("utf-8", errors="replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[0] == token and parts[1] in STATUSES:
            if oom and parts[1] != "passed":
                return "memory", "the sample's memory limit (all its processes together)"
            return parts[1], parts[2]  # the tests ended in time, whatever was left running
    if killed:
        return "timeout", "wall-time limit"
    if oom:
        return "memory", "the sample's memory limit (all its processes together)"
    returncode = 0 if returncode is None else returncode
    if output.startswith("bwrap: "):  # no sandbox started (a sample that prints this and
        line = output.splitlines()[0][:200]  # exits only relabels its own failure)
        return ("process_limit" if "temporarily unavailable" in line else "error"), line
    if returncode == NO_PROCESS:
        return "process_limit", "cannot start the solution's process"
    if returncode < 0 or returncode > 128:
        number = -returncode if returncode < 0 else returncode - 128
        name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
        reason = {"SIGXCPU": "timeout", "SIGXFSZ": "output_limit", "SIGKILL": "memory"}
        return reason.get(name, "error"), name
    return "exited", f"exit code {returncode} before the tests finished"


def run_programs(
    programs: Sequence[Program | str],
    limits: Limits = DEFAULT_LIMITS,
    sandbox: str = "bwrap",
    workers: int | None = None,
) -> list[Outcome]:
    """:func:`run_program` for each, ``workers`` at a time (default: the machine's cores)."""
    count = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda p: run_program(p, limits, sandbox), programs))
