"""Model output of any shape is scored, never a crash: every task hook on hostile outputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from evals.errors import DataError
from evals.fingerprint import sha256_text
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
    hooks = use_case.module()
    doc = hooks.load_dataset()["test"][0]
    scores = hooks.process_results(doc, [output])
    assert set(scores) == set(use_case.tasks[0].metrics)
    assert all(_finite(v) for v in scores.values())
    hooks.parse_output(doc, output)  # what the samples file records


@pytest.mark.parametrize("output", HOSTILE)
def test_chat_checks_score_any_output(output: str) -> None:
    hooks = USE_CASES["chat"].module()
    every_check = [
        {"type": "contains_any", "values": ["a"]},
        {"type": "absent", "values": ["b"]},
        {"type": "recall", "values": ["5", "14:35"]},
        {"type": "not_echo"},
        {"type": "persona", "values": ["dear reader"]},
        {"type": "max_words", "value": 5},
        {"type": "starts_with", "value": "Yes"},
        {"type": "ends_with", "value": "?"},
        {"type": "json_object", "keys": ["k"]},
        {"type": "bullet_list", "min_items": 2},
        {"type": "uppercase"},
    ]
    assert {c["type"] for c in every_check} == set(hooks.CHECKS)
    history = [{"role": "user", "content": output}, {"role": "assistant", "content": output}]
    results = hooks.run_checks(every_check, output, history)
    assert [r["type"] for r in results] == [c["type"] for c in every_check]
    assert all(isinstance(r["passed"], bool) for r in results)


def test_invalid_outputs_are_counted() -> None:
    sentiment = USE_CASES["sentiment"].module()
    doc = sentiment.load_dataset()["test"][0]
    assert sentiment.process_results(doc, ["I refuse."])["invalid"] == 100.0
    ner = USE_CASES["ner"].module()
    ner_doc = ner.load_dataset()["test"][0]
    scores = ner.process_results(ner_doc, ["no list here"])
    assert scores["invalid"] == 100.0 and scores["f1"][1] == 0.0


# --- each hook's exact output (bundled use cases, no shared data) ---------------------------------

SENTIMENT = USE_CASES["sentiment"].module()
NER = USE_CASES["ner"].module()
QA = USE_CASES["qa"].module()
SUMMARIZATION = USE_CASES["summarization"].module()
CHAT = USE_CASES["chat"].module()

_BAD_ROWS = [
    (
        SENTIMENT,
        {"id": "1", "text": "Great!", "label": "happy"},
        "label 'happy' is not one of negative, neutral, positive",
    ),
    (
        NER,
        {"id": "1", "tokens": ["Bob"], "tags": ["B-PERSON"]},
        "tag 'B-PERSON' is not IOB2 over PER, ORG, LOC, MISC",
    ),
    (
        QA,
        {"id": "1", "context": "c", "question": "q", "answers": "c"},
        "answers must be a list (empty for an unanswerable question)",
    ),
    (
        SUMMARIZATION,
        {"id": "1", "document": "d", "summaries": []},
        "summaries must be a non-empty list of non-empty strings",
    ),
]


@pytest.mark.parametrize(("hooks", "row", "reason"), _BAD_ROWS)
def test_a_bad_bundled_row_is_one_error_naming_file_line_and_reason(
    hooks: Any, row: dict[str, Any], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = hooks.load_dataset()
    assert set(good) == {"test", "fewshot"} and len(good["test"]) > 0
    monkeypatch.setattr(hooks, "DATA_DIR", tmp_path)
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "fewshot.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataError) as err:
        hooks.load_dataset()
    assert str(err.value) == f"{tmp_path / 'test.jsonl'}:1: {reason}"


@pytest.mark.parametrize(
    ("hooks", "loaders"),
    [
        (SENTIMENT, {"load_sst2": "sst2", "load_tweet_eval": "tweet_eval"}),
        (NER, {"load_conll2003": "conll2003", "load_wnut17": "wnut17"}),
        (QA, {"load_squad_v1": "squad_v1.1", "load_squad_v2": "squad_v2.0"}),
        (
            SUMMARIZATION,
            {
                "load_xsum": "xsum",
                "load_cnn_dailymail": "cnn_dailymail",
                "load_samsum": "samsum",
                "load_dialogsum": "dialogsum",
            },
        ),
    ],
)
def test_each_benchmark_loader_asks_for_its_own_benchmark(
    hooks: Any, loaders: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "benchmark_dataset", lambda name, **kw: (name, kw))
    for loader, benchmark in loaders.items():
        assert getattr(hooks, loader)(revision="abc") == (benchmark, {"revision": "abc"})


# sentiment


def test_label_set_rows_and_scores() -> None:
    labels = SENTIMENT.LabelSet(["bad", "good"], macro_recall=True)
    assert labels.check({"label": "good", "text": "Fine."}) is None
    assert labels.check({"label": "ok", "text": "Fine."}) == "label 'ok' is not one of bad, good"
    assert labels.check({"label": "bad", "text": "  "}) == "text is empty"
    assert labels.check({"label": "bad", "text": 5}) == "text is empty"
    assert labels.scores("good", "bad", prefix="x_") == {
        "x_accuracy": 0.0,
        "x_macro_f1": [0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        "x_macro_recall": [0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
    }
    assert labels.parse_output({}, "Good, not bad") == "good"


def test_tweet_eval_scores_macro_recall_and_the_bundled_set_does_not() -> None:
    doc = {"text": "meh", "label": "neutral"}
    assert SENTIMENT.tweet_eval_process_results(doc, ["Neutral."]) == {
        "accuracy": 100.0,
        "macro_f1": [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        "macro_recall": [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        "invalid": 0.0,
    }
    assert SENTIMENT.process_results(doc, ["no idea"]) == {
        "accuracy": 0.0,
        "macro_f1": [0.0] * 7 + [1.0, 0.0],
        "invalid": 100.0,
    }


def test_sentiment_choice_and_aggregations() -> None:
    doc = {"label": "positive"}
    assert SENTIMENT.label_index(doc) == 2 and SENTIMENT.label_index({"label": "negative"}) == 0
    scores = SENTIMENT.process_results_choice(doc, [(-3.0, False), (-2.5, False), (-0.5, True)])
    assert scores == {
        "choice_accuracy": 100.0,
        "choice_macro_f1": [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
    }
    wrong = SENTIMENT.process_results_choice(doc, [(-0.1, False), (-2.5, False), (-0.5, True)])
    assert wrong["choice_accuracy"] == 0.0
    # two classes, per item one-hot [tp_a, tp_b, predicted_a, predicted_b, gold_a, gold_b]
    items = [
        [1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
    ]
    assert SENTIMENT.aggregate_macro_f1(items) == pytest.approx(100 * (2 / 3 + 2 / 3) / 2)
    assert SENTIMENT.aggregate_macro_recall(items) == pytest.approx(100 * (1 + 0.5) / 2)


# ner


def test_entity_task_row_checks() -> None:
    task = NER.EntityTask(["A", "B"], "List them.")
    assert task.check({"tokens": ["x", "y"], "tags": ["B-A", "I-A"]}) is None
    shape = "tokens and tags must be non-empty lists of the same length"
    for tokens, tags in ((["x"], ["O", "O"]), ([], []), ("x", ["O"])):
        assert task.check({"tokens": tokens, "tags": tags}) == shape
    for tag in ("B-C", "X-A", "A", "b-A"):
        assert task.check({"tokens": ["x"], "tags": [tag]}) == f"tag {tag!r} is not IOB2 over A, B"
    assert task.doc_to_text({"tokens": ["Hi", "Bo"]}) == "List them.\n\nSentence: Hi Bo\nEntities:"


def test_ner_prompt_and_reference_answer() -> None:
    doc = {
        "tokens": ["Anna", "moved", "to", "Zürich", "Nord", "."],
        "tags": ["B-PER", "O", "O", "B-LOC", "I-LOC", "O"],
    }
    assert (
        NER.doc_to_text(doc)
        == f"{NER.INSTRUCTION}\n\nSentence: Anna moved to Zürich Nord .\nEntities:"
    )
    assert NER.gold_entities(doc) == [
        {"text": "Anna", "type": "PER"},
        {"text": "Zürich Nord", "type": "LOC"},
    ]
    assert NER.doc_to_target(doc) == (
        '[{"text": "Anna", "type": "PER"}, {"text": "Zürich Nord", "type": "LOC"}]'
    )
    assert NER.baselines([doc, doc]) == {"no_entities": ["[]", "[]"]}


def test_ner_parse_and_score_with_an_unaligned_listing() -> None:
    doc = {"tokens": ["Anna", "met", "Bo", "."], "tags": ["B-PER", "O", "B-PER", "O"]}
    output = '[{"text": "Anna", "type": "person"}, {"text": "Paris", "type": "LOC"}]'
    assert NER.parse_output(doc, output) == {
        "entities": [{"text": "Anna", "type": "PER"}, {"text": "Paris", "type": "LOC"}],
        "tags": ["B-PER", "O", "O", "O"],
        "unaligned": ["LOC"],
        "format_ok": True,
    }
    scores = NER.process_results(doc, [output])
    assert scores["f1"] == [1.0, 2.0, 2.0] and scores["f1_LOC"] == [0.0, 1.0, 0.0]
    assert (scores["unaligned"], scores["invalid"]) == (100.0, 0.0)
    clean = NER.process_results(doc, ['[{"text": "Bo", "type": "PER"}]'])
    assert (clean["f1"], clean["unaligned"], clean["invalid"]) == ([1.0, 1.0, 2.0], 0.0, 0.0)


def test_ner_aggregations() -> None:
    items = [[2.0, 3.0, 4.0], [1.0, 1.0, 2.0]]
    assert NER.aggregate_f1(items) == pytest.approx(100 * 6 / 10)
    assert NER.aggregate_precision(items) == 75.0
    assert NER.aggregate_recall(items) == 50.0


# qa


def test_qa_prompt_target_and_clusters() -> None:
    doc = {"context": "Bo won.", "question": "Who won?", "answers": ["Bo", "Bo Li"]}
    assert (
        QA.doc_to_text(doc) == f"{QA.INSTRUCTION}\n\nPassage: Bo won.\nQuestion: Who won?\nAnswer:"
    )
    assert QA.doc_to_target(doc) == "Bo" and QA.doc_to_target({"answers": []}) == "unanswerable"
    assert QA.cluster_key(doc) == sha256_text("Bo won.")[:16]
    assert QA.cluster_key(doc) != QA.cluster_key({"context": "Bo lost."})
    assert QA.aggregate_mean([[100.0, 1.0], [0.0, 0.0], [50.0, 1.0]]) == 75.0


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("   ", ""),
        ("'Bo Li'", "Bo Li"),
        ("Xerxes", "Xerxes"),
        ("Malcolm X.", "Malcolm X"),
        ("answer: Bo", "Bo"),
        ("A: Bo", "Bo"),
        ('"Bo"', "Bo"),
    ],
)
def test_qa_answer_spans_as_parsed(output: str, expected: str) -> None:
    assert QA.parse_output({"context": "Bo won."}, output) == expected


def test_qa_no_answer_phrase_without_a_passage_is_no_answer() -> None:
    assert QA.parse_output({}, "None") == ""
    assert QA.parse_output({"context": "None of them came."}, "None") == "None"


def test_qa_scores_and_invalid_outputs() -> None:
    answerable = {"context": "Bo won.", "answers": ["Bo"]}
    assert QA.process_results(answerable, ["Bo"]) == {
        "exact_match": 100.0,
        "f1": 100.0,
        "has_answer_f1": [100.0, 1.0],
        "no_answer_accuracy": [0.0, 0.0],
        "invalid": 0.0,
        "passage_truncated": 0.0,
    }
    unanswerable = {"context": "Bo won.", "answers": []}
    assert QA.process_results(unanswerable, [" \n "]) == {
        "exact_match": 100.0,
        "f1": 100.0,
        "has_answer_f1": [0.0, 0.0],
        "no_answer_accuracy": [100.0, 1.0],
        "invalid": 100.0,
        "passage_truncated": 0.0,
    }


def test_qa_baselines_are_no_answer_and_the_first_sentence() -> None:
    docs = [{"context": "Bo won the race. Then he left! Later, rain."}, {"context": "One line"}]
    assert QA.baselines(docs) == {
        "unanswerable": ["unanswerable", "unanswerable"],
        "first_sentence": ["Bo won the race.", "One line"],
    }


# summarization


def test_summarization_rows_prompts_and_targets() -> None:
    check = SUMMARIZATION._check
    reason = "summaries must be a non-empty list of non-empty strings"
    for summaries in ("one", [], ["ok", " "], ["ok", 5]):
        assert check({"summaries": summaries}) == reason
    assert check({"summaries": ["ok"]}) is None
    doc = {"document": "A: hi\nB: yo", "summaries": ["They greet.", "Hi."]}
    assert SUMMARIZATION.doc_to_text(doc) == (
        "Summarize the article in one sentence.\n\nArticle: A: hi\nB: yo\nSummary:"
    )
    assert SUMMARIZATION.dialogue_doc_to_text(doc) == (
        "Summarize the dialogue in one or two sentences.\n\nDialogue:\nA: hi\nB: yo\nSummary:"
    )
    assert SUMMARIZATION.doc_to_target(doc) == "They greet."


def test_an_empty_summary_scores_zero_and_is_invalid() -> None:
    doc = {"summaries": ["The cat sat."]}
    zero = dict.fromkeys(("rouge1", "rouge2", "rougeL", "rougeLsum"), 0.0)
    assert SUMMARIZATION.process_results(doc, ["  "]) == {**zero, "invalid": 100.0}
    full = dict.fromkeys(zero, 100.0)
    assert SUMMARIZATION.process_results(doc, [" The cat sat. "]) == {**full, "invalid": 0.0}


def test_lead_baselines_take_the_first_sentences_one_per_line() -> None:
    docs = [{"document": "A one. B two. C three. D four."}, {"document": "Only one."}]
    assert SUMMARIZATION.baselines(docs) == {
        "lead1": ["A one.", "Only one."],
        "lead3": ["A one.\nB two.\nC three.", "Only one."],
    }


def test_a_label_set_reports_macro_recall_only_when_asked() -> None:
    assert set(SENTIMENT.LabelSet(["bad", "good"]).scores("bad", None)) == {"accuracy", "macro_f1"}
