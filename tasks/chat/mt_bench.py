"""MT-Bench and MT-Bench-101: hooks for the multi-turn runner (``mt_bench`` and
``mt_bench_101`` in ``usecase.py``); data from ``DATA_DIR`` (:mod:`evals.benchmarks.chat`).

**With a judge** (``JUDGE=<spec>``): every turn is graded 1-10 with MT-Bench's single-answer
prompts (:mod:`evals.engine.judge`). MT-Bench turn 1 uses ``single-v1`` (``single-math-v1`` with the
reference answer for math, reasoning and coding), turn 2 the ``-multi-turn`` templates with the
whole exchange, as FastChat does. MT-Bench-101 has its own per-task GPT-4 prompts in OpenCompass,
which are not in the published data; here each turn is graded with ``single-v1``, the question
being the dialogue so far (golden earlier turns) and the new user message. Metrics: ``rating``
(mean over parsed judgments, the MT-Bench score), ``rating_turn1``/``rating_turn2``,
``dialogue_min_rating`` (MT-Bench-101's dialogue score: its worst turn), and
``unparseable_judgments`` (% of judgments without a valid ``[[N]]``; never scored).

**Without a judge**: only turns with a reference answer are scored — MT-Bench's 30 math,
reasoning and coding questions (GPT-4 reference answers) and every MT-Bench-101 turn (the
dataset's own answer) — by ``reference_rougeL``: ROUGE-L F1 ×100 (rouge-score, stemmer) of the
reply against the reference. It measures overlap with a good answer, not correctness, and is
not on the judge's 1-10 scale. The other 50 MT-Bench questions are counted in ``unscored``
(% of dialogues with no scored turn) rather than guessed.
"""

from __future__ import annotations

from typing import Any

from evals.benchmarks.chat import NEEDS_REFERENCE
from evals.engine.judge import JudgePrompt, JudgeRequest
from evals.fingerprint import sha256_json
from evals.metrics.rouge import rouge_scores


def check_row(row: dict[str, Any]) -> str | None:
    """Why a dialogue is unusable, or None."""
    turns = row.get("turns")
    if not isinstance(turns, list) or not turns:
        return "turns must be a non-empty list"
    if any(not isinstance(t, dict) or not str(t.get("user", "")).strip() for t in turns):
        return "every turn needs user text"
    return None


def turn_log(dialogue: dict[str, Any], t: int, reply: str, history: list) -> dict[str, Any]:
    """Reference score of one reply (None where the turn has no reference)."""
    reference = dialogue["turns"][t].get("reference")
    score = rouge_scores(reply, reference)["rougeL"] if reference and reply.strip() else 0.0
    return {"reference_rougeL": score if reference else None}


def _transcript(dialogue: dict[str, Any], upto: int) -> str:
    parts = []
    for turn in dialogue["turns"][:upto]:
        parts.append(f"### User:\n{turn['user']}\n\n### Assistant:\n{turn.get('golden', '')}")
    parts.append(f"### User:\n{dialogue['turns'][upto]['user']}")
    return "\n\n".join(parts)


def judge_requests(
    dialogue: dict[str, Any], turns: list[dict[str, Any]], prompts: dict[str, JudgePrompt]
) -> list[JudgeRequest]:
    """One grading request per turn (MT-Bench templates; see the module docstring)."""
    questions = [t["user"] for t in dialogue["turns"]]
    answers = [str(t["raw_output"]).strip() for t in turns]
    refs = [t.get("reference", "") for t in dialogue["turns"]]
    golden = any("golden" in t for t in dialogue["turns"])
    math = dialogue.get("category") in NEEDS_REFERENCE and all(refs[: len(turns)]) and not golden
    requests = []
    for k in range(len(turns)):
        if golden:
            name, fields = "single-v1", {"question": _transcript(dialogue, k), "answer": answers[k]}
        elif k == 0:
            name = "single-math-v1" if math else "single-v1"
            fields = {"question": questions[0], "answer": answers[0], "ref_answer_1": refs[0]}
        else:
            name = "single-math-v1-multi-turn" if math else "single-v1-multi-turn"
            fields = {
                "question_1": questions[0],
                "answer_1": answers[0],
                "question_2": questions[1],
                "answer_2": answers[1],
                "ref_answer_1": refs[0],
                "ref_answer_2": refs[1] if len(refs) > 1 else "",
            }
        system, user = prompts[name].render(**fields)
        requests.append(JudgeRequest(system, user, name))
    return requests


def dialogue_scores(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-dialogue statistics, ``[value, weight]`` pairs pooled over dialogues."""
    n = len(turns)
    empty = sum(1 for t in turns if not str(t["raw_output"]).strip())
    refs = [t["reference_rougeL"] for t in turns if t.get("reference_rougeL") is not None]
    scores: dict[str, Any] = {
        "reference_rougeL": [sum(refs), float(len(refs))],
        "invalid": [100.0 * empty, float(n)],
    }
    judged = [t["judge"] for t in turns if "judge" in t]
    if judged:
        ratings = [j["rating"] for j in judged if j["rating"] is not None]
        scores["rating"] = [sum(ratings), float(len(ratings))]
        for k, judgment in enumerate(judged[:2], start=1):
            ok = judgment["rating"] is not None
            scores[f"rating_turn{k}"] = [judgment["rating"] or 0.0, float(ok)]
        complete = len(ratings) == len(judged)
        scores["dialogue_min_rating"] = [min(ratings) if complete else 0.0, float(complete)]
        scores["unparseable_judgments"] = [100.0 * (len(judged) - len(ratings)), float(len(judged))]
        scores["unscored"] = 100.0 * (not ratings)
    else:
        scores["unscored"] = 100.0 * (not refs)
    return scores


def target(dialogue: dict[str, Any]) -> list[str | None]:
    """Reference answers per turn (None where there is none)."""
    return [t.get("reference") for t in dialogue["turns"]]


def parse_output(doc: dict[str, Any], output: str) -> str:
    """A reply as scored: stripped text."""
    return str(output).strip()


def doc_hash(doc: dict[str, Any]) -> str:
    """Content hash of a dialogue (matches items across runs)."""
    return sha256_json(doc)


def baseline_replies(dialogue: dict[str, Any]) -> dict[str, list[str]]:
    """Trivial policies: an empty reply, and the user's own message echoed back. Scored only
    by reference ROUGE-L (judging them would need the judge: judged runs list no baseline)."""
    turns = dialogue["turns"]
    return {"empty": [""] * len(turns), "echo": [str(t["user"]) for t in turns]}
