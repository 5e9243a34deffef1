"""Exact behaviour of the output readers at their edges: each shape of entity list a model
writes, type names as written, punctuation-only tokens, the bounded JSON scan, SQuAD F1 of a
disjoint answer, and the errors' wording."""

from __future__ import annotations

import pytest

from evals.metrics.json_text import MAX_STARTS, embedded_values
from evals.metrics.ner import (
    ParsedEntities,
    _attached_trailing_punctuation_removed,
    _punctuation_only,
    align_entities,
    normalize_type,
    parse_entities,
)
from evals.metrics.rouge import rouge_scores
from evals.metrics.squad import squad_scores

CONLL = ("PER", "ORG", "LOC", "MISC")
WNUT = ("person", "location", "group", "corporation", "creative-work", "product")


# --- entity lists as models write them ------------------------------------------------------------


def test_a_list_cut_off_by_the_token_limit_keeps_every_complete_object() -> None:
    output = '[{"text": "Paris", "type": "LOC"}, {"text": "Bob", "type": "PER"}, {"text": "Al'
    assert parse_entities(output, CONLL) == ParsedEntities(
        (("Paris", "LOC"), ("Bob", "PER")), format_ok=True
    )


def test_a_list_of_pairs_inside_prose_is_read() -> None:
    output = 'Sure! Entities: [["Paris", "LOC"], ["Bob", "person"]] hope that helps'
    assert parse_entities(output, CONLL) == ParsedEntities(
        (("Paris", "LOC"), ("Bob", "PER")), format_ok=True
    )


def test_an_object_that_is_not_an_entity_is_skipped_in_prose() -> None:
    output = 'meta {"model": "x"} answer: {"text": "Paris", "type": "LOC"}'
    assert parse_entities(output, CONLL) == ParsedEntities((("Paris", "LOC"),), format_ok=True)


@pytest.mark.parametrize("output", ['meta {"model": "x"} nothing else', '{"foo": 1}', "[", "{"])
def test_objects_without_entity_keys_are_no_entity_list(output: str) -> None:
    assert parse_entities(output, CONLL) == ParsedEntities((), format_ok=False)
    assert parse_entities(output, CONLL).format_ok is False


@pytest.mark.parametrize("key", ["entities", "named_entities", "ner", "result"])
def test_each_wrapper_key_is_unwrapped(key: str) -> None:
    output = f'{{"{key}": [{{"Text": "Paris", "Label": "location"}}]}}'
    assert parse_entities(output, CONLL).entities == (("Paris", "LOC"),)


@pytest.mark.parametrize("key", ["text", "entity", "name", "span", "word"])
def test_a_single_entity_object_is_a_list_of_one(key: str) -> None:
    assert parse_entities(f'{{"{key}": "Bob", "tag": "PER"}}', CONLL).entities == (("Bob", "PER"),)


def test_items_without_text_or_type_or_of_another_shape_are_dropped() -> None:
    output = (
        '[{"type": "PER"}, {"text": "Ann"}, {"text": "Bob", "type": 5}, "AB", 7, '
        '["Cy", "PER", "x"], {"text": "  ", "type": "PER"}, '
        '{"text": "Dee", "type": "PER"}]'
    )
    assert parse_entities(output, CONLL) == ParsedEntities((("Dee", "PER"),), format_ok=True)


# --- type names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("creative work", "creative-work"),
        ("Creative-Work", "creative-work"),
        (" CREATIVE_WORK ", "creative-work"),
        ("Person", "person"),
        ("company", "COMPANY"),  # its synonym ORG is not a WNUT type: kept, and scored wrong
        ("sports team", "SPORTS_TEAM"),
    ],
)
def test_type_names_map_onto_the_tasks_type_set(written: str, expected: str) -> None:
    assert normalize_type(written, WNUT) == expected


def test_synonyms_map_onto_conll_types() -> None:
    assert [normalize_type(t, CONLL) for t in ("person", "Company", "gpe", "misc-thing")] == [
        "PER",
        "ORG",
        "LOC",
        "MISC_THING",
    ]


