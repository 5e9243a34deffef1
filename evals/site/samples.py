"""The sample browser's data: per use case and item, the input, the reference in words, and
every column's output with its item score (the family page and the per-run viewer share it)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from evals.matrix.verdicts import Column
from evals.statistics import item_scores, item_statistics

MAX_OUTPUT_CHARS = 3000
_HIDDEN_DOC_KEYS = {"id", "tags", "label", "answers", "summaries"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def input_text(record: Mapping[str, Any]) -> str:
    if "turns" in record and "doc" not in record:
        return "\n".join(f"User (turn {t['turn']}): {t['user']}" for t in record["turns"])
    doc = record.get("doc") or {}
    lines = []
    for key, value in doc.items():
        if key in _HIDDEN_DOC_KEYS:
            continue
        lines.append(f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}")
    return "\n".join(lines)


def _quoted(values: Any) -> str:
    items = values if isinstance(values, list) else [values]
    return ", ".join(f"“{v}”" for v in items)


_CHECK_WORDING = {
    "contains_any": lambda c: f"mentions any of {_quoted(c.get('values'))}",
    "recall": lambda c: f"recalls any of {_quoted(c.get('values'))}",
    "persona": lambda c: f"stays in persona (mentions any of {_quoted(c.get('values'))})",
    "absent": lambda c: f"never mentions {_quoted(c.get('values'))}",
    "not_echo": lambda c: "does not echo the user",
    "max_words": lambda c: f"at most {c.get('value')} words",
    "starts_with": lambda c: f"starts with {_quoted(c.get('value'))}",
    "ends_with": lambda c: f"ends with {_quoted(c.get('value'))}",
    "json_object": lambda c: f"a JSON object with keys {_quoted(c.get('keys'))}",
    "bullet_list": lambda c: f"a bullet list of at least {c.get('min_items')} items",
    "uppercase": lambda c: "all in upper case",
}


def _check_text(check: Any) -> str:
    if isinstance(check, Mapping) and check.get("type") in _CHECK_WORDING:
        return _CHECK_WORDING[check["type"]](check)
    return _text(check)


def reference_text(record: Mapping[str, Any]) -> str:
    """The reference as a reader wants it: a chat item's per-turn checks in words (before:
    raw JSON check objects), anything else as stored."""
    target = record.get("target")
    if "turns" in record and isinstance(target, list) and all(isinstance(t, list) for t in target):
        return "\n".join(
            f"Turn {i}: {'; '.join(_check_text(c) for c in checks) or 'no checks'}"
            for i, checks in enumerate(target, start=1)
        )
    return _text(target)


def raw_output(record: Mapping[str, Any]) -> str:
    if "turns" in record:
        return "\n\n".join(f"[turn {t['turn']}] {t['raw_output']}" for t in record["turns"])
    return _text(record.get("raw_output"))[:MAX_OUTPUT_CHARS]


def _output(record: Mapping[str, Any], score: float) -> dict[str, Any]:
    """One column's output of an item; a program's run (code) shows its code and outcome."""
    parsed = record.get("parsed")
    out: dict[str, Any] = {"raw": raw_output(record), "score": score}
    if isinstance(parsed, Mapping) and "status" in parsed:
        out["parsed"] = _text(parsed.get("code") or "")[:MAX_OUTPUT_CHARS]
        out["outcome"] = {
            "status": _text(parsed["status"]),
            "detail": _text(parsed.get("detail") or "")[:MAX_OUTPUT_CHARS],
            "sandbox": _text(parsed.get("sandbox") or ""),
        }
    else:
        out["parsed"] = _text(parsed)[:MAX_OUTPUT_CHARS]
    return out


def sample_browser_data(columns: Sequence[Column], use_cases: Sequence[str]) -> dict[str, list]:
    """Per use case, per item: input, reference, and every column's output and item score."""
    out: dict[str, list] = {}
    for use_case in use_cases:
        items: dict[str, dict[str, Any]] = {}
        for column in columns:
            if use_case not in column.run.use_cases:
                continue
            entry = column.run.use_cases[use_case]
            metric, reducer = entry.primary_metric, entry.primary_reducer
            records = column.run.samples(use_case)
            scores = item_scores(item_statistics([r["scores"][metric] for r in records]), reducer)
            for record, score in zip(records, scores, strict=True):
                item = items.setdefault(
                    record["doc_hash"],
                    {
                        "item_id": record["item_id"],
                        "input": input_text(record),
                        "target": reference_text(record),
                        "outputs": {},
                    },
                )
                item["outputs"][column.key] = _output(record, float(score))
        out[use_case] = list(items.values())
    return out


SAMPLE_CONTROLS = """<div class="controls">
<label>use case <select id="sample-use-case"></select></label>
<button id="prev-item" type="button" aria-label="previous item">◀</button>
<label>item <select id="sample-item"></select></label>
<button id="next-item" type="button" aria-label="next item">▶</button>
<label>score <select id="sample-score"><option value="">any</option>
<option value="above">above 0</option><option value="zero">0 (wrong)</option></select></label>
<label>text <input type="search" id="sample-text" placeholder="in input, reference, output">
</label>
<span class="meta" id="sample-count" aria-live="polite"></span></div>"""
"""The sample browser's controls (the family page and the per-run viewer share them)."""
