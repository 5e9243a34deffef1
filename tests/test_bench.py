"""`make bench` cannot rot: every row runs at a tiny size (`--smoke`), each row is written the
moment it is measured, and a failing row loses nothing measured before it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

BENCH = REPO / "scripts" / "bench.py"


@pytest.mark.real_model
def test_every_bench_row_runs_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    rows = json.loads(out.read_text())
    failed = [r for r in rows if "error" in r]
    assert failed == [] and result.returncode == 0, (failed, result.stderr[-3000:])
    assert len(rows) == 10 and all(r["smoke"] and r["ratio"] > 0 for r in rows)


def test_rows_are_written_as_they_are_measured(tmp_path: Path) -> None:
    """Only the scoring row: it is written to the file with its figures."""
    out = tmp_path / "bench.json"
    subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--only", "bootstrap", "--out", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=600,
    )
    (row,) = json.loads(out.read_text())
    assert row["measure"].startswith("bootstrap") and row["rouge_items_per_s"] > 0
