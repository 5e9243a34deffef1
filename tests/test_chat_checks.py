"""The bundled chat use case's checks: whole-word matching, the echo guard, and the data itself.

The data tests run the real multi-turn runner (:func:`evals.engine.multiturn.run_dialogues`) with a
scripted "model" that answers from a fixed list, and pool the results with the run's own
:func:`evals.runs.results.estimate_metrics`: the numbers are the ones a run would report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from evals.data import read_jsonl
from evals.engine.multiturn import run_dialogues
from evals.fingerprint import sha256_json
from evals.models.loading import PromptMode
from evals.runs.results import estimate_metrics
from evals.usecases import discover_use_cases

CHAT = discover_use_cases()["chat"]
HOOKS = CHAT.module()
DIALOGUES = read_jsonl(CHAT.folder / CHAT.config["data"], ("id", "turns"), HOOKS.check_row)
N_CHECKS = 125  # on the 59 turns of the bundled set


def passes(kind: str, values: list[str], reply: str) -> bool:
    (result,) = HOOKS.run_checks([{"type": kind, "values": values}], reply, [])
    return result["passed"]


# --- whole-word matching ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("It leaves at 14:35.", False),  # inside a time
        ("Gate 15", False),  # inside a longer number
        ("about 5.5 hours", False),  # inside a decimal
        ("5,000 people", False),  # inside a grouped number
        ("the 5th gate", False),  # inside an ordinal
        ("5", True),
        ("Terminal 5.", True),  # sentence punctuation is not part of the number
        ("Terminal 5, gate B", True),
        ("(5)", True),
        ("**5**", True),
        ("gates 3-5", True),  # a hyphen separates tokens
    ],
)
def test_numbers_match_as_numbers(reply: str, expected: bool) -> None:
    assert passes("contains_any", ["5"], reply) is expected


def test_the_issue_examples() -> None:
    assert not passes("contains_any", ["5"], "It leaves at 14:35.")
    assert passes("absent", ["hey"], "they say it is a classic")  # "hey" inside "they"
    assert not passes("persona", ["arr"], "I carry cargo")  # "arr" inside "carry"
    assert not passes("contains_any", ["yes"], "Yesterday it rained.")
    assert passes("contains_any", ["yes"], "Yes.")
    assert passes("persona", ["arr"], "Arr, matey!")
    assert not passes("absent", ["hey"], "Hey, dear reader.")


@pytest.mark.parametrize("kind", ["contains_any", "recall", "persona"])
def test_every_positive_check_uses_the_same_rule(kind: str) -> None:
    assert passes(kind, ["Kyoto"], "You are visiting Kyoto.")
    assert not passes(kind, ["Kyoto"], "You are visiting Kyotoland.")
    assert not passes(kind, ["arr"], "I carry cargo")


def test_case_and_markup_are_ignored() -> None:
    assert passes("contains_any", ["KYOTO"], "kyoto")
    assert passes("contains_any", ["Kyoto"], "**Kyoto**")
    assert passes("contains_any", ["Kyoto"], "_Kyoto_")  # underscore is not a word character
    assert passes("contains_any", ["Kyoto"], '"Kyoto"')
    assert passes("contains_any", ["Kyoto"], "'Kyoto'.")
    assert passes("contains_any", ["blue"], "BLUE!")


def test_multi_word_values_match_as_a_phrase_with_any_whitespace() -> None:
    assert passes("persona", ["dear reader"], "Good day, dear reader.")
    assert passes("persona", ["dear reader"], "Dear\n   reader, good day.")
    assert not passes("persona", ["dear reader"], "Good day, dear readers.")
    assert not passes("persona", ["dear reader"], "dear, reader")
    assert not passes("persona", ["dear reader"], "reader, dear")


def test_values_with_punctuation_match_as_tokens() -> None:
    assert passes("recall", ["14:35"], "It leaves at 14:35.")
    assert not passes("recall", ["14:35"], "It leaves at 14:355.")
    assert not passes("recall", ["14:35"], "It leaves at 114:35.")
    assert not passes("recall", ["2:35"], "It leaves at 12:35.")
    assert passes("recall", ["St. Mary's"], "You work at St. Mary's hospital.")
    assert passes("recall", ["St. Mary's"], "You work at St.  Mary's.")
    # A curly apostrophe is the same apostrophe.
    assert passes("recall", ["St. Mary's"], "You work at St. Mary\u2019s.")
    # An apostrophe joins: "Mary" is not a word of "Mary's", "Biscuit" not of "Biscuit's".
    assert not passes("recall", ["St. Mary"], "You work at St. Mary's hospital.")
    assert not passes("recall", ["Biscuit"], "Biscuit's breed")


def test_no_stems_or_prefixes_accepted_forms_are_listed() -> None:
    assert not passes("recall", ["travel"], "The manager is travelling.")
    assert not passes("recall", ["photo"], "You edit photos.")
    assert not passes("recall", ["photo"], "photography")
    assert passes("recall", ["travel", "travelling"], "The manager is travelling.")


def test_absent_is_the_negation_of_contains_any() -> None:
    for reply in ["", "they", "hey", "Hey!", "a peanut-free bar", "peanuts"]:
        for values in (["hey"], ["peanut", "satay"]):
            assert passes("absent", values, reply) is not passes("contains_any", values, reply)
    assert not passes("absent", ["peanut"], "a peanut-free bar")  # hyphen separates


def test_empty_values_are_rejected_by_the_row_check() -> None:
    row = {"id": "x", "turns": [{"user": "hi", "checks": [{"type": "contains_any", "values": []}]}]}
    assert "values" in (HOOKS.check_row(row) or "")
    row["turns"][0]["checks"][0]["values"] = [" "]
    assert "values" in (HOOKS.check_row(row) or "")
    row["turns"][0]["checks"][0]["values"] = "hi"  # a string is not a list of values
    assert "values" in (HOOKS.check_row(row) or "")


# --- not_echo --------------------------------------------------------------------------------


def not_echo(reply: str, history: list[dict[str, str]]) -> bool:
    (result,) = HOOKS.run_checks([{"type": "not_echo"}], reply, history)
    return result["passed"]


USER = "My order number is 58213 and the parcel has not arrived after two weeks."
HISTORY = [
    {"role": "system", "content": "You are a support agent for a parcel service."},
    {"role": "user", "content": USER},
]


def test_not_echo_fails_copies_of_the_user_and_the_system_prompt() -> None:
    assert not not_echo(USER, HISTORY)
    assert not not_echo(USER.upper(), HISTORY)  # case and punctuation do not hide a copy
    assert not not_echo(HISTORY[0]["content"] + "\n" + USER, HISTORY)
    assert not not_echo("", HISTORY)  # no words: nothing was replied
    assert not not_echo("?!", HISTORY)


def test_not_echo_passes_real_replies_that_quote_a_little() -> None:
    assert not_echo("Of course: your order number is 58213.", HISTORY)
    sorry = "I'm sorry the parcel has not arrived. Could you give me your postcode?"
    assert not_echo(sorry, HISTORY)
    assert not_echo("Sorry!", HISTORY)
    assert not_echo("anything at all", [])  # no source: nothing to copy


def test_not_echo_threshold_is_half_of_the_words_in_runs_of_five() -> None:
    copied = "my order number is 58213"  # a run of 5 words the user wrote
    assert not_echo(copied + " one two three four five", HISTORY)  # 5 of 10 words: passes
    assert not not_echo(copied + " one two three four", HISTORY)  # 5 of 9: fails
    assert not_echo("my order number is", HISTORY)  # a run of 4 is not a copy
    # Runs may span the user's turns, which only a copy of them does.
    history = [
        {"role": "user", "content": "Who are you?"},
        {"role": "user", "content": "Where do you live?"},
    ]
    assert not not_echo("Who are you?\nWhere do you live?", history)


def test_not_echo_ignores_the_assistants_own_messages() -> None:
    reply = "Your parcel is on its way and will arrive on Monday morning."
    history = [*HISTORY, {"role": "assistant", "content": reply}]
    assert not_echo(reply, history)


# --- baseline policies -----------------------------------------------------------------------


def test_baseline_replies_are_defined_per_turn() -> None:
    turns = [{"user": "Hi.", "checks": []}, {"user": "Bye.", "checks": []}]
    dialogue = {"id": "x", "system": "Be brief.", "turns": turns}
    assert HOOKS.baseline_replies(dialogue) == {
        "empty": ["", ""],
        "echo": ["Be brief.\nHi.", "Be brief.\nHi.\nBye."],
        "echo_last": ["Hi.", "Bye."],
    }
    del dialogue["system"]
    assert HOOKS.baseline_replies(dialogue)["echo"] == ["Hi.", "Hi.\nBye."]


# --- the bundled data, scored by the real runner -------------------------------------------


class ScriptedLM:
    """An lm-eval LM stand-in answering turn t of each dialogue with ``replies(dialogue)[t]``."""

    def __init__(self, replies: Callable[[dict[str, Any]], list[str]]) -> None:
        self.replies = replies
        self.calls = 0

    def apply_chat_template(self, history: list[dict[str, str]]) -> str:
        return json.dumps(history)

    def generate_until(self, requests: list[Any]) -> list[str]:
        self.calls += 1
        out = []
        for request in requests:
            history = json.loads(request.args[0])
            turn = sum(m["role"] == "user" for m in history) - 1
            out.append(self.replies(request.doc)[turn])
        return out


def run_policy(replies: Callable[[dict[str, Any]], list[str]]) -> dict[str, float]:
    lm = ScriptedLM(replies)
    records = run_dialogues(SimpleNamespace(lm=lm), CHAT, PromptMode.CHAT, None)
    assert lm.calls == max(len(d["turns"]) for d in DIALOGUES)
    metrics = estimate_metrics(records, list(records[0]["scores"]), CHAT.reducers)
    turns = [t for r in records for t in r["turns"]]
    counts = {
        "passed_turns": sum(t["passed"] for t in turns),
        "passed_checks": sum(c["passed"] for t in turns for c in t["checks"]),
        "checks": sum(len(t["checks"]) for t in turns),
    }
    return counts | {name: est.value for name, est in metrics.items()}


def test_bundled_data_shape() -> None:
    assert len(DIALOGUES) == 25
    assert len({d["id"] for d in DIALOGUES}) == 25
    turns = [turn for d in DIALOGUES for turn in d["turns"]]
    assert len(turns) == 59
    assert all(2 <= len(d["turns"]) <= 4 for d in DIALOGUES)
    for turn in turns:
        assert isinstance(turn.get("reference"), str) and turn["reference"].strip()
        assert turn["checks"]
    used = {c["type"] for turn in turns for c in turn["checks"]}
    assert used == set(HOOKS.CHECKS)  # every check type is exercised by the data


def test_references_pass_every_check() -> None:
    """ORACLE: the references, fed back as the model's own replies, pass every turn."""
    scores = run_policy(lambda d: [turn["reference"] for turn in d["turns"]])
    assert scores["checks"] == N_CHECKS
    assert scores["passed_checks"] == N_CHECKS
    assert scores["turn_pass_rate"] == 100.0
    assert scores["dialogue_pass"] == 100.0
    assert scores["check_pass_rate"] == 100.0
    assert scores["invalid"] == 0.0


