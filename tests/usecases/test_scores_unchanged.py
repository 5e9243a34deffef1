"""Moving the use cases onto typed definitions left every per-item score as it was.

``tests/fixtures/per_item_scores.jsonl.gz`` holds the per-item scores of fixed outputs (gold,
empty, gold in prose, half the gold, every trivial policy, the embedded model's stored replies)
on the first 30 items of all 21 tasks, computed through the YAML-named hooks *before* the move
(``tests/fixtures/make_per_item_scores.py``, run at commit cd84f7b).
Here the same outputs go through each definition's scorer, and must score the same.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest

from evals.benchmarks.sources import DataSource
from evals.engine.multiturn import replay_turns as _turn_logs
from evals.usecases import UseCase, discover_use_cases
from tests.conftest import shared_data
from tests.helpers import REPO

FIXTURE = REPO / "tests" / "fixtures" / "per_item_scores.jsonl.gz"
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


# The code tasks run every program in the sandbox: 8-30 s each on 2 cores.
CODE_TASKS = {"code", "humaneval", "mbpp"}


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(t, marks=[pytest.mark.slow, pytest.mark.sandbox]) if t in CODE_TASKS else t
        for t in sorted(ROWS)
    ],
)
def test_per_item_scores_are_unchanged(task: str) -> None:
    unit, definition = _unit(task)
    rows = ROWS[task]
    if definition is None:
        dialogues = unit.load_dialogues()[:PER_TASK]
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


def _fixture_script() -> Any:
    path = REPO / "tests" / "fixtures" / "make_per_item_scores.py"
    spec = importlib.util.spec_from_file_location("make_per_item_scores", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fixture_script_still_runs_and_writes_the_fixture_rows() -> None:
    """The script that wrote the fixture imports and runs on today's code (no rot), and the
    rows it writes for a single-turn unit (generated and multiple-choice tasks) and a dialogue
    unit are the fixture's, scores and all (the stored model replies may be absent here)."""
    script = _fixture_script()
    units = discover_use_cases()
    rows: list[dict[str, Any]] = []
    script.single_turn(units["sentiment"], rows)
    script.multiturn(units["chat"], rows)

    def keyed(found: list[dict[str, Any]], task: str) -> dict[tuple[int, str], Any]:
        return {
            (r["doc_index"], json.dumps(r["results"])): _jsonable(r["scores"])
            for r in found
            if r["task"] == task
        }

    # outputs per item: sentiment 4 + 1 policy, sentiment_choice 3 draws, chat 2+ policies
    for task, per_item in {"sentiment": 5, "sentiment_choice": 3, "chat": 2}.items():
        written = sum(1 for r in rows if r["task"] == task)
        assert written >= per_item * PER_TASK, (task, written)
        got, fixture = keyed(rows, task), keyed(ROWS[task], task)
        assert {key: fixture.get(key) for key in got} == got, task
