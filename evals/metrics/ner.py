"""Generative NER: parse the model's entity list, align it to the sentence's tokens as IOB2 tags,
and count entities the way seqeval does (entity-level, exact span and type).

The format asked of the model is a JSON list of ``{"text": ..., "type": ...}`` objects.
Parsing is tolerant of what models actually write: code fences, prose before or after the list,
a ``{"entities": [...]}`` wrapper, ``[text, type]`` pairs, Python-style quotes, a list cut off
by the token limit (its complete objects are kept), and type names spelled out
(``person`` → ``PER``). Output with no parseable list is a *format failure*: it
predicts no entities and is counted in the format-failure rate.

Alignment rules (each has a unit test). seqeval counts exact spans, so each listing of the
model's list stands for **one mention** and tags at most one span:

- an entity string matches a run of whole tokens whose concatenation equals it, ignoring case
  and whitespace (``"new york"`` matches ``New York``; ``"U.S."`` matches ``U.S.``);
- if it does not match, surrounding quotes, brackets and commas are stripped, then any
  surrounding punctuation, and it is tried again (``“Jr.”`` matches ``Jr.``);
- sentence punctuation written onto the end of the string (``, ; : . ! ?``) is dropped first
  when matching the string as written would take a token that is only punctuation: ``Smith,``
  on ``Smith , said`` tags ``Smith`` alone. Punctuation written as a word of its own
  (``Smith ,``), a final period of an abbreviation (``B.C.`` on ``B . C .``) and other marks
  (``@voxd`` on ``@ voxd``) are kept, as WNUT-17 tags them;
- longer strings are placed first, and a span never overlaps tokens already tagged
  (``New York Times`` wins over ``New York``);
- **which occurrence**: the k-th listing of a string tags its k-th free occurrence, counting
  occurrences with the listed case first, then those that match only ignoring case, each group
  left to right. ``"Apple sold an apple"`` with ``Apple`` listed once tags only the first word
  (both match, the first has the listed case); listed twice, both. ``"an apple fell on
  Apple"`` with ``Apple`` listed once tags the second. A string listed twice with two types
  (``Jordan`` PER, ``Jordan`` LOC in ``Jordan flew to Jordan``) tags the first occurrence with
  the first type listed and the second with the second. So a model must list a name once per
  mention, as the few-shot answers do;
- a partial match (``York`` for ``New York``) tags only what it names, and seqeval then scores
  it wrong, as it should;
- a listing that tags nothing is an *unaligned* prediction and counts as a false positive (a
  wrong answer, not a missing one): its string occurs nowhere in the sentence, or only over
  tokens already tagged (``New York`` beside ``New York Times``), or it is listed more often
  than it occurs.

The gold entities of every CoNLL-2003 and WNUT-17 test and dev sentence, listed this way, align
back to exactly their gold tags (``tests/test_oracles.py``).
"""

from __future__ import annotations

import ast
import json
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from evals.metrics.json_text import candidate_texts, embedded_values

_TYPE_SYNONYMS = {
    "PERSON": "PER",
    "PEOPLE": "PER",
    "PER": "PER",
    "ORGANIZATION": "ORG",
    "ORGANISATION": "ORG",
    "ORG": "ORG",
    "COMPANY": "ORG",
    "LOCATION": "LOC",
    "PLACE": "LOC",
    "LOC": "LOC",
    "GPE": "LOC",
    "COUNTRY": "LOC",
    "CITY": "LOC",
    "MISC": "MISC",
    "MISCELLANEOUS": "MISC",
    "OTHER": "MISC",
}
_WRAPPERS = "\"'“”‘’()[]{},;: "
_TRAILING = ",;:.!?"
_TEXT_KEYS = ("text", "entity", "name", "span", "word")
_TYPE_KEYS = ("type", "label", "category", "entity_type", "tag")


@dataclass(frozen=True)
class ParsedEntities:
    """What could be read from one model output."""

    entities: tuple[tuple[str, str], ...]
    """(text, type) pairs in the order the model gave them."""

    format_ok: bool
    """False when no entity list could be parsed (the output then predicts nothing)."""


def get_entities(tags: list[str]) -> list[tuple[str, int, int]]:
    """seqeval's IOB2 chunker (``(type, start, end)``), imported on first use: seqeval pulls
    scikit-learn and SciPy, which a warm re-run or a use-case listing never needs."""
    from seqeval.metrics.sequence_labeling import get_entities as seqeval_entities

    return seqeval_entities(tags)


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


def _punctuation_only(token: str) -> bool:
    return bool(token) and all(
        ch in string.punctuation or unicodedata.category(ch).startswith("P") for ch in token
    )


class _Sentence:
    """A sentence's tokens as match keys: whitespace removed, case kept and case-folded."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.exact = ["".join(t.split()) for t in tokens]
        self.folded = [k.casefold() for k in self.exact]

    def occurrences(self, text: str) -> list[tuple[int, int]]:
        """Spans whose tokens concatenate to ``text`` ignoring whitespace: those with the same
        case first, then those equal ignoring case, each group left to right."""
        exact = _find_spans(self.exact, "".join(text.split()))
        folded = _find_spans(self.folded, _key(text))
        return exact + [span for span in folded if span not in exact]

    def candidates(self, text: str) -> list[tuple[int, int]]:
        """Where a listed string may go: the spans of the first form of it that occurs."""
        forms = [text, text.strip(_WRAPPERS), text.strip(_WRAPPERS + string.punctuation)]
        trimmed = _attached_trailing_punctuation_removed(text)
        if trimmed and any(
            _punctuation_only(self.tokens[end - 1]) for _, end in self.occurrences(text)
        ):
            forms.insert(0, trimmed)  # "Smith," on "Smith , said" is Smith, not "Smith ,"
        for form in forms:
            if form.strip() and (spans := self.occurrences(form)):
                return spans
        return []


def _attached_trailing_punctuation_removed(text: str) -> str | None:
    """``text`` without the sentence punctuation written onto its end (``Smith,`` → ``Smith``),
    or None when there is none. Punctuation after a space is written as a word of its own, and a
    final period stays on an abbreviation, a last word with a period of its own (``B.C.``, and
    ``U.S.,`` → ``U.S.``)."""
    core = text.rstrip(_TRAILING)
    if not core or core[-1].isspace():
        return None
    if text[len(core) :].startswith(".") and "." in core.split()[-1]:
        core += "."
    return core if core != text else None


def align_entities(
    tokens: Sequence[str], entities: Sequence[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """IOB2 tags for ``tokens`` from predicted ``(text, type)`` entities, and the types of the
    listings that tag nothing (unaligned; see the module docstring for the rules)."""
    tags = ["O"] * len(tokens)
    sentence = _Sentence(tokens)
    unaligned: list[str] = []
    ordered = sorted(enumerate(entities), key=lambda pair: (-len(_key(pair[1][0])), pair[0]))
    for _, (text, kind) in ordered:
        free = next(
            (
                (start, end)
                for start, end in sentence.candidates(text)
                if all(tag == "O" for tag in tags[start:end])
            ),
            None,
        )
        if free is None:
            unaligned.append(kind)
            continue
        start, end = free
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
