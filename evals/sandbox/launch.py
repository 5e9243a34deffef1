"""Finding bubblewrap, checking that it can start here, and the command that starts a sample."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from evals.sandbox.model import Limits, SandboxUnavailable

HARNESS = Path(__file__).with_name("harness.py")
"""The program that runs inside the sandbox: compiled once per host process, its code object
mounted read-only at ``/harness.bin`` (compiling it in every sample would cost ~10 ms each)."""

SOURCES = (HARNESS.with_name("channel.py"), HARNESS)
"""Compiled together and run in one namespace, in this order."""

BOOT = (
    "import marshal\ng = {{'__name__': '__main__'}}\n"
    "for code in marshal.loads(open({!r}, 'rb').read()):\n    exec(code, g)\n"
)

SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""Mounted read-only (those that exist)."""

PYTHON_MOUNT = "/python"
"""Where the interpreter's installation is mounted in the sandbox (its own path may lie under a
home folder, which the sandbox does not show)."""

APPARMOR = Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
INSTALL = (
    "no sandbox for model-written code: install bubblewrap (Debian/Ubuntu: apt-get install "
    "bubblewrap) or, only for code you trust, pass --unsafe-no-sandbox"
)


def python() -> tuple[str, str]:
    """The installation folder of the interpreter candidates run with, and that interpreter's
    path inside the sandbox."""
    executable = os.path.realpath(sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    relative = os.path.relpath(executable, prefix)
    if relative.startswith(".."):
        raise SandboxUnavailable(f"cannot mount the interpreter {executable}: not under {prefix}")
    return prefix, f"{PYTHON_MOUNT}/{relative}"


@cache
def harness_code() -> bytes:
    """The harness, compiled by this interpreter (the one samples run with), marshalled."""
    return marshal.dumps(
        tuple(
            compile(path.read_text(encoding="utf-8"), f"/{path.name}", "exec", dont_inherit=True)
            for path in SOURCES
        )
    )


def plain_command(harness: Path) -> list[str]:
    """The command that runs the harness (at ``harness``) without a sandbox."""
    return [os.path.realpath(sys.executable), "-I", "-S", "-B", "-c", BOOT.format(str(harness))]


def bwrap_command(binary: str, limits: Limits, harness: Path) -> list[str]:
    """bubblewrap's arguments and the interpreter's, which runs the compiled ``harness``."""
    prefix, executable = python()
    # As root, no user namespace: bwrap mounts with root's rights and the harness then gives
    # each process its slot's uid; as anyone else, a user namespace lets bwrap mount at all.
    unshare = (
        ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        if os.geteuid() == 0
        else ["--unshare-all"]
    )
    size = str(limits.disk_mb * 1024 * 1024)
    command = [
        binary,
        *unshare,
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "HOME",
        "/work",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--size",
        size,
        "--tmpfs",
        "/work",
    ]
    for folder in SYSTEM_FOLDERS:
        if os.path.exists(folder):
            command += ["--ro-bind", folder, folder]
    command += [
        "--ro-bind",
        prefix,
        PYTHON_MOUNT,
        "--ro-bind",
        str(harness),
        "/harness.bin",
        "--chdir",
        "/work",
        executable,
        "-I",
        "-S",
        "-B",
        "-c",
        BOOT.format("/harness.bin"),
    ]
    return command


def bwrap_problem() -> str | None:
    """None where bubblewrap is installed and starts a sandbox here; else one line saying why
    not and how to fix it (a probe with the options every sample gets)."""
    binary = shutil.which("bwrap")
    if binary is None:
        return INSTALL
    try:
        command = [*bwrap_command(binary, Limits(), HARNESS)[:-5], "-I", "-S", "-c", "pass"]
        done = subprocess.run(command, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bubblewrap ({binary}) cannot be started: {err}; {INSTALL}"
    if done.returncode == 0:
        return None
    said = done.stderr.decode("utf-8", "replace").strip().splitlines()
    reason = said[-1] if said else f"exit status {done.returncode}"
    return f"bubblewrap ({binary}) cannot start a sandbox here: {reason}{_hint(reason)}"


def _hint(reason: str) -> str:
    try:
        restricted = APPARMOR.read_text().strip() == "1"
    except OSError:
        restricted = False
    if restricted or "uid map" in reason or "new namespace" in reason:
        return (
            "; AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): allow them "
            "with `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or run as "
            "root"
        )
    return ""


def bwrap_path() -> str:
    """The bubblewrap binary every sample starts (absolute: the sample's PATH is not ours)."""
    binary = shutil.which("bwrap")
    if binary is None:
        raise SandboxUnavailable(INSTALL)
    return binary
