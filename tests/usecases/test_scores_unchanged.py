"""Moving the use cases onto typed definitions left every per-item score as it was.

``tests/fixtures/per_item_scores.jsonl.gz`` holds the per-item scores of fixed outputs (gold,
empty, gold in prose, half the gold, every trivial policy, the embedded model's stored replies)
on the first 30 items of all 21 tasks, computed through the YAML-named hooks *before* the move
(``tests/fixtures/make_per_item_scores.py``, run at commit cd84f7b).
Here the same outputs go through each definition's scorer, and must score the same.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evals.benchmarks.sources import DataSource
from evals.multiturn import load_dialogues
from evals.multiturn import replay_turns as _turn_logs
from evals.usecases import UseCase, discover_use_cases
from tests.conftest import shared_data

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "per_item_scores.jsonl.gz"
PER_TASK = 30


def _rows() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            rows[row["task"]].append(row)
    return rows


ROWS = _rows()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=float, sort_keys=True))


def _unit(task: str) -> tuple[UseCase, Any]:
    """The unit running ``task`` and the task's definition (None for a dialogue unit)."""
    for unit in discover_use_cases().values():
        if unit.benchmark:
            unit = replace(unit, data_source=DataSource("local", data_dir=shared_data()))
        if unit.dialogues is not None and unit.name == task:
            return unit, None
        for spec in unit.tasks:
            if spec.name == task:
                return unit, spec.definition
    raise AssertionError(f"no unit runs {task}")


def test_the_fixture_covers_every_task_and_output_kind() -> None:
    tasks = {spec.name for u in discover_use_cases().values() for spec in u.tasks}
    tasks |= {u.name for u in discover_use_cases().values() if u.dialogues is not None}
    assert set(ROWS) == tasks
    assert sum(map(len, ROWS.values())) == 3310
    # the embedded model's own replies are among the outputs of the bundled tasks
    assert len(ROWS["ner"]) > 5 * PER_TASK


@pytest.mark.parametrize("task", sorted(ROWS))
def test_per_item_scores_are_unchanged(task: str) -> None:
    unit, definition = _unit(task)
    rows = ROWS[task]
    if definition is None:
        dialogues = load_dialogues(unit)[:PER_TASK]
        hooks = unit.dialogues.hooks  # type: ignore[union-attr]
        got = [
            hooks.dialogue_scores(_turn_logs(hooks, dialogues[r["doc_index"]], r["results"]))
            for r in rows
        ]
    else:
        docs = list(definition.loader(**unit.task_metadata())["test"])[:PER_TASK]
        got = [definition.score(docs[r["doc_index"]], r["results"]) for r in rows]
    changed = [
        (r["doc_index"], r["results"], r["scores"], g)
        for r, g in zip(rows, map(_jsonable, got), strict=True)
        if g != _jsonable(r["scores"])
    ]
    assert not changed, f"{len(changed)} of {len(rows)} per-item scores changed: {changed[:2]}"
