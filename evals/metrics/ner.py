"""Generative NER: parse the model's entity list, align it to the sentence's tokens as IOB2 tags,
and count entities the way seqeval does (entity-level, exact span and type).

The format asked of the model is a JSON list of ``{"text": ..., "type": ...}`` objects.
Parsing is tolerant of what models actually write: code fences, prose before or after the list,
a ``{"entities": [...]}`` wrapper, ``[text, type]`` pairs, Python-style quotes, a list cut off
by the token limit (its complete objects are kept), and type names spelled out
(``person`` → ``PER``). Output with no parseable list is a *format failure*: it
predicts no entities and is counted in the format-failure rate.

Alignment rules (each has a unit test):

- an entity string matches a run of whole tokens whose concatenation equals it, ignoring case
  and whitespace (``"new york"`` matches ``New York``; ``"U.S."`` matches ``U.S.``);
- if it does not match, surrounding quotes, brackets and commas are stripped, then any
  surrounding punctuation, and it is tried again (``"Smith,"`` matches ``Smith``,
  ``“Jr.”`` matches ``Jr.``);
- longer entities are placed first, and an entity never overlaps tokens already tagged
  (``New York Times`` wins over ``New York``);
- a string that occurs several times in the sentence tags every untagged occurrence, since
  models list unique mentions; listing it again adds nothing;
- a partial match (``York`` for ``New York``) tags only what it names, and seqeval then scores
  it wrong, as it should;
- a string found nowhere in the sentence cannot be tagged: it is an *unaligned* prediction and
  counts as a false positive (it is a wrong answer, not a missing one).
"""

from __future__ import annotations

import ast
import json
import string
from collections.abc import Sequence
from dataclasses import dataclass

from seqeval.metrics.sequence_labeling import get_entities

from evals.metrics.json_text import candidate_texts, embedded_values

_TYPE_SYNONYMS = {
    "PERSON": "PER", "PEOPLE": "PER", "PER": "PER",
    "ORGANIZATION": "ORG", "ORGANISATION": "ORG", "ORG": "ORG", "COMPANY": "ORG",
    "LOCATION": "LOC", "PLACE": "LOC", "LOC": "LOC", "GPE": "LOC", "COUNTRY": "LOC", "CITY": "LOC",
    "MISC": "MISC", "MISCELLANEOUS": "MISC", "OTHER": "MISC",
}  # fmt: skip
_WRAPPERS = "\"'“”‘’()[]{},;: "
_TEXT_KEYS = ("text", "entity", "name", "span", "word")
_TYPE_KEYS = ("type", "label", "category", "entity_type", "tag")


@dataclass(frozen=True)
class ParsedEntities:
    """What could be read from one model output."""

    entities: tuple[tuple[str, str], ...]
    """(text, type) pairs in the order the model gave them."""

    format_ok: bool
    """False when no entity list could be parsed (the output then predicts nothing)."""


