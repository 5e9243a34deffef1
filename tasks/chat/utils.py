"""Chat: multi-turn dialogues scored by verifiable per-turn checks, without a judge.

Dataset: ``data/dialogues.jsonl`` (25 dialogues, 2-4 user turns, 59 turns) and
``data/fewshot.jsonl`` (a worked dialogue for completion mode), written for this project, CC0.
Record: ``{"id", "system"?, "turns": [{"user", "checks": [...]}]}``.

Check types (all case-insensitive):

============  =============================================================================
contains_any  the reply contains one of ``values``
recall        the same test, for a fact the user gave in an earlier turn
persona       the same test, for a persona's marker set in the system prompt
absent        the reply contains none of ``values``
max_words     at most ``value`` words (whitespace-separated)
starts_with   the reply starts with ``value`` (after leading whitespace and quotes)
ends_with     the reply ends with ``value`` (trailing whitespace ignored)
json_object   a JSON object (code fences allowed) holding every key in ``keys``
bullet_list   at least ``min_items`` lines starting with -, *, •, or "1."
uppercase     no lower-case letters, and at least one letter
============  =============================================================================

Metrics, per dialogue and then pooled (the dialogue is the resampling unit): ``turn_pass_rate``
(primary: turns whose checks all pass / turns), ``dialogue_pass`` (every turn passes),
``check_pass_rate`` (checks passed / checks), ``invalid`` (empty replies / turns); all ×100.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evals.fingerprint import sha256_json
from evals.metrics.json_text import candidate_texts, embedded_values

Check = dict[str, Any]


def _words(reply: str) -> int:
    return len(reply.split())


def _has_any(reply: str, values: list[str]) -> bool:
    low = reply.lower()
    return any(str(v).lower() in low for v in values)


def _json_object(reply: str, keys: list[str]) -> bool:
    return any(
        isinstance(value, dict) and all(k in value for k in keys)
        for text in candidate_texts(reply)
        for value in embedded_values(text, opening="{")
    )


def _bullets(reply: str) -> int:
    return sum(1 for line in reply.splitlines() if re.match(r"^\s*([-*•]|\d+[.)])\s+\S", line))


CHECKS: dict[str, Callable[[Check, str], bool]] = {
    "contains_any": lambda c, r: _has_any(r, c["values"]),
    "recall": lambda c, r: _has_any(r, c["values"]),
    "persona": lambda c, r: _has_any(r, c["values"]),
    "absent": lambda c, r: not _has_any(r, c["values"]),
    "max_words": lambda c, r: 0 < _words(r) <= int(c["value"]),
    "starts_with": lambda c, r: r.strip().lstrip("\"'*").lower().startswith(c["value"].lower()),
    "ends_with": lambda c, r: r.strip().rstrip("\"'*").lower().endswith(c["value"].lower()),
    "json_object": lambda c, r: _json_object(r, c["keys"]),
    "bullet_list": lambda c, r: _bullets(r) >= int(c["min_items"]),
    "uppercase": lambda c, r: any(ch.isalpha() for ch in r) and not any(ch.islower() for ch in r),
}
_REQUIRED = {
    "contains_any": "values", "recall": "values", "persona": "values", "absent": "values",
    "max_words": "value", "starts_with": "value", "ends_with": "value", "json_object": "keys",
    "bullet_list": "min_items", "uppercase": None,
}  # fmt: skip


def check_row(row: dict[str, Any]) -> str | None:
    """Why a dialogue row is unusable, or None."""
    turns = row["turns"]
    if not isinstance(turns, list) or not 1 <= len(turns) <= 8:
        return "turns must be a list of 1-8 user turns"
    for k, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or not str(turn.get("user", "")).strip():
            return f"turn {k} has no user text"
        for check in turn.get("checks", []):
            kind = check.get("type") if isinstance(check, dict) else None
            if kind not in CHECKS:
                return f"turn {k}: unknown check type {kind!r} (known: {', '.join(CHECKS)})"
            field = _REQUIRED[kind]
            if field and field not in check:
                return f"turn {k}: check {kind!r} needs {field!r}"
        if not turn.get("checks"):
            return f"turn {k} has no checks"
    return None


def run_checks(
    checks: list[Check], reply: str, history: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Each check's outcome on one reply (never raises on odd output)."""
    return [{"type": c["type"], "passed": bool(CHECKS[c["type"]](c, reply))} for c in checks]


def turn_log(
    dialogue: dict[str, Any], t: int, reply: str, history: list[dict[str, str]]
) -> dict[str, Any]:
    """One reply's check outcomes, and whether all passed."""
    checks = run_checks(dialogue["turns"][t]["checks"], reply, history)
    return {"checks": checks, "passed": all(c["passed"] for c in checks)}


def target(dialogue: dict[str, Any]) -> list[list[Check]]:
    """The checks of each turn (what the replies are held to)."""
    return [turn["checks"] for turn in dialogue["turns"]]


def dialogue_scores(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-dialogue statistics: ``[value, weight]`` pairs pooled over dialogues."""
    n_turns = len(turns)
    passed = sum(t["passed"] for t in turns)
    checks = [c["passed"] for t in turns for c in t["checks"]]
    empty = sum(1 for t in turns if not str(t["raw_output"]).strip())
    return {
        "turn_pass_rate": [100.0 * passed, float(n_turns)],
        "dialogue_pass": 100.0 * (passed == n_turns),
        "check_pass_rate": [100.0 * sum(checks), float(len(checks))],
        "invalid": [100.0 * empty, float(n_turns)],
    }


def parse_output(doc: dict[str, Any], output: str) -> str:
    """A reply as scored: stripped text."""
    return str(output).strip()


def doc_hash(doc: dict[str, Any]) -> str:
    """Content hash of a dialogue (matches items across runs)."""
    return sha256_json(doc)