# --- alignment edges ------------------------------------------------------------------------------


def test_punctuation_only_tokens() -> None:
    assert _punctuation_only(",") and _punctuation_only("…") and _punctuation_only("$")
    assert _punctuation_only("«»") and _punctuation_only("?!")
    assert not _punctuation_only("") and not _punctuation_only("a.") and not _punctuation_only("7")


def test_trailing_punctuation_is_removed_only_when_there_is_some() -> None:
    assert _attached_trailing_punctuation_removed("Smith,") == "Smith"
    assert _attached_trailing_punctuation_removed("U.S.,") == "U.S."
    assert _attached_trailing_punctuation_removed("Smith") is None
    assert _attached_trailing_punctuation_removed("Smith ,") is None
    assert _attached_trailing_punctuation_removed("?!") is None


def test_an_entity_with_its_own_punctuation_tags_that_token_not_a_bare_namesake() -> None:
    tokens = ["Go", "Yahoo!", "and", "Yahoo", "news"]
    tags, unaligned = align_entities(tokens, [("Yahoo!", "ORG")])
    assert tags == ["O", "B-ORG", "O", "O", "O"] and unaligned == []


def test_a_token_holding_a_space_matches_the_entity() -> None:
    assert align_entities(["New York", "is", "big"], [("New York", "LOC")]) == (
        ["B-LOC", "O", "O"],
        [],
    )


def test_any_surrounding_punctuation_is_stripped_last() -> None:
    assert align_entities(["Paris", "is", "big"], [("*Paris*", "LOC")]) == (["B-LOC", "O", "O"], [])
    assert align_entities(["Paris", "is", "big"], [("**", "LOC")]) == (["O", "O", "O"], ["LOC"])


# --- the bounded JSON scan ------------------------------------------------------------------------


def test_the_scan_tries_at_most_max_starts_brackets() -> None:
    text = "[x [y [1]"
    assert list(embedded_values(text, max_starts=2)) == []
    assert list(embedded_values(text, max_starts=3)) == [[1]]
    assert list(embedded_values(text)) == [[1]]
    assert MAX_STARTS == 200


def test_the_scan_counts_values_found_as_tries_too() -> None:
    assert list(embedded_values("[1] [2] [3]", max_starts=2)) == [[1], [2]]
    assert list(embedded_values('{"a": 1} [2]', opening="{")) == [{"a": 1}]
    assert list(embedded_values('[{"a": 1}] {"b": 2}')) == [[{"a": 1}], {"b": 2}]


# --- SQuAD and ROUGE ------------------------------------------------------------------------------


def test_a_disjoint_answer_scores_zero_f1() -> None:
    assert squad_scores("the cat", ["a dog"]) == {"exact_match": 0.0, "f1": 0.0}
    assert squad_scores("", ["dog"]) == {"exact_match": 0.0, "f1": 0.0}
    assert squad_scores("dog", []) == {"exact_match": 0.0, "f1": 0.0}
    assert squad_scores("", []) == {"exact_match": 100.0, "f1": 100.0}


def test_rouge_without_a_reference_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^ROUGE needs at least one reference$"):
        rouge_scores("a summary", [])


def test_only_bracket_positions_count_against_the_bound() -> None:
    assert list(embedded_values("X" * 300 + "[1]")) == [[1]]
    assert list(embedded_values("{" * 200 + "[1]")) == []


def test_scorers_are_imported_by_name_on_first_use() -> None:
    import evals.metrics as metrics
    from evals.metrics import squad

    assert metrics.squad_scores is squad.squad_scores
    assert metrics.ROUGE_TYPES == ("rouge1", "rouge2", "rougeL", "rougeLsum")
    with pytest.raises(AttributeError, match=r"^module 'evals.metrics' has no attribute 'bleu'$"):
        _ = metrics.bleu