def _decode_list(text: str) -> list | None:
    text = text.strip()
    for loader in (json.loads, ast.literal_eval):
        try:
            value = loader(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        found = _as_list(value)
        if found is not None:
            return found
    salvaged = []  # complete entity objects of a list cut off by the token limit
    for value in embedded_values(text):
        if _is_entity(value):
            salvaged.append(value)
        elif (found := _as_list(value)) is not None:
            return found
    return salvaged or None


def _is_entity(value: object) -> bool:
    return isinstance(value, dict) and any(str(k).lower() in _TEXT_KEYS for k in value)


def _as_list(value: object) -> list | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in ("entities", "named_entities", "ner", "result"):
            if isinstance(value.get(key), list):
                return value[key]
        if any(k in value for k in _TEXT_KEYS):
            return [value]
    return None


def _entity(item: object, allowed_types: Sequence[str]) -> tuple[str, str] | None:
    text: object = None
    kind: object = None
    if isinstance(item, dict):
        lowered = {str(k).lower(): v for k, v in item.items()}
        text = next((lowered[k] for k in _TEXT_KEYS if k in lowered), None)
        kind = next((lowered[k] for k in _TYPE_KEYS if k in lowered), None)
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        text, kind = item
    if not isinstance(text, str) or not text.strip() or not isinstance(kind, str):
        return None
    return text.strip(), normalize_type(kind, allowed_types)


def normalize_type(kind: str, allowed_types: Sequence[str]) -> str:
    """Map a type name as a model writes it onto the task's type set (unknown types are kept,
    upper-cased, so they count as wrong rather than vanish)."""
    key = kind.strip().upper().replace(" ", "_").replace("-", "_")
    allowed = {t.upper().replace("-", "_"): t for t in allowed_types}
    if key in allowed:
        return allowed[key]
    synonym = _TYPE_SYNONYMS.get(key)
    if synonym and synonym in allowed_types:
        return synonym
    return key


def parse_entities(output: str, allowed_types: Sequence[str]) -> ParsedEntities:
    """Read the entity list from a model output of any shape."""
    for candidate in candidate_texts(output):
        items = _decode_list(candidate)
        if items is not None:
            entities = tuple(e for e in (_entity(i, allowed_types) for i in items) if e)
            return ParsedEntities(entities, format_ok=True)
    return ParsedEntities((), format_ok=False)


def _key(text: str) -> str:
    return "".join(text.casefold().split())


def _find_spans(token_keys: Sequence[str], target: str) -> list[tuple[int, int]]:
    spans = []
    for start in range(len(token_keys)):
        joined = ""
        for end in range(start, len(token_keys)):
            joined += token_keys[end]
            if len(joined) >= len(target):
                if joined == target:
                    spans.append((start, end + 1))
                break
    return spans


def align_entities(
    tokens: Sequence[str], entities: Sequence[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """IOB2 tags for ``tokens`` from predicted ``(text, type)`` entities, and the types of the
    entities that could not be placed (see the module docstring for the rules)."""
    tags = ["O"] * len(tokens)
    token_keys = [_key(t) for t in tokens]
    unaligned: list[str] = []
    seen: set[str] = set()
    ordered = sorted(enumerate(entities), key=lambda pair: (-len(_key(pair[1][0])), pair[0]))
    for _, (text, kind) in ordered:
        target = _key(text)
        if not target or target in seen:
            continue
        seen.add(target)
        spans = _find_spans(token_keys, target)
        for strip_chars in (_WRAPPERS, _WRAPPERS + string.punctuation):
            stripped = _key(text.strip(strip_chars))
            if spans or not stripped:
                break
            spans = _find_spans(token_keys, stripped)
        free = [(s, e) for s, e in spans if all(tag == "O" for tag in tags[s:e])]
        if not spans:
            unaligned.append(kind)
        for start, end in free:
            tags[start] = f"B-{kind}"
            for i in range(start + 1, end):
                tags[i] = f"I-{kind}"
    return tags, unaligned


def entity_counts(
    gold_tags: Sequence[str],
    predicted_tags: Sequence[str],
    types: Sequence[str],
    unaligned: Sequence[str] = (),
) -> dict[str, list[float]]:
    """Per-item ``[tp, predicted, gold]`` overall (``f1``, ``precision``, ``recall``) and per
    type (``f1_<TYPE>``), from seqeval's entity chunks; unaligned predictions add to predicted."""
    gold = {tuple(e) for e in get_entities(list(gold_tags))}
    pred = {tuple(e) for e in get_entities(list(predicted_tags))}
    overall = [float(len(gold & pred)), float(len(pred) + len(unaligned)), float(len(gold))]
    counts: dict[str, list[float]] = {
        "f1": overall,
        "precision": list(overall),
        "recall": list(overall),
    }
    for kind in types:
        g = {e for e in gold if e[0] == kind}
        p = {e for e in pred if e[0] == kind}
        extra = sum(1 for u in unaligned if u == kind)
        counts[f"f1_{kind}"] = [float(len(g & p)), float(len(p) + extra), float(len(g))]
    return counts
