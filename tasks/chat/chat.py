"""The chat use case's metric as a Hugging Face ``evaluate`` module: replies checked turn by turn.

``evaluate.load("tasks/chat/chat.py")`` (the script's path: nothing is fetched; a folder path
that does not exist would be looked up on the Hub). It calls :func:`evals.score.chat_result`,
the function behind ``evals score chat``, which checks each reply with the dialogue's own checks
(``tasks/chat/usecase.py``), so both give the numbers a run gives; the ``evals`` package of this
project must be importable. Not used by ``evals eval`` (it runs the dialogues itself).
"""

from __future__ import annotations

import json

import datasets
import evaluate

from evals.score import chat_result

_CITATION = """\
@misc{objective-evals-chat,
  title = {Multi-turn dialogues with verifiable per-turn checks (objective-evals chat use case)},
  note = {Checks in the style of IFEval: Zhou et al., Instruction-Following Evaluation for Large
          Language Models, arXiv:2311.07911, 2023},
}
"""

_DESCRIPTION = """\
Multi-turn chat scored without a judge: each reply is held to its turn's verifiable checks
(a fact recalled from an earlier turn, a persona marker, a word limit, a JSON object, a bullet
list, no echo of the prompt...), with the conversation so far as its context. Turn pass rate
(all of a turn's checks pass), whole-dialogue pass rate, check pass rate, and the share of empty
replies, x100. The same function as `evals score chat`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: one list of replies per dialogue, one reply per user turn.
    references: the dialogues, each a JSON string in the chat use case's schema
        ({"id", "system"?, "turns": [{"user", "checks": [...]}]}, e.g. a line of
        tasks/chat/data/dialogues.jsonl).
Returns:
    turn_pass_rate, dialogue_pass, check_pass_rate, invalid: x100.
    n_dialogues, n_turns.
Examples:
    >>> chat = evaluate.load("tasks/chat/chat.py")
    >>> dialogue = {"id": "d", "turns": [{"user": "Say hi in capitals.",
    ...                                   "checks": [{"type": "uppercase"}]}]}
    >>> chat.compute(predictions=[["HI"]], references=[json.dumps(dialogue)])["turn_pass_rate"]
    100.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Chat(evaluate.Metric):
    """Per-turn checks of multi-turn replies (``evals.score.chat_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Value("string"),
                }
            ),
        )

    def _compute(self, predictions, references):
        dialogues = [json.loads(r) for r in references]
        return chat_result(dialogues, [list(p) for p in predictions])