# The trivial policies' scores on the bundled set (125 checks on 59 turns), pinned: a change in
# the checks or the data shows up here. None passes a single turn; the checks they do pass are
# the ones a copy cannot fail on its own (an "absent" the user did not write, a fact the echo
# repeats), each paired on its turn with a check the copy fails.
BASELINES = {
    "empty": {"passed_turns": 0, "passed_checks": 11, "turn_pass_rate": 0.0, "invalid": 100.0},
    "echo": {"passed_turns": 0, "passed_checks": 45, "turn_pass_rate": 0.0, "invalid": 0.0},
    "echo_last": {"passed_turns": 0, "passed_checks": 27, "turn_pass_rate": 0.0, "invalid": 0.0},
}


@pytest.mark.parametrize("policy", sorted(BASELINES))
def test_trivial_policies_score_low(policy: str) -> None:
    scores = run_policy(lambda d: HOOKS.baseline_replies(d)[policy])
    assert scores["turn_pass_rate"] < 15.0
    expected = BASELINES[policy]
    assert scores["passed_turns"] == expected["passed_turns"]
    assert scores["passed_checks"] == expected["passed_checks"]
    assert scores["turn_pass_rate"] == pytest.approx(expected["turn_pass_rate"], abs=1e-9)
    assert scores["dialogue_pass"] == 0.0
    assert scores["check_pass_rate"] == pytest.approx(
        100.0 * expected["passed_checks"] / N_CHECKS, abs=1e-9
    )
    assert scores["invalid"] == expected["invalid"]


