"""Where a matrix's cells run: one small interface, three engines.

* ``local`` — in this process, one cell after another (today's behaviour).
* ``processes`` — a local pool of ``--jobs N`` worker processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, spawned: no forked CUDA or torch state).
* ``ray`` — each cell a Ray task holding the resources its variant declares
  (:mod:`evals.matrix.executor_ray`; Ray is imported only when asked for).

Every executor only *submits* a cell's work and hands back a :class:`concurrent.futures.Future`;
:func:`run_cells` is the one loop that keeps at most the executor's capacity in flight, retries
a failed cell (``--retries``), stores each finished run in the driver's run store at once (so a
driver killed mid-matrix loses only the cells in flight) and reports a cell that still fails
with its error while the other cells go on.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evals.errors import EvalsError
from evals.matrix.cell_job import CellWork, PackedRun, store_packed_run
from evals.matrix.cells import Cell

EXECUTORS = ("local", "processes", "ray")


class Executor(Protocol):
    """Runs cells somewhere; :func:`run_cells` drives it."""

    name: str
    capacity: int
    """Cells worth keeping in flight at once."""

    def submit(self, work: CellWork, cell: Cell) -> Future[PackedRun]:
        """Start one cell; its future holds the packed run, or the worker's exception."""
        ...

    def close(self) -> None:
        """Release workers (a shared Ray cluster is left running)."""
        ...


class LocalExecutor:
    """In this process, one cell at a time."""

    name = "local"
    capacity = 1

    def submit(self, work: CellWork, cell: Cell) -> Future[PackedRun]:
        future: Future[PackedRun] = Future()
        try:
            future.set_result(work(cell))
        except Exception as err:  # reported as the cell's failure, the matrix goes on
            future.set_exception(err)
        return future

    def close(self) -> None:
        return None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _share_cores(threads: int) -> None:
    """A worker's initializer: ``threads`` CPU threads for torch and BLAS in this worker.

    Left alone, torch in every worker takes every core, and ``jobs`` workers that busy-wait for
    each other's cores run slower together than one alone. Set before the cell's imports read
    the variables, and on torch itself where the worker has imported it already. A thread
    count the user set (``OMP_NUM_THREADS``, inherited from the driver) stands."""
    if os.environ.get("OMP_NUM_THREADS"):
        return
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class ProcessExecutor:
    """A pool of ``jobs`` spawned worker processes on this machine, sharing its cores: each
    worker's torch gets cores // jobs threads (at least 1) unless ``OMP_NUM_THREADS`` says."""

    name = "processes"

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise EvalsError(f"--jobs must be at least 1 (got {jobs})")
        self.capacity = jobs
        self.threads = max(1, usable_cores() // jobs)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            max_workers=self.capacity,
            mp_context=context,
            initializer=_share_cores,
            initargs=(self.threads,),
        )

    def submit(self, work: CellWork, cell: Cell) -> Future[PackedRun]:
        try:
            return self._pool.submit(work, cell)
        except BrokenProcessPool:  # a worker was killed (out of memory): a fresh pool
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(work, cell)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(name: str, *, jobs: int = 1) -> Executor:
    """The executor called ``name`` (``--executor``); one clear error for an unknown one."""
    if name == "local":
        return LocalExecutor()
    if name == "processes":
        return ProcessExecutor(jobs)
    if name == "ray":
        from evals.matrix.executor_ray import RayExecutor

        return RayExecutor()
    raise EvalsError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")


@dataclass(frozen=True)
class CellOutcome:
    """What became of one cell."""

    key: str
    """The cell's column key."""

    folder: Path | None
    """Its run folder in the driver's run store (None: it failed)."""

    error: str | None
    """The last attempt's error, one line (None: it completed)."""

    attempts: int
    """Attempts made (1 + retries used)."""

    seconds: float
    """Wall time from its first submission to its outcome."""


class _Bar:
    """One progress bar per matrix: cells done, with running and failed counts."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total,
            desc=label,
            unit="cell",
            file=sys.stderr,
            disable=not enabled,
            dynamic_ncols=True,
        )

    def show(self, done: int, running: int, failed: int) -> None:
        self._bar.n = done
        self._bar.set_postfix_str(f"running {running}, failed {failed}", refresh=True)

    def close(self) -> None:
        self._bar.close()


def run_cells(
    cells: Sequence[Cell],
    work: CellWork,
    executor: Executor,
    runs_root: Path,
    *,
    retries: int = 0,
    label: str = "matrix",
    progress: bool = True,
) -> list[CellOutcome]:
    """Run every cell (``retries`` more tries each), storing each run as it arrives."""
    if retries < 0:
        raise EvalsError(f"--retries must be 0 or more (got {retries})")
    waiting = list(cells)
    started: dict[str, float] = {}
    attempts: dict[str, int] = {}
    in_flight: dict[Future[PackedRun], Cell] = {}
    outcomes: dict[str, CellOutcome] = {}
    failed = 0
    bar = _Bar(len(cells), label, progress)
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < executor.capacity:
                cell = waiting.pop(0)
                started.setdefault(cell.key, time.perf_counter())
                attempts[cell.key] = attempts.get(cell.key, 0) + 1
                in_flight[executor.submit(work, cell)] = cell
                bar.show(len(outcomes), len(in_flight), failed)
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in finished:
                cell = in_flight.pop(future)
                try:
                    folder, error = store_packed_run(future.result(), runs_root), None
                except Exception as err:  # the cell's failure; the matrix goes on
                    folder, error = None, _one_line(err)
                    if attempts[cell.key] <= retries:
                        print(
                            f"cell {cell.key} failed (attempt {attempts[cell.key]}), "
                            f"retrying: {error}",
                            file=sys.stderr,
                        )
                        waiting.append(cell)
                        continue
                    failed += 1
                outcomes[cell.key] = CellOutcome(
                    cell.key,
                    folder,
                    error,
                    attempts[cell.key],
                    round(time.perf_counter() - started[cell.key], 3),
                )
            bar.show(len(outcomes), len(in_flight), failed)
    finally:
        bar.close()
    return [outcomes[c.key] for c in cells]


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "(no message)"
    return f"{type(err).__name__}: {text}"
