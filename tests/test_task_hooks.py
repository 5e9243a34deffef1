"""Model output of any shape is scored, never a crash: every task hook on hostile outputs."""

from __future__ import annotations

import math

import pytest

from evals.usecases import discover_use_cases

HOSTILE = [
    "",
    "   \n\t ",
    "\x00\x01\xff\ufffd" * 100,
    "x" * 200_000,
    "[" * 10_000,
    '{"text": ' * 1000,
    "<script>alert(1)</script>",
    '```json\n[{"text": null, "type": 5}]\n```',
    "Ünïcödé 🙂 ✓ — \u202e reversed",
]
USE_CASES = discover_use_cases()


def _finite(value: object) -> bool:
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, float) and math.isfinite(v) for v in values)


@pytest.mark.parametrize("name", ["sentiment", "ner", "qa", "summarization"])
@pytest.mark.parametrize("output", HOSTILE)
def test_single_turn_hooks_score_any_output(name: str, output: str) -> None:
    use_case = USE_CASES[name]
    hooks = use_case.hooks()
    doc = hooks.load_dataset()["test"][0]
    scores = hooks.process_results(doc, [output])
    assert set(scores) == set(use_case.tasks[0].metrics)
    assert all(_finite(v) for v in scores.values())
    hooks.parse_output(doc, output)  # what the samples file records


@pytest.mark.parametrize("output", HOSTILE)
def test_chat_checks_score_any_output(output: str) -> None:
    hooks = USE_CASES["chat"].hooks()
    every_check = [
        {"type": "contains_any", "values": ["a"]}, {"type": "absent", "values": ["b"]},
        {"type": "recall", "values": ["5", "14:35"]}, {"type": "not_echo"},
        {"type": "persona", "values": ["dear reader"]}, {"type": "max_words", "value": 5},
        {"type": "starts_with", "value": "Yes"},
        {"type": "ends_with", "value": "?"}, {"type": "json_object", "keys": ["k"]},
        {"type": "bullet_list", "min_items": 2}, {"type": "uppercase"},
    ]  # fmt: skip
    assert {c["type"] for c in every_check} == set(hooks.CHECKS)
    history = [{"role": "user", "content": output}, {"role": "assistant", "content": output}]
    results = hooks.run_checks(every_check, output, history)
    assert [r["type"] for r in results] == [c["type"] for c in every_check]
    assert all(isinstance(r["passed"], bool) for r in results)


def test_invalid_outputs_are_counted() -> None:
    sentiment = USE_CASES["sentiment"].hooks()
    doc = sentiment.load_dataset()["test"][0]
    assert sentiment.process_results(doc, ["I refuse."])["invalid"] == 100.0
    ner = USE_CASES["ner"].hooks()
    ner_doc = ner.load_dataset()["test"][0]
    scores = ner.process_results(ner_doc, ["no list here"])
    assert scores["invalid"] == 100.0 and scores["f1"][1] == 0.0
