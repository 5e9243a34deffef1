"""Few-shot examples never show the scored item (README, "Prompt modes").

Every lm-eval task of every unit from :func:`evals.usecases.discover_use_cases` — the bundled
sets and the benchmarks, read from ../shared/data (skipped when absent) — is built through the
project's own TaskManager (:func:`evals.engine.lm_eval_tasks.task_manager`, as ``run_task``
builds it) in completion mode: ``num_fewshot`` is the unit's ``fewshot_completion`` and the
few-shot seed is ``run_task``'s 1234. This is exactly what plain
``lm_eval --include_path tasks`` gets too, since the data hooks are the same.

**What "the item's text" is.** Each item is identified by the text the model is asked about,
compared after casefolding and collapsing whitespace:

- sentiment: the text to classify;
- ner: the sentence (its tokens joined by spaces);
- qa: the question. A SQuAD passage is shared by several questions, so a passage seen again is
  not the item; the same question is, whichever passage it comes with;
- summarization: the document (article or dialogue);
- chat (multi-turn): each user message of the dialogue.

**Prompts.** For the first 50 and a random 50 scored docs of each task, the prompt is rendered
by lm-eval (``fewshot_context``) while the examples its sampler draws for that doc are
recorded. No drawn example may have the doc's id or identifying text, and the doc's own
rendered question (``doc_to_text``) must occur in the prompt once: as the question asked, never
inside an example. For multi-turn configs, the completion transcript of every dialogue's first
turn is rendered with the config's worked example dialogues.

**Pools.** No scored doc's id or identifying text is anywhere in its task's few-shot pool, so
no seed, shot count or sampler can show it.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Any

import pytest

from evals.benchmarks.sources import DataSource, benchmark_records
from evals.data import read_jsonl
from evals.engine.lm_eval_tasks import task_manager
from evals.engine.multiturn import completion_transcript
from evals.usecases import UseCase, discover_use_cases
from tests.conftest import shared_data

UNITS = discover_use_cases()
SEED = 1234  # run_task's fewshot_random_seed
FIRST, RANDOM = 50, 50
Doc = dict[str, Any]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def identity(group: str, doc: Doc) -> str:
    """The text that makes a doc the item it is (see the module docstring)."""
    if group == "sentiment":
        return _norm(doc["text"])
    if group == "ner":
        return _norm(" ".join(doc["tokens"]))
    if group == "qa":
        return _norm(doc["question"])
    if group == "summarization":
        return _norm(doc["document"])
    raise AssertionError(f"no identity defined for use case {group!r}")


def _unit(name: str) -> UseCase:
    unit = UNITS[name]
    if unit.benchmark:
        unit = replace(unit, data_source=DataSource("local", shared_data()))
    return unit


def _build(unit: UseCase, task_name: str) -> Any:
    """The lm-eval task as ``run_task`` builds it: our TaskManager, the unit's metadata, the
    completion-mode shot count and the few-shot seed."""
    from lm_eval.tasks import get_task_dict

    manager = task_manager(unit.folder.parent, tuple(sorted(unit.task_metadata().items())))
    task = get_task_dict([task_name], manager)[task_name]
    task.set_config(key="num_fewshot", value=unit.fewshot_completion)
    task.set_fewshot_seed(seed=SEED)
    return task


def _sample(n: int, salt: str) -> list[int]:
    """The first 50 docs (what ``LIMIT=50`` scores) and 50 more at random."""
    rest = range(min(FIRST, n), n)
    return list(range(min(FIRST, n))) + sorted(
        random.Random(salt).sample(rest, min(RANDOM, len(rest)))
    )


def prompt_leaks(task: Any, group: str, n_shots: int, indices: list[int]) -> list[str]:
    """Docs whose rendered prompt shows the doc itself among its few-shot examples."""
    drawn: list[Doc] = []
    sample = task.sampler.sample

    def recording(*args: Any, **kwargs: Any) -> Any:
        out = sample(*args, **kwargs)
        drawn.extend(out)
        return out

    task.sampler.sample = recording
    docs = task.eval_docs
    leaks = []
    try:
        for i in indices:
            doc = docs[i]
            drawn.clear()
            prompt = task.fewshot_context(doc, n_shots)
            assert len(drawn) == n_shots, f"{len(drawn)} examples drawn, {n_shots} asked for"
            key, question = identity(group, doc), task.doc_to_text(doc)
            shown = [e for e in drawn if e["id"] == doc["id"] or identity(group, e) == key]
            if shown or prompt.count(question) != 1:
                leaks.append(str(doc["id"]))
    finally:
        task.sampler.sample = sample
    return leaks


def pool_leaks(group: str, scored: list[Doc], pool: list[Doc]) -> list[str]:
    """Scored docs whose id or identifying text is in the few-shot pool."""
    ids, keys = {d["id"] for d in pool}, {identity(group, d) for d in pool}
    return [str(d["id"]) for d in scored if d["id"] in ids or identity(group, d) in keys]


LM_EVAL_TASKS = [
    pytest.param(unit.name, spec.name, id=spec.name)
    for unit in UNITS.values()
    if unit.kind == "lm-eval" and unit.fewshot_completion > 0
    for spec in unit.tasks
]
ZERO_SHOT = [
    name for name, unit in UNITS.items() if unit.kind == "lm-eval" and unit.fewshot_completion == 0
]


@pytest.mark.parametrize("name", ZERO_SHOT)
def test_a_zero_shot_prompt_is_its_item_alone(name: str) -> None:
    """Code (HumanEval, MBPP, bundled) is zero-shot as published: no pool, and every prompt
    is exactly the item's own text."""
    unit = _unit(name)
    task = _build(unit, name)
    assert not task.has_training_docs() or task.config.fewshot_split is None
    for doc in list(task.eval_docs)[:20]:
        assert task.fewshot_context(doc, 0) == task.doc_to_text(doc)


