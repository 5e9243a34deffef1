import random

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score

from evals.metrics.ner import align_entities, entity_counts, parse_entities
from evals.score import read_conll
from evals.statistics import item_statistics, reduce_f1, reduce_precision, reduce_recall
from tests.conftest import shared_data

TYPES = ("PER", "ORG", "LOC", "MISC")


def tags_for(sentence: str, entities: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    return align_entities(sentence.split(), entities)


def test_multiword_and_case_insensitive() -> None:
    tags, unaligned = tags_for("He moved to New York in May .", [("new york", "LOC")])
    assert tags == ["O", "O", "O", "B-LOC", "I-LOC", "O", "O", "O"] and unaligned == []


def test_each_listing_tags_one_occurrence_left_to_right() -> None:
    """seqeval counts exact spans, so a listing stands for one mention: the k-th listing of a
    string tags its k-th free occurrence."""
    sentence = "Paris and Lyon will host ; Paris hosts the final ."
    tags, unaligned = tags_for(sentence, [("Paris", "LOC"), ("Paris", "LOC"), ("Lyon", "LOC")])
    assert tags == ["B-LOC", "O", "B-LOC", "O", "O", "O", "B-LOC", "O", "O", "O", "O"]
    assert unaligned == []
    tags, unaligned = tags_for(sentence, [("Paris", "LOC"), ("Lyon", "LOC")])
    assert tags == ["B-LOC", "O", "B-LOC", "O", "O", "O", "O", "O", "O", "O", "O"]
    assert unaligned == []


def test_case_insensitive_match_tags_the_first_occurrence_only() -> None:
    tags, unaligned = tags_for("Apple sold an apple", [("Apple", "ORG")])
    assert tags == ["B-ORG", "O", "O", "O"] and unaligned == []
    tags, unaligned = tags_for("Apple sold an apple", [("Apple", "ORG"), ("Apple", "ORG")])
    assert tags == ["B-ORG", "O", "O", "B-ORG"] and unaligned == []


def test_an_occurrence_with_the_listed_case_comes_first() -> None:
    tags, _ = tags_for("an apple fell on Apple", [("Apple", "ORG")])
    assert tags == ["O", "O", "O", "O", "B-ORG"]
    tags, _ = tags_for("the military and the Military", [("the Military", "ORG")])
    assert tags == ["O", "O", "O", "B-ORG", "I-ORG"]
    tags, _ = tags_for("Apple sold an apple", [("apple", "ORG")])
    assert tags == ["O", "O", "O", "B-ORG"]


def test_listing_more_often_than_it_occurs_is_a_false_positive() -> None:
    gold = ["B-ORG", "O", "O", "O"]
    tags, unaligned = tags_for("Apple sold an orange", [("Apple", "ORG"), ("Apple", "ORG")])
    assert tags == gold and unaligned == ["ORG"]
    assert entity_counts(gold, tags, TYPES, unaligned)["f1"] == [1.0, 2.0, 1.0]


def test_one_string_listed_with_two_types_keeps_both() -> None:
    tags, unaligned = tags_for("Jordan flew to Jordan", [("Jordan", "PER"), ("Jordan", "LOC")])
    assert tags == ["B-PER", "O", "O", "B-LOC"] and unaligned == []
    counts = entity_counts(["B-PER", "O", "O", "B-LOC"], tags, TYPES, unaligned)
    assert counts["f1"] == [2.0, 2.0, 2.0]


def test_overlap_longest_first_and_no_double_tagging() -> None:
    sentence = "The New York Times reported it ."
    tags, unaligned = tags_for(sentence, [("New York", "LOC"), ("New York Times", "ORG")])
    gold = ["O", "B-ORG", "I-ORG", "I-ORG", "O", "O", "O"]
    assert tags == gold
    # The dropped "New York" is still a prediction, and a wrong one.
    assert unaligned == ["LOC"]
    counts = entity_counts(gold, tags, TYPES, unaligned)
    assert counts["f1"] == [1.0, 2.0, 1.0]
    assert counts["f1_LOC"] == [0.0, 1.0, 0.0]


def test_partial_match_tags_only_what_is_named_and_scores_wrong() -> None:
    gold = ["O", "O", "O", "B-LOC", "I-LOC", "O"]
    tags, _ = tags_for("He moved to New York .", [("York", "LOC")])
    assert tags == ["O", "O", "O", "O", "B-LOC", "O"]
    counts = entity_counts(gold, tags, TYPES)
    assert counts["f1"] == [0.0, 1.0, 1.0]


def test_shared_first_name_does_not_merge_people() -> None:
    sentence = "Keiko Tanaka met Keiko Mori in Kyoto ."
    tags, _ = tags_for(sentence, [("Keiko Tanaka", "PER"), ("Keiko Mori", "PER")])
    assert tags == ["B-PER", "I-PER", "O", "B-PER", "I-PER", "O", "O", "O"]


def test_punctuation_in_and_around_entities() -> None:
    sentence = "The U.S. and Smith , Jr. agreed ."
    tags, unaligned = tags_for(sentence, [("U.S.", "LOC"), ("Smith,", "PER"), ("“Jr.”", "PER")])
    assert tags == ["O", "B-LOC", "O", "B-PER", "O", "B-PER", "O", "O"]
    assert unaligned == []


@pytest.mark.parametrize(
    ("sentence", "text", "expected"),
    [
        ("Smith , said", "Smith,", ["B-PER", "O", "O"]),
        ("Smith ; Jones", "Smith;", ["B-PER", "O", "O"]),
        ("He met Smith .", "Smith.", ["O", "O", "B-PER", "O"]),
        ("He met Smith", "Smith,", ["O", "O", "B-PER"]),
        ("in the U.S. , said", "U.S.,", ["O", "O", "B-PER", "O", "O"]),
        ("to St. Louis .", "St. Louis.", ["O", "B-PER", "I-PER", "O"]),
        # Punctuation written as its own word, or part of the name, is kept (WNUT-17 tags these).
        ("Smith , said", "Smith ,", ["B-PER", "I-PER", "O"]),
        ("from B . C . today", "B.C.", ["O", "B-PER", "I-PER", "I-PER", "I-PER", "O"]),
        ("ask @ voxd now", "@voxd", ["O", "B-PER", "I-PER", "O"]),
        ("Yahoo! said", "Yahoo!", ["B-PER", "O"]),
    ],
)
def test_attached_punctuation_does_not_swallow_a_punctuation_token(
    sentence: str, text: str, expected: list[str]
) -> None:
    tags, unaligned = tags_for(sentence, [(text, "PER")])
    assert tags == expected and unaligned == []


def test_hallucinated_entity_counts_as_false_positive() -> None:
    gold = ["B-PER", "O", "O"]
    tags, unaligned = tags_for("Ana sang .", [("Ana", "PER"), ("Berlin", "LOC")])
    assert unaligned == ["LOC"]
    counts = entity_counts(gold, tags, TYPES, unaligned)
    assert counts["f1"] == [1.0, 2.0, 1.0]
    assert counts["f1_LOC"] == [0.0, 1.0, 0.0]


def test_substring_of_a_token_does_not_match() -> None:
    _, unaligned = tags_for("Stanford won .", [("Stan", "PER")])
    assert unaligned == ["PER"]


@pytest.mark.parametrize(
    "output",
    [
        '[{"text": "Ana", "type": "PER"}]',
        'Sure! Here they are:\n```json\n[{"text": "Ana", "type": "person"}]\n```\nHope it helps.',
        '{"entities": [{"entity": "Ana", "label": "PER"}]}',
        "[['Ana', 'PER']]",
        '[{"text": "Ana", "type": "PER"}, {"text": "Ber',  # cut off by the token limit
    ],
)
def test_parser_tolerates_real_output_shapes(output: str) -> None:
    parsed = parse_entities(output, TYPES)
    assert parsed.format_ok and parsed.entities[0] == ("Ana", "PER")


@pytest.mark.parametrize(
    "output", ["", "I don't know.", "\x00\xff" * 50, "[" * 5000, "x" * 100_000]
)
def test_parser_never_crashes_and_flags_format_failure(output: str) -> None:
    parsed = parse_entities(output, TYPES)
    assert parsed.entities == () and not parsed.format_ok


def test_empty_list_is_a_valid_answer() -> None:
    parsed = parse_entities("[]", TYPES)
    assert parsed.format_ok and parsed.entities == ()


def test_counts_equal_seqeval_on_conll2003_test() -> None:
    """Per-sentence counts summed must give seqeval's corpus P/R/F1 on the real CoNLL-2003 test
    set, with a corrupted prediction (dropped and retyped entities)."""
    sentences = read_conll(shared_data("conll2003", "eng.testb"))
    assert len(sentences) == 3453
    rng = random.Random(0)
    gold_all, pred_all, stats = [], [], []
    for _, gold in sentences:
        pred = list(gold)
        for i, tag in enumerate(pred):
            if tag.startswith("B-") and rng.random() < 0.2:
                pred[i] = "B-" + rng.choice(["PER", "ORG", "LOC", "MISC"])
            elif tag.startswith("I-") and rng.random() < 0.1:
                pred[i] = "O"
        gold_all.append(gold)
        pred_all.append(pred)
        stats.append(entity_counts(gold, pred, TYPES)["f1"])
    summed = item_statistics(stats).sum(0)
    assert float(reduce_f1(summed)) == pytest.approx(100 * f1_score(gold_all, pred_all))
    assert float(reduce_precision(summed)) == pytest.approx(
        100 * precision_score(gold_all, pred_all)
    )
    assert float(reduce_recall(summed)) == pytest.approx(100 * recall_score(gold_all, pred_all))
    assert summed[2] == 1668 + 1661 + 1617 + 702  # the official test entity count
