"""Chat: multi-turn dialogues scored by verifiable per-turn checks, without a judge.

Dataset: ``data/dialogues.jsonl`` (25 dialogues, 2-4 user turns, 59 turns) and
``data/fewshot.jsonl`` (a worked dialogue for completion mode), written for this project, CC0.
Record: ``{"id", "system"?, "turns": [{"user", "checks": [...], "reference"}]}``; a turn's
``reference`` is a reply that passes all its checks (the oracle the tests feed back).

Check types:

============  =============================================================================
contains_any  one of ``values`` occurs in the reply as whole word(s) (the rule below)
recall        the same test, for a fact the user gave in an earlier turn
persona       the same test, for a persona's marker set in the system prompt
absent        none of ``values`` occurs in the reply as whole word(s)
not_echo      the reply has a word, and at most half of its words are copied from the system
              prompt and the user turns so far (the echo rule below)
max_words     at most ``value`` words (whitespace-separated), and at least one
starts_with   the reply starts with ``value`` (after leading whitespace and quotes)
ends_with     the reply ends with ``value`` (trailing whitespace ignored)
json_object   a JSON object (code fences allowed) holding every key in ``keys``
bullet_list   at least ``min_items`` lines starting with -, *, •, or "1."
uppercase     no lower-case letters, and at least one letter
============  =============================================================================

**Matching rule** (``contains_any``, ``recall``, ``persona``, ``absent``). Reply and value are
compared after Unicode NFKC, case folding, and curly apostrophes made straight. A value is
split at whitespace and matches as that sequence of pieces with any whitespace between them
(``"dear reader"`` matches ``"Dear"``, a line break, ``"reader"``). The match must be a whole
token run: the character before it is not a letter or digit, nor a joiner (``. , : ' /``) that
follows a letter or digit; the character after it is not a letter or digit, nor a joiner
followed by one. So a token is a run of letters and digits, joined across single inner
``. , : ' /``:

- ``"5"`` matches ``"5"``, ``"Terminal 5."``, ``"(5)"``, ``"gates 3-5"``, but not ``"15"``,
  ``"14:35"``, ``"5.5"``, ``"5,000"`` or ``"5th"``; ``"14:35"`` matches ``"at 14:35."``.
- ``"hey"`` is not in ``"they"``, ``"arr"`` not in ``"carry"``, ``"yes"`` not in
  ``"Yesterday"``; ``"Mary"`` is not in ``"Mary's"`` (an apostrophe joins).
- Hyphens, other punctuation and markup separate tokens: ``"peanut"`` is in ``"peanut-free"``,
  ``"Kyoto"`` in ``"**Kyoto**"`` and ``"_Kyoto_"``.
- No stemming and no prefixes: ``"travel"`` does not match ``"travelling"``, nor ``"photo"``
  ``"photos"``. A check lists every form it accepts (``["photo", "photos"]``), so it says
  exactly what it verifies.

**Echo rule** (``not_echo``). Words are the runs of letters and digits of the normalized text.
The source is the system prompt and the user turns so far (never the assistant's replies),
read as one word sequence in order. A reply word is *copied* when it lies inside a run of at
least 5 consecutive reply words that also occurs, consecutively, in the source. The check
fails when the reply has no word, or when more than half of its words are copied. Quoting a
fact back ("your order number is 58213") passes; repeating the user's turns fails.

Metrics, per dialogue and then pooled (the dialogue is the resampling unit): ``turn_pass_rate``
(primary: turns whose checks all pass / turns), ``dialogue_pass`` (every turn passes),
``check_pass_rate`` (checks passed / checks), ``invalid`` (empty replies / turns); all ×100.

:func:`baseline_replies` gives trivial policies (empty, echo of the user) that the tests score
with these same functions: the set is built so that they fail nearly every turn.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from evals.fingerprint import sha256_json
from evals.metrics.json_text import candidate_texts, embedded_values
from evals.usecases import (
    Completion,
    DialogueHooks,
    Dialogues,
    Generation,
    UseCaseDefinition,
    sibling,
)

Check = dict[str, Any]

_ALNUM = r"[^\W_]"  # a letter or digit (``\w`` without the underscore)
_JOINERS = r"[.,:'/]"  # join letters/digits on both sides into one token: 14:35, 5.5, Mary's
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
ECHO_RUN = 5
"""Shortest run of consecutive words, shared with the source, that counts as copied."""
ECHO_MAX_SHARE = 0.5
"""Largest share of copied words a reply may have and still pass ``not_echo``."""


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).translate(_APOSTROPHES).casefold()


@lru_cache(maxsize=4096)
def _value_pattern(value: str) -> re.Pattern[str] | None:
    pieces = _normalize(value).split()
    if not pieces:
        return None
    body = r"\s+".join(re.escape(p) for p in pieces)
    return re.compile(
        rf"(?<!{_ALNUM})(?<!{_ALNUM}{_JOINERS}){body}(?!{_ALNUM})(?!{_JOINERS}{_ALNUM})"
    )


def _has_any(reply: str, values: list[str]) -> bool:
    """Whether one of ``values`` occurs in ``reply`` as whole word(s) (the matching rule)."""
    text = _normalize(reply)
    patterns = (_value_pattern(str(v)) for v in values)
    return any(p is not None and p.search(text) for p in patterns)


def _words(reply: str) -> int:
    return len(reply.split())


def _tokens(text: str) -> list[str]:
    return re.findall(_ALNUM + "+", _normalize(text))


def copied_share(reply: str, history: list[dict[str, str]]) -> float:
    """Share of the reply's words copied from the system prompt and user turns (echo rule);
    1.0 for a reply without words."""
    words = _tokens(reply)
    if not words:
        return 1.0
    source: list[str] = []
    for message in history:
        if message.get("role") in ("system", "user"):
            source += _tokens(message.get("content", ""))
    n = ECHO_RUN
    runs = {tuple(source[i : i + n]) for i in range(len(source) - n + 1)}
    copied = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) in runs:
            copied[i : i + n] = [True] * n
    return sum(copied) / len(words)


def _not_echo(reply: str, history: list[dict[str, str]]) -> bool:
    return copied_share(reply, history) <= ECHO_MAX_SHARE


def _json_object(reply: str, keys: list[str]) -> bool:
    return any(
        isinstance(value, dict) and all(k in value for k in keys)
        for text in candidate_texts(reply)
        for value in embedded_values(text, opening="{")
    )


def _bullets(reply: str) -> int:
    return sum(1 for line in reply.splitlines() if re.match(r"^\s*([-*•]|\d+[.)])\s+\S", line))


def _uppercase(reply: str) -> bool:
    return any(ch.isalpha() for ch in reply) and not any(ch.islower() for ch in reply)


def _starts_with(reply: str, value: str) -> bool:
    return reply.strip().lstrip("\"'*").lower().startswith(value.lower())


def _ends_with(reply: str, value: str) -> bool:
    return reply.strip().rstrip("\"'*").lower().endswith(value.lower())


History = list[dict[str, str]]
CHECKS: dict[str, Callable[[Check, str, History], bool]] = {
    "contains_any": lambda c, r, h: _has_any(r, c["values"]),
    "recall": lambda c, r, h: _has_any(r, c["values"]),
    "persona": lambda c, r, h: _has_any(r, c["values"]),
    "absent": lambda c, r, h: not _has_any(r, c["values"]),
    "not_echo": lambda c, r, h: _not_echo(r, h),
    "max_words": lambda c, r, h: 0 < _words(r) <= int(c["value"]),
    "starts_with": lambda c, r, h: _starts_with(r, c["value"]),
    "ends_with": lambda c, r, h: _ends_with(r, c["value"]),
    "json_object": lambda c, r, h: _json_object(r, c["keys"]),
    "bullet_list": lambda c, r, h: _bullets(r) >= int(c["min_items"]),
    "uppercase": lambda c, r, h: _uppercase(r),
}
"""Check type → test of ``(check, reply, history)``; ``history`` is the conversation so far,
ending with the user turn and the reply being scored."""
_REQUIRED = {
    "contains_any": "values",
    "recall": "values",
    "persona": "values",
    "absent": "values",
    "not_echo": None,
    "max_words": "value",
    "starts_with": "value",
    "ends_with": "value",
    "json_object": "keys",
    "bullet_list": "min_items",
    "uppercase": None,
}


def _valid_values(values: Any) -> bool:
    return (
        isinstance(values, list)
        and bool(values)
        and all(isinstance(v, str) and v.strip() for v in values)
    )


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
            if field == "values" and not _valid_values(check["values"]):
                return f"turn {k}: check {kind!r} needs 'values', a list of non-blank strings"
        if not turn.get("checks"):
            return f"turn {k} has no checks"
        if not isinstance(turn.get("reference", ""), str):
            return f"turn {k}: reference must be a string"
    return None


def run_checks(
    checks: list[Check], reply: str, history: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """Each check's outcome on one reply (never raises on odd output)."""
    return [
        {"type": c["type"], "passed": bool(CHECKS[c["type"]](c, reply, history))} for c in checks
    ]


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