MULTITURN = [name for name, unit in UNITS.items() if unit.kind == "multiturn"]


@pytest.mark.parametrize(("unit_name", "task_name"), LM_EVAL_TASKS)
def test_no_prompt_shows_its_own_item_as_an_example(unit_name: str, task_name: str) -> None:
    unit = _unit(unit_name)
    assert unit.fewshot_completion > 0, "completion mode is few-shot for every lm-eval unit"
    task = _build(unit, task_name)
    docs = task.eval_docs
    indices = _sample(len(docs), task_name)
    leaks = prompt_leaks(task, unit.group, unit.fewshot_completion, indices)
    assert leaks == [], (
        f"{task_name}: {len(leaks)} of {len(indices)} prompts show the scored item as a "
        f"few-shot example: {leaks[:5]}"
    )


@pytest.mark.parametrize(("unit_name", "task_name"), LM_EVAL_TASKS)
def test_few_shot_pool_is_disjoint_from_the_scored_items(unit_name: str, task_name: str) -> None:
    unit = _unit(unit_name)
    task = _build(unit, task_name)
    scored, pool = list(task.eval_docs), list(task.fewshot_docs())
    assert len(pool) >= unit.fewshot_completion
    leaks = pool_leaks(unit.group, scored, pool)
    assert leaks == [], (
        f"{task_name}: {len(leaks)} of {len(scored)} scored items are in the few-shot pool "
        f"({len(pool)} examples): {leaks[:5]}"
    )


def test_the_prompt_check_catches_an_item_shown_as_its_own_example() -> None:
    """The check itself can fail: a pool that is the scored split, drawn whole, shows every
    item as its own example, and lm-eval does not remove it (the split names differ)."""
    unit = _unit("sentiment")
    task = _build(unit, "sentiment")
    scored = list(task.eval_docs)
    task.sampler.replace_df(scored)
    try:
        leaks = prompt_leaks(task, "sentiment", len(scored), list(range(len(scored))))
        assert pool_leaks("sentiment", scored, scored) == [d["id"] for d in scored]
    finally:
        task.sampler.replace_df(list(task.fewshot_docs()))
    assert leaks == [d["id"] for d in scored]


def _dialogues(unit: UseCase) -> list[Doc]:
    if unit.benchmark:
        records, _ = benchmark_records(unit.benchmark, DataSource("local", shared_data()))
        return records
    return read_jsonl(unit.folder / unit.config["data"], ("id", "turns"))


def _users(dialogue: Doc) -> set[str]:
    return {_norm(turn["user"]) for turn in dialogue["turns"]}


@pytest.mark.parametrize("name", MULTITURN)
def test_multiturn_example_dialogues_are_not_scored_dialogues(name: str) -> None:
    """MT-Bench, MT-Bench-101 and the bundled chat set: the worked example dialogue of
    completion mode (``fewshot`` in the config) shares no id and no user message with any
    scored dialogue, and no first-turn transcript shows the dialogue's message twice."""
    unit = _unit(name)
    assert unit.fewshot_completion > 0 and unit.config.get("fewshot")
    pool = read_jsonl(unit.folder / unit.config["fewshot"], ("id", "turns"))
    examples = pool[: unit.fewshot_completion]
    pool_ids, pool_users = {e["id"] for e in pool}, set().union(*map(_users, pool))
    dialogues = _dialogues(unit)
    leaks = [d["id"] for d in dialogues if d["id"] in pool_ids or _users(d) & pool_users]
    assert leaks == [], f"{name}: {len(leaks)} dialogues share a user message with the examples"
    prefix = unit.config.get("completion", {}).get("user_prefix", "User: ")
    for dialogue in dialogues:
        first = dialogue["turns"][0]["user"]
        history = (
            [{"role": "system", "content": dialogue["system"]}] if dialogue.get("system") else []
        )
        transcript = completion_transcript(
            [*history, {"role": "user", "content": first}], unit.config, examples
        )
        assert transcript.count(f"{prefix}{first}") == 1, dialogue["id"]