# --- exact values at the edges ---------------------------------------------------------------


def _row(turns: Any) -> dict[str, Any]:
    return {"id": "x", "turns": turns}


def _turn(**extra: Any) -> dict[str, Any]:
    return {"user": "Hi there", "checks": [{"type": "not_echo"}], **extra}


KNOWN = ", ".join(HOOKS.CHECKS)


@pytest.mark.parametrize(
    ("turns", "reason"),
    [
        ("Hi", "turns must be a list of 1-8 user turns"),
        ([], "turns must be a list of 1-8 user turns"),
        ([_turn()] * 9, "turns must be a list of 1-8 user turns"),
        (["Hi"], "turn 1 has no user text"),
        ([{"checks": [{"type": "not_echo"}]}], "turn 1 has no user text"),
        ([_turn(), _turn(user="  ")], "turn 2 has no user text"),
        ([_turn(checks="not_echo")], f"turn 1: unknown check type None (known: {KNOWN})"),
        (
            [_turn(checks=[{"type": "rhymes"}])],
            f"turn 1: unknown check type 'rhymes' (known: {KNOWN})",
        ),
        ([_turn(checks=[{"type": "max_words"}])], "turn 1: check 'max_words' needs 'value'"),
        ([{"user": "Hi"}], "turn 1 has no checks"),
        ([_turn(checks=[])], "turn 1 has no checks"),
        ([_turn(reference=5)], "turn 1: reference must be a string"),
    ],
)
def test_row_check_reasons(turns: Any, reason: str) -> None:
    assert HOOKS.check_row(_row(turns)) == reason


