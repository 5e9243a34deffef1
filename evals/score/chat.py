"""``evals score chat``: replies made elsewhere to the chat use case's dialogues, scored by the
dialogues' own checks (``tasks/chat/usecase.py``), exactly as a run scores its model's replies.

Dialogues are the use case's records (``{"id", "system"?, "turns": [{"user", "checks"}]}``: the
bundled ``data/dialogues.jsonl``, or your own in that schema); replies are one line per dialogue,
``{"id", "replies": ["turn 1", "turn 2", ...]}``, one reply per user turn. Each reply is checked
with the conversation so far (the earlier replies as given: the model's own context).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evals.data import read_jsonl
from evals.engine.multiturn import replay_turns
from evals.errors import DataError
from evals.statistics import REDUCERS

CHAT_METRICS = ("turn_pass_rate", "dialogue_pass", "check_pass_rate", "invalid")


def _hooks() -> Any:
    from evals.usecases import discover_use_cases

    dialogues = discover_use_cases()["chat"].dialogues
    assert dialogues is not None
    return dialogues.hooks


def chat_result(
    dialogues: Sequence[Mapping[str, Any]], replies: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Turn pass rate, whole-dialogue pass rate, check pass rate and the share of empty replies
    (×100) of ``replies[i]`` to ``dialogues[i]``."""
    if len(dialogues) != len(replies):
        raise DataError(f"{len(dialogues)} dialogues but {len(replies)} reply lists")
    if not dialogues:
        raise DataError("no dialogues to score")
    hooks = _hooks()
    per_dialogue = []
    for dialogue, answer in zip(dialogues, replies, strict=True):
        reason = hooks.check_row(dict(dialogue))
        if reason:
            raise DataError(f"dialogue {dialogue.get('id')}: {reason}")
        turns = len(dialogue["turns"])
        if len(answer) != turns or not all(isinstance(r, str) for r in answer):
            raise DataError(
                f"dialogue {dialogue.get('id')}: {turns} user turns need {turns} replies "
                f"(strings), got {len(answer)}"
            )
        per_dialogue.append(hooks.dialogue_scores(replay_turns(hooks, dict(dialogue), answer)))
    out: dict[str, Any] = {}
    for metric in CHAT_METRICS:
        stats = np.array([np.atleast_1d(np.asarray(s[metric], float)) for s in per_dialogue])
        if stats.shape[1] == 1:
            stats = np.column_stack([stats[:, 0], np.ones(len(stats))])
        out[metric] = float(REDUCERS["mean"](stats.sum(axis=0)))
    out["n_dialogues"] = len(dialogues)
    out["n_turns"] = sum(len(d["turns"]) for d in dialogues)
    return out


def score_chat(dialogues_path: Path, replies_path: Path) -> dict[str, Any]:
    """:func:`chat_result` of a replies file against a dialogues file (every dialogue answered)."""
    dialogues = read_jsonl(Path(dialogues_path), ("id", "turns"))
    rows = read_jsonl(Path(replies_path), ("id", "replies"))
    given = {str(r["id"]): r["replies"] for r in rows}
    known = {str(d["id"]) for d in dialogues}
    unknown = sorted(set(given) - known)
    if unknown:
        raise DataError(
            f"{replies_path}: replies to dialogues not in {dialogues_path}: "
            f"{', '.join(unknown[:5])}"
        )
    missing = [str(d["id"]) for d in dialogues if str(d["id"]) not in given]
    if missing:
        raise DataError(
            f"{replies_path}: no replies to {len(missing)} dialogue(s), e.g. "
            f"{', '.join(missing[:5])} (score a subset with a dialogues file of "
            "just those)"
        )
    for row in rows:
        if not isinstance(row["replies"], list):
            raise DataError(f"{replies_path}: dialogue {row['id']}: replies must be a list")
    return chat_result(dialogues, [given[str(d["id"])] for d in dialogues])
