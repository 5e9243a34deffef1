"""Run untrusted (model-written) Python in a sandbox: see docs/sandbox.md for the threat model.

Each candidate runs under bubblewrap (``bwrap``): no network (a network namespace of its own),
a read-only view of the system, an empty environment, its own PID namespace, and memory-backed
``/work`` and ``/tmp`` of a fixed size. Budgets hold for the whole sample: a control group per
sample (memory and processes across all its processes) where the machine allows it, wall time
for the whole group, CPU time, file size and open files per process. Started as root, each
concurrent slot runs as uids of its own, so neighbours share no limit.

A :class:`Program` is a solution (untrusted) and its tests (trusted): the solution runs in a
process of its own and the tests in the harness's process, calling the solution across the
boundary and getting only plain data back (:mod:`evals.sandbox.harness`). The verdict leaves
over a pipe the solution's process never holds; the host opens no path the sample controls.

Outcomes (:class:`Outcome`): ``passed``, ``failed`` (an assertion), ``error`` (any other
exception), ``exited`` (the program ended before its tests finished), ``timeout``, ``memory``,
``output_limit`` (a file, the output or the writable folders full), ``process_limit``,
``forbidden`` (the sandbox refused: permission, read-only file system, network).

Where bubblewrap cannot run, :func:`find_sandbox` refuses with one line saying why and how to fix
it, unless the caller passes ``allow_unsafe=True`` (the CLI's ``--unsafe-no-sandbox``); then
candidates run as plain subprocesses with the same harness, limits and empty environment, and
every outcome says ``sandbox="none"``.
"""

from __future__ import annotations

import os
from functools import cache

from evals.sandbox import launch
from evals.sandbox.launch import PYTHON_MOUNT, SYSTEM_FOLDERS
from evals.sandbox.model import STATUSES, Limits, Outcome, Program, SandboxUnavailable
from evals.sandbox.run import run_program, run_programs, verdict

__all__ = [
    "PYTHON_MOUNT",
    "STATUSES",
    "SYSTEM_FOLDERS",
    "UNSAFE_VARIABLE",
    "Limits",
    "Outcome",
    "Program",
    "SandboxUnavailable",
    "allow_unsafe_runs",
    "bwrap_works",
    "find_sandbox",
    "forget_probe",
    "run_program",
    "run_programs",
    "unsafe_runs_allowed",
    "verdict",
]


@cache
def _bwrap_works() -> bool:
    """Whether bubblewrap is installed and starts a sandbox here (cached)."""
    return launch.bwrap_problem() is None


def bwrap_works() -> bool:
    """Whether bubblewrap is installed and starts a sandbox here (probed once)."""
    return _bwrap_works()


def forget_probe() -> None:
    """Probe again next time (after PATH or the machine changed)."""
    _bwrap_works.cache_clear()


UNSAFE_VARIABLE = "EVALS_UNSAFE_NO_SANDBOX"
"""How a plain ``lm_eval --include_path tasks/code`` run is told to run without a sandbox: lm-eval
calls the code use case's hooks with (doc, replies) only, so its environment is the one way in."""

_UNSAFE_ALLOWED = False


def allow_unsafe_runs() -> None:
    """``--unsafe-no-sandbox``, for the rest of this process: the code use case's hooks run
    programs without a sandbox where bubblewrap cannot run (a matrix worker is told by its
    job, :class:`evals.matrix.cell_job.CellJob`)."""
    global _UNSAFE_ALLOWED
    _UNSAFE_ALLOWED = True


def unsafe_runs_allowed() -> bool:
    """Whether this process may run model-written code without a sandbox: told so by
    :func:`allow_unsafe_runs`, or, in a plain ``lm_eval`` run, by :data:`UNSAFE_VARIABLE`."""
    return _UNSAFE_ALLOWED or bool(os.environ.get(UNSAFE_VARIABLE))


def find_sandbox(allow_unsafe: bool = False) -> str:
    """``bwrap`` when bubblewrap works here; else ``none`` if ``allow_unsafe``; else refuse with
    one line saying why (not installed; installed but cannot start, and how to fix that)."""
    if _bwrap_works():
        return "bwrap"
    if allow_unsafe:
        return "none"
    raise SandboxUnavailable(launch.bwrap_problem() or launch.INSTALL)