def baseline_replies(dialogue: dict[str, Any]) -> dict[str, list[str]]:
    """Trivial policies, one reply per turn: ``empty`` (""), ``echo`` (the system prompt, if
    any, and every user turn so far, joined by newlines) and ``echo_last`` (the current user
    turn). A check set that these pass does not test the model."""
    users = [str(turn["user"]) for turn in dialogue["turns"]]
    system = [str(dialogue["system"])] if dialogue.get("system") else []
    return {
        "empty": ["" for _ in users],
        "echo": ["\n".join(system + users[: t + 1]) for t in range(len(users))],
        "echo_last": list(users),
    }


MT_BENCH = sibling(__file__, "mt_bench")
"""MT-Bench's hooks (judge requests, reference ROUGE), shared by MT-Bench and MT-Bench-101."""

_COMPLETION = Completion(
    "A conversation between a user and a helpful assistant. The assistant follows every "
    "instruction exactly and remembers what the user said earlier."
)
_JUDGED_COMPLETION = Completion(
    "A conversation between a user and a helpful assistant. The assistant answers carefully "
    "and follows every instruction."
)
_JUDGED_HOOKS = DialogueHooks(
    check_row=MT_BENCH.check_row,
    turn_log=MT_BENCH.turn_log,
    target=MT_BENCH.target,
    dialogue_scores=MT_BENCH.dialogue_scores,
    doc_hash=MT_BENCH.doc_hash,
    baseline_replies=MT_BENCH.baseline_replies,
    parse_output=MT_BENCH.parse_output,
    judge_requests=MT_BENCH.judge_requests,
)


