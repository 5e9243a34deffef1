"""The executor loop without a model: retries, failures, the run store, the scheduling bench."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.errors import EvalsError
from evals.matrix.cell_job import PackedRun, store_packed_run
from evals.matrix.cells import Cell
from evals.matrix.executors import LocalExecutor, make_executor, run_cells, usable_cores
from tests.helpers import REPO

sys.path.insert(0, str(REPO / "scripts"))

from bench_scheduling import FakeBackend, fake_cells, scheduling_overhead


@dataclass
class FlakyWork:
    """Fails a cell's first ``failures[key]`` attempts, then returns a fake run."""

    failures: dict[str, int]

    def __call__(self, cell: Cell) -> PackedRun:
        if self.failures.get(cell.key, 0) > 0:
            self.failures[cell.key] -= 1
            raise RuntimeError(f"worker lost\nwhile evaluating {cell.name}")
        return FakeBackend(0.0)(cell)


def test_a_failed_cell_is_retried_then_reported_and_the_others_complete(tmp_path: Path) -> None:
    cells = fake_cells(3, 2)
    work = FlakyWork({cells[0].key: 1, cells[1].key: 5})
    outcomes = run_cells(cells, work, LocalExecutor(), tmp_path, retries=2, progress=False)
    first, second, third = outcomes
    assert (first.attempts, first.error) == (2, None) and first.folder is not None
    assert second.folder is None and second.attempts == 3
    assert second.error == "RuntimeError: worker lost while evaluating v0001"  # one line
    assert third.attempts == 1 and third.folder is not None
    stored = sorted(p.parent.parent.name for p in tmp_path.glob("*/*/results.json"))
    assert stored == ["v0000", "v0002"]
    assert (first.folder / "samples_bench01.jsonl").read_text().count("\n") == 50


def test_a_stored_run_is_whole_or_left_partial(tmp_path: Path) -> None:
    (cell,) = fake_cells(1, 1)
    packed = FakeBackend(0.0)(cell)
    folder = store_packed_run(packed, tmp_path)
    assert json.loads((folder / "results.json").read_text())["complete"] is True
    unfinished = PackedRun("v0000", tuple(f for f in packed.files if f[0] != "results.json"))
    with pytest.raises(ValueError, match=r"no results\.json"):
        store_packed_run(unfinished, tmp_path)
    with pytest.raises(ValueError, match="unsafe file name"):
        store_packed_run(PackedRun("v0000", (("../escape", b""),)), tmp_path)
    assert len(list(tmp_path.glob("v0000/*/results.json"))) == 1  # the others stay .partial
    assert len(list(tmp_path.glob("v0000/*.partial"))) == 2


@pytest.mark.parametrize(
    ("name", "jobs", "message"),
    [("dask", 1, "unknown executor 'dask'"), ("processes", 0, "--jobs must be at least 1")],
)
def test_bad_executor_options_are_one_clear_error(name: str, jobs: int, message: str) -> None:
    with pytest.raises(EvalsError, match=message):
        make_executor(name, jobs=jobs)


def test_the_scheduling_bench_runs_its_cells_through_a_process_pool() -> None:
    """4 cells of 1 s each (two 0.5 s benchmarks) on 2 workers: ideally 2 s, 4 s one at a time.
    The cells must overlap (under 4 s: the pool's start and the run store get 2 s) and cannot
    beat the ideal (each cell sleeps its 1 s); the bench asserts every cell was stored."""
    result = scheduling_overhead(
        "processes", variants=4, benchmarks=2, seconds_per_benchmark=0.5, workers=2
    )
    assert result["cells"] == 4.0 and result["workers"] == 2.0 and result["ideal_s"] == 2.0
    assert 2.0 <= result["wall_s"] < 4.0, result
    assert result["ratio"] == pytest.approx(result["wall_s"] / 2.0)


def report_threads(cell: Cell) -> PackedRun:
    """A worker's torch thread count, as a one-file packed run (module level: it is pickled)."""
    import torch

    return PackedRun(cell.key, (("threads", str(torch.get_num_threads()).encode()),))


def worker_threads(jobs: int) -> int:
    """The torch thread count of a worker in a ``processes`` pool of ``jobs``."""
    executor = make_executor("processes", jobs=jobs)
    try:
        (cell,) = fake_cells(1, 1)
        packed = executor.submit(report_threads, cell).result(timeout=120)
    finally:
        executor.close()
    return int(dict(packed.files)["threads"])


@pytest.mark.parametrize("jobs", [2, 64])
def test_process_workers_share_the_cores_instead_of_each_taking_all(
    jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of ``jobs`` workers gets cores // jobs threads (at least 1): torch's default, every
    core in every worker, oversubscribes the machine ``jobs`` times over."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert worker_threads(jobs) == max(1, usable_cores() // jobs)


@pytest.mark.skipif(usable_cores() < 2, reason="one core: the user's 1 is the pool's own choice")
def test_a_thread_count_the_user_set_stands_in_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker would get every core; the user's OMP_NUM_THREADS=1 wins (torch caps a larger
    value at the cores, so only a smaller one can show it)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert worker_threads(1) == 1
