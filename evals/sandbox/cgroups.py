"""One control group per sample: memory and process budgets across all of its processes, and a
way to kill every one of them.

Where the host lets this process create groups (root, or a delegated subtree), each sample gets
a group below this process's own: cgroup v2 (``memory.max``, ``memory.swap.max``, ``pids.max``,
``cgroup.kill``) where the unified hierarchy has the memory and pids controllers, else cgroup v1's
``memory`` and ``pids`` hierarchies (``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes``,
``pids.max``). Elsewhere :func:`available` is False and the sandbox falls back to per-process
limits (address space per process, processes per uid): see docs/sandbox.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from functools import cache
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_COUNTER = itertools.count()


def _own(controller: str) -> str | None:
    """This process's group in ``controller``'s hierarchy (``""`` for v2's), from /proc."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if names.split(",").count(controller) or (controller == "" and names == ""):
            return path
    return None


@cache
def layout() -> tuple[str, tuple[Path, ...]] | None:
    """``("v2", (parent,))`` or ``("v1", (memory parent, pids parent))`` where sample groups can
    be created here, else None (probed once: a group made and removed)."""
    v2 = _own("")
    if v2 is not None and (ROOT / "cgroup.controllers").exists():
        parent = ROOT / v2.lstrip("/")
        if _writable_v2(parent):
            return "v2", (parent,)
    parents = []
    for controller in ("memory", "pids"):
        own = _own(controller)
        if own is None:
            return None
        parents.append(ROOT / controller / own.lstrip("/"))
    if all(_can_make(p) for p in parents):
        return "v1", tuple(parents)
    return None


def _can_make(parent: Path) -> bool:
    probe = parent / f"evals-probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return False
    return True


def _writable_v2(parent: Path) -> bool:
    try:
        wanted = {"memory", "pids"}
        if not wanted <= set((parent / "cgroup.subtree_control").read_text().split()):
            if not wanted <= set((parent / "cgroup.controllers").read_text().split()):
                return False
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
    except OSError:
        return False
    return _can_make(parent)


def available() -> bool:
    """Whether samples get groups of their own here."""
    return layout() is not None


class Group:
    """A sample's group (or groups, one per v1 hierarchy); :meth:`close` kills and removes."""

    def __init__(self, memory_bytes: int, processes: int) -> None:
        found = layout()
        if found is None:
            raise OSError("no cgroups here")
        self.version, parents = found
        name = f"evals-sample-{os.getpid()}-{next(_COUNTER)}"
        self.paths = tuple(parent / name for parent in parents)
        for path in self.paths:
            path.mkdir()
        try:
            if self.version == "v2":
                (path,) = self.paths
                _write(path / "memory.max", memory_bytes)
                _write(path / "memory.swap.max", 0, optional=True)
                _write(path / "pids.max", processes)
            else:
                memory, pids = self.paths
                _write(memory / "memory.limit_in_bytes", memory_bytes)
                _write(memory / "memory.memsw.limit_in_bytes", memory_bytes, optional=True)
                _write(pids / "pids.max", processes)
        except OSError:
            self.close()
            raise
        self.procs = [str(path / "cgroup.procs").encode() for path in self.paths]

    def join(self) -> None:
        """Move the calling process into the group (called in the child before ``exec``; only
        ``os`` calls, no allocation-heavy Python)."""
        pid = str(os.getpid()).encode()
        for procs in self.procs:
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group for memory."""
        path = self.paths[0] / ("memory.events" if self.version == "v2" else "memory.oom_control")
        with contextlib.suppress(OSError, ValueError):
            for line in path.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        return False

    def pids(self) -> list[int]:
        with contextlib.suppress(OSError, ValueError):
            return [int(x) for x in (self.paths[-1] / "cgroup.procs").read_text().split()]
        return []

    def close(self, deadline_seconds: float = 2.0) -> None:
        """Kill whatever still runs in the group, then remove it (bounded: gives up after
        ``deadline_seconds``, leaving an empty group the kernel frees when it can)."""
        until = time.monotonic() + deadline_seconds
        if self.version == "v2":
            with contextlib.suppress(OSError):
                _write(self.paths[0] / "cgroup.kill", 1)
        for path in self.paths:
            while path.exists():
                for pid in self.pids() if self.version == "v1" else []:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                try:
                    path.rmdir()
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > until:
                        break
                    time.sleep(0.005)


def _write(path: Path, value: int, optional: bool = False) -> None:
    try:
        path.write_text(str(value))
    except OSError:
        if not optional:
            raise
