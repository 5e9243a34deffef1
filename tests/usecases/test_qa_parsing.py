"""QA output parsing: which replies are read as "no answer" (the empty prediction) and which are
answers. The oracle on the full SQuAD dev sets is in ``tests/test_oracles.py``."""

from __future__ import annotations

from typing import Any

import pytest

from evals.usecases import discover_use_cases

HOOKS = discover_use_cases()["qa"].module()
DOC: dict[str, Any] = {
    "id": "q1",
    "context": "Napoleon left Paris in 1815 and never came back.",
    "question": "Who left Paris?",
    "answers": ["Napoleon"],
}


def parse(output: str, context: str = DOC["context"]) -> str:
    return HOOKS.parse_output({**DOC, "context": context}, output)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Napoleon", "Napoleon"),
        ("NASA", "NASA"),
        ("Nairobi, Kenya", "Nairobi, Kenya"),
        ("None of them", "None of them"),
        ("Unknown Soldier", "Unknown Soldier"),
        ("National Party of Australia", "National Party of Australia"),
        ("natural grass", "natural grass"),
        ("NADP+", "NADP+"),
        ("None succeeded", "None succeeded"),
        ("unknown or unexplored territory", "unknown or unexplored territory"),
        ("not recorded", "not recorded"),
        ("not specifically reserved", "not specifically reserved"),
        ("Nobody knows", "Nobody knows"),
        ("Answer: Napoleon.", "Napoleon"),
    ],
)
def test_answers_that_start_like_a_no_answer_phrase_are_answers(output: str, expected: str) -> None:
    assert parse(output) == expected


@pytest.mark.parametrize(
    "output",
    [
        "unanswerable",
        "Unanswerable.",
        '"unanswerable"',
        "**Unanswerable**",
        "Answer: unanswerable",
        "unanswerable\nThe passage never names the winner.",
        "No answer",
        "no answer.",
        "N/A",
        "n/a",
        "None",
        "None.",
        "Unknown",
        "unknown!",
        "Not mentioned",
        "Not stated in the passage.",
        "The passage does not say.",
        "The passage does not mention who won the race.",
        "The text doesn't specify the date.",
        "Passage does not contain the answer",
        "There is no answer.",
        "There is no answer in the passage.",
        "It is not mentioned in the passage.",
        "The question cannot be answered from the passage.",
    ],
)
def test_no_answer_replies_are_the_empty_prediction(output: str) -> None:
    assert parse(output) == ""


def test_a_no_answer_word_copied_from_the_passage_is_an_answer() -> None:
    """SQuAD has gold answers "None" and "unknown", copied from their passages: a bare reply is
    read as a span when the passage holds it verbatim (same case, whole words)."""
    context = "None of the original treaties mention rights; an unknown process did it."
    assert parse("None", context) == "None"
    assert parse("None.", context) == "None"
    assert parse("unknown", context) == "unknown"
    assert parse("Unknown", context) == ""  # not in the passage with that case
    assert parse("none", context) == ""
    assert parse("N/A", context) == ""


def test_the_instructed_reply_is_no_answer_even_when_the_passage_holds_it() -> None:
    context = "Some questions are unanswerable by design."
    assert parse("unanswerable", context) == ""


def test_scores_follow_the_parse() -> None:
    unanswerable = {**DOC, "answers": []}
    assert HOOKS.process_results(unanswerable, ["The passage does not say."])["f1"] == 100.0
    assert HOOKS.process_results(unanswerable, ["Napoleon"])["f1"] == 0.0
    assert HOOKS.process_results(DOC, ["Napoleon"])["exact_match"] == 100.0
    nasa = {**DOC, "answers": ["NASA"]}
    assert HOOKS.process_results(nasa, ["NASA"])["exact_match"] == 100.0


def test_a_passage_over_the_budget_is_cut_at_a_word_and_marked() -> None:
    limit = HOOKS.MAX_PASSAGE_CHARS
    fits = "x" * limit
    assert HOOKS.passage({"context": fits}) == (fits, False)
    assert HOOKS.process_results({**DOC, "context": fits}, ["Napoleon"])["passage_truncated"] == 0
    words = ("alpha beta " * limit)[: limit + 1]
    text, cut = HOOKS.passage({"context": words})
    assert cut and text.endswith(" […]") and len(text) <= limit
    assert text.removesuffix(" […]").split(" ")[-1] in {"alpha", "beta"}  # no half word
    one_word = "y" * (limit + 1)  # nowhere to cut between words: cut inside it
    assert HOOKS.passage({"context": one_word})[0] == "y" * (limit - 4) + " […]"
    assert HOOKS.process_results({**DOC, "context": words}, ["x"])["passage_truncated"] == 100.0
    prompt = HOOKS.doc_to_text({**DOC, "context": words})
    assert prompt.startswith(HOOKS.INSTRUCTION) and prompt.endswith("Who left Paris?\nAnswer:")