def _judged(name: str, context: str, primary: str) -> Dialogues:
    return Dialogues(
        name=name,
        hooks=_JUDGED_HOOKS,
        primary_metric=primary,
        benchmark=name,
        generation=Generation(until=(), max_gen_toks=256),
        completion=_JUDGED_COMPLETION,
        fewshot="data/fewshot.jsonl",
        fewshot_completion=1,
        context=context,
        judge_prompts="mt_bench/judge_prompts.jsonl",
        primary_metric_without_judge="reference_rougeL",
    )


USE_CASE = UseCaseDefinition(
    name="chat",
    claims=("dialogue",),
    about="Multi-turn dialogue: verifiable per-turn checks; MT-Bench graded by a judge.",
    version="2.0",
    primary_metric="turn_pass_rate",
    dialogues=(
        Dialogues(
            name="chat",
            hooks=DialogueHooks(
                check_row=check_row,
                turn_log=turn_log,
                target=target,
                dialogue_scores=dialogue_scores,
                doc_hash=doc_hash,
                baseline_replies=baseline_replies,
                parse_output=parse_output,
            ),
            primary_metric="turn_pass_rate",
            data="data/dialogues.jsonl",
            generation=Generation(until=(), max_gen_toks=96),
            completion=_COMPLETION,
            fewshot="data/fewshot.jsonl",
            fewshot_completion=1,
        ),
        # MT-Bench: 80 two-turn questions, graded 1-10 with JUDGE=<spec>; without a judge the
        # 30 reference questions are scored by ROUGE-L against GPT-4's answers.
        _judged("mt_bench", "own", "rating"),
        # MT-Bench-101: later turns see the golden context; a dialogue scores its worst turn.
        _judged("mt_bench_101", "golden", "dialogue_min_rating"),
    ),
)
"""The chat use case: 25 bundled dialogues with checks, MT-Bench and MT-Bench-101."""
