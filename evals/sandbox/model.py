"""What the sandbox runs (:class:`Program`), under which limits (:class:`Limits`), and what
happened (:class:`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass

from evals.errors import EvalsError

STATUSES = (
    "passed",
    "failed",
    "error",
    "exited",
    "timeout",
    "memory",
    "output_limit",
    "process_limit",
    "forbidden",
)


class SandboxUnavailable(EvalsError):
    """No sandbox on this machine and unsandboxed execution was not allowed, or the sandbox
    cannot start here (one line saying why and how to fix it)."""


@dataclass(frozen=True)
class Limits:
    """Per-candidate limits."""

    wall_seconds: float = 10.0
    """Wall-clock time; every process of the sample is killed when it passes."""

    cpu_seconds: int = 10
    """CPU time per process (SIGXCPU, then SIGKILL)."""

    memory_mb: int = 1024
    """Memory of the whole sample (a memory cgroup where the machine allows it) and address
    space of each of its processes (a larger allocation raises MemoryError)."""

    processes: int = 32
    """Processes and threads of the whole sample (a pids cgroup where the machine allows it,
    else the process limit of the sample's own uid)."""

    file_size_mb: int = 16
    """Largest file the candidate may write, stdout and stderr included."""

    open_files: int = 64
    """Open file descriptors."""

    disk_mb: int = 64
    """Size of the sample's writable folders (``/work`` and ``/tmp``, memory-backed, each)."""

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form (recorded with every run that executes code)."""
        return {
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "memory_mb": self.memory_mb,
            "processes": self.processes,
            "file_size_mb": self.file_size_mb,
            "open_files": self.open_files,
            "disk_mb": self.disk_mb,
        }


@dataclass(frozen=True)
class Program:
    """One candidate and its tests. ``solution`` is untrusted and runs in a process of its own;
    ``context`` and ``tests`` are trusted and run in the harness's process, where every name the
    solution defines is a proxy that calls into the solution's process and gets plain data back.
    ``context`` runs first (e.g. HumanEval's prompt, so its helpers are the problem's, not ones
    the solution redefined); the ``entry`` names are the solution's even where ``context``
    defines them too."""

    solution: str
    tests: str = ""
    context: str = ""
    entry: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        """The same as one script (what the original harnesses run): solution, then tests."""
        return f"{self.solution}\n\n{self.tests}\n" if self.tests else self.solution


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
        return {
            "status": self.status,
            "detail": self.detail,
            "seconds": round(self.seconds, 4),
            "sandbox": self.sandbox,
            "output": self.output,
        }
