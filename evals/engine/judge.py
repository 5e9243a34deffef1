"""An LLM judge for multi-turn chat: MT-Bench single-answer grading, strict rating parsing.

The judge is any model spec (``JUDGE=``), loaded through the same adapter as the models under
test. Prompts are MT-Bench's own ``judge_prompts.jsonl`` (Zheng et al., 2023): ``single-v1``
for a first turn, ``single-v1-multi-turn`` for a second, and their ``-math-`` versions with the
reference answer for the math, reasoning and coding categories. The rating is read strictly:
the judgment must contain ``[[N]]`` with N a number from 1 to 10 (the first such mark counts);
anything else is an *unparseable judgment*: counted, reported, and never scored as a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import DataError
from evals.models.loading import LoadedModel

RATING = re.compile(r"\[\[(\d+(?:\.\d+)?)\]\]")
DEFAULT_MAX_TOKENS = 512


@dataclass(frozen=True)
class JudgePrompt:
    """One MT-Bench judge template."""

    name: str
    """Template name (``single-v1``, ``single-math-v1-multi-turn``, ...)."""

    system_prompt: str
    """The system message."""

    template: str
    """The user message, with ``{question}``, ``{answer}``, ``{ref_answer_1}``... fields."""

    def render(self, **fields: str) -> tuple[str, str]:
        """System and user messages with the fields filled in (missing fields are an error)."""
        try:
            return self.system_prompt, self.template.format(**fields)
        except (KeyError, IndexError) as err:
            raise DataError(f"judge prompt {self.name}: missing field {err}") from None


def load_judge_prompts(path: Path) -> dict[str, JudgePrompt]:
    """The single-answer grading templates of ``judge_prompts.jsonl``."""
    if not path.is_file():
        raise DataError(f"judge prompts not found: {path}")
    prompts = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            prompts[row["name"]] = JudgePrompt(
                row["name"], row["system_prompt"], row["prompt_template"]
            )
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise DataError(f"{path}:{number}: not a judge prompt ({err})") from None
    return prompts


def parse_rating(judgment: str) -> float | None:
    """The ``[[N]]`` rating (1-10) of a judgment, or None when there is none or it is out of
    range."""
    match = RATING.search(str(judgment))
    if not match:
        return None
    value = float(match.group(1))
    return value if 1.0 <= value <= 10.0 else None


@dataclass(frozen=True)
class JudgeRequest:
    """What to ask the judge about one answer."""

    system: str
    """System message."""

    user: str
    """The filled-in grading prompt."""

    template: str
    """Which template it came from."""


class Judge:
    """A loaded judge model that grades batches of requests."""

    def __init__(self, model: LoadedModel, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        self.model = model
        self.max_tokens = max_tokens

    def identity(self) -> dict[str, Any]:
        """Who judged (recorded with the results), and how."""
        return {
            **self.model.identity.to_dict(),
            "fingerprint": self.model.identity.fingerprint,
            "max_tokens": self.max_tokens,
        }

    def _prompt(self, request: JudgeRequest) -> Any:
        """The judge's prompt as its backend takes it: what ``apply_chat_template`` returns
        (a string for a local template; a JSON message list, ``JsonChatStr``, for a
        chat-completions API, which refuses a plain string), else plain text."""
        messages = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user},
        ]
        if self.model.identity.has_chat_template:
            return self.model.lm.apply_chat_template(messages)
        return f"{request.system}\n\n{request.user}\n\nJudgment:"

    def grade(self, requests: list[JudgeRequest]) -> list[dict[str, Any]]:
        """Each request's judgment text and rating (None: unparseable)."""
        from lm_eval.api.instance import Instance

        if not requests:
            return []
        gen = {"max_gen_toks": self.max_tokens, "do_sample": False, "until": ["\n\n\n\n"]}
        instances = [
            Instance("generate_until", {}, (self._prompt(r), dict(gen)), i, ("judge", i, 1))
            for i, r in enumerate(requests)
        ]
        outputs = self.model.lm.generate_until(instances)
        return [
            {"template": r.template, "judgment": str(out), "rating": parse_rating(str(out))}
            for r, out in zip(requests, outputs, strict=True)
        ]