def test_eight_turns_are_allowed() -> None:
    assert HOOKS.check_row(_row([_turn()] * 8)) is None


def test_copied_share_exact_values() -> None:
    source = [{"role": "user", "content": "b c d e f x f g h i j"}]
    # words 2-10 lie in two copied runs of five; the first word is the reply's own
    assert HOOKS.copied_share("a b c d e f g h i j", source) == 0.9
    five = [{"role": "user", "content": "one two three four five"}]
    assert HOOKS.copied_share("one two three four five", five) == 1.0
    assert HOOKS.copied_share("zero one two three four five", five) == pytest.approx(5 / 6)
    assert HOOKS.copied_share("", five) == 1.0 and HOOKS.copied_share("...", five) == 1.0
    # a message without content adds nothing to the source
    bare = [{"role": "system"}, {"role": "user", "content": "a b c d"}]
    assert HOOKS.copied_share("none a b c d", bare) == 0.0
    assert HOOKS.copied_share("xxxx a b c d", bare) == 0.0


def _check(check: dict[str, Any], reply: str) -> bool:
    (result,) = HOOKS.run_checks([check], reply, [])
    return result["passed"]


def test_json_object_needs_every_key_in_some_object() -> None:
    check = {"type": "json_object", "keys": ["k"]}
    assert _check(check, '{"k": 1}') and _check(check, 'Here: [{"k": 1}]')
    assert not _check(check, '{"a": 1}') and not _check(check, '["k"]')
    assert _check(check, 'Here it is: {"k": 1} and that is all.')  # an object inside prose


def test_bullet_list_counts_each_bullet_once() -> None:
    check = {"type": "bullet_list", "min_items": 3}
    assert not _check(check, "- one\n- two")
    assert _check(check, "- one\n* two\n1. three")


def test_starts_and_ends_with_ignore_quotes_and_emphasis() -> None:
    assert _check({"type": "starts_with", "value": "Yes"}, ' "**Yes**, sure')
    assert _check({"type": "starts_with", "value": "Xy"}, "Xylophone it is")
    assert not _check({"type": "starts_with", "value": "Yes"}, "Well, yes")
    assert _check({"type": "ends_with", "value": "?"}, 'Ready?"** ')
    assert _check({"type": "ends_with", "value": "X"}, "It was Malcolm X")
    assert not _check({"type": "ends_with", "value": "?"}, "Ready? No.")


def test_dialogue_identity_and_parsed_reply() -> None:
    dialogue = {"id": "d1", "turns": [{"user": "Hi", "checks": []}]}
    assert HOOKS.doc_hash(dialogue) == sha256_json(dialogue)
    assert HOOKS.doc_hash(dialogue) != HOOKS.doc_hash({**dialogue, "id": "d2"})
    assert HOOKS.parse_output(dialogue, "  Hello!\n") == "Hello!"
