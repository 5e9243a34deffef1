"""QA: extractive reading comprehension with unanswerable questions, scored as SQuAD v2.0.

Datasets: the bundled ``data/test.jsonl`` (64 questions on 16 passages, 16 unanswerable) and
``data/fewshot.jsonl`` (completion-mode examples), original passages written for this project,
CC0; and SQuAD v1.1 / v2.0 dev (``squad_v1.1.yaml``, ``squad_v2.0.yaml``) read from ``DATA_DIR``
or the hub by :mod:`evals.benchmarks`. Record:
``{"id", "title", "context", "question", "answers": [...]}``; an empty ``answers`` list marks
an unanswerable question. SQuAD v1.1/v2.0 JSON maps onto it one question per row.
Metrics: official SQuAD exact match and F1 ×100 (max over gold answers,
:mod:`evals.metrics.squad`); ``has_answer_f1`` and ``no_answer_accuracy`` split them as the v2.0
script does. The model is asked to reply ``unanswerable`` when the passage lacks the answer;
a reply that is wholly that or another no-answer phrase or sentence ("no answer", "N/A", "The
passage does not say ...") is the empty prediction (:func:`is_no_answer`); ``NASA`` or ``None of
them`` are answers. An empty or blank output is also read as "no answer", as the official
script does, but counts as invalid. A passage over :data:`MAX_PASSAGE_CHARS` is cut (never
the instruction or the question) and counted in ``passage_truncated``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evals.benchmarks.sources import benchmark_dataset
from evals.data import load_splits
from evals.fingerprint import sha256_text
from evals.metrics.squad import squad_scores
from evals.usecases import Cluster, Generation, Metric, Task, UseCaseDefinition
from evals.usecases.aggregations import aggregate_mean as aggregate_mean

DATA_DIR = Path(__file__).resolve().parent / "data"
NO_ANSWER = "unanswerable"
INSTRUCTION = (
    "Answer the question with a short span copied from the passage. If the passage does not "
    f'contain the answer, reply "{NO_ANSWER}".'
)
_NO_ANSWER_PHRASE = (
    r"unanswerable|not answerable|no answer|none|n/?a|unknown|no information"
    r"|not (?:mentioned|stated|given|specified|provided)(?: in the (?:passage|text|context))?"
)
_NO_ANSWER_SENTENCE = (
    r"(?:the )?(?:passage|text|context|article) (?:does|did|do)(?: not|n[’']t) "
    r"(?:say|mention|state|specify|contain|provide|give|include|tell|answer|indicate)\b.*"
    r"|there is no (?:answer|mention|information)\b.*"
    r"|(?:it|this|that|the answer) is not (?:mentioned|stated|given|specified|provided"
    r"|in the (?:passage|text|context))\b.*"
    r"|(?:the|this) question (?:is unanswerable|cannot be answered|can(?:no|[’'])t be answered)\b.*"
)
_NO_ANSWER_REPLY = re.compile(
    rf"(?:{_NO_ANSWER_PHRASE}|{_NO_ANSWER_SENTENCE})[\s.!]*", re.IGNORECASE | re.DOTALL
)
"""A whole reply that says "no answer" (matched in full, never as a prefix: ``NASA``,
``Nairobi`` and ``None of them`` are answers)."""
_DECORATION = " \"'“”‘’`*_"


def _check(row: dict[str, Any]) -> str | None:
    if not isinstance(row["answers"], list):
        return "answers must be a list (empty for an unanswerable question)"
    return None


def load_dataset(**_: Any) -> Any:
    """The bundled splits (lm-eval ``custom_dataset`` hook)."""
    required = ("id", "context", "question", "answers")
    return load_splits(
        DATA_DIR, {"test": "test.jsonl", "fewshot": "fewshot.jsonl"}, required, _check
    )


def load_squad_v1(**metadata: Any) -> Any:
    """SQuAD v1.1 dev from DATA_DIR (SQuAD JSON) or the hub."""
    return benchmark_dataset("squad_v1.1", **metadata)


def load_squad_v2(**metadata: Any) -> Any:
    """SQuAD v2.0 dev from DATA_DIR (SQuAD JSON) or the hub."""
    return benchmark_dataset("squad_v2.0", **metadata)


MAX_PASSAGE_CHARS = 6000
"""Longest passage put in a prompt (characters). A longer one is cut here, at a word boundary,
and marked ``[…]``: the backend would otherwise cut the prompt from the front, dropping the
instruction (a 231 KB passage did). Every SQuAD v1.1/v2.0 dev passage (at most 4,063) and
every bundled one fits, so their prompts are unchanged; ``passage_truncated`` counts the cut
ones. A character budget, not a token one, so that every model sees the same prompt."""
TRUNCATION_MARK = " […]"


def passage(doc: dict[str, Any]) -> tuple[str, bool]:
    """The passage as prompted, and whether it was cut to :data:`MAX_PASSAGE_CHARS`."""
    context = str(doc["context"])
    if len(context) <= MAX_PASSAGE_CHARS:
        return context, False
    budget = MAX_PASSAGE_CHARS - len(TRUNCATION_MARK)
    head = context[:budget]
    cut = head.rstrip()
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > budget // 2 and not context[budget].isspace():
        cut = cut[:space].rstrip()  # do not end on half a word
    return cut + TRUNCATION_MARK, True


def doc_to_text(doc: dict[str, Any]) -> str:
    """Instruction, passage (cut to :data:`MAX_PASSAGE_CHARS`), question, and the answer cue."""
    text, _ = passage(doc)
    return f"{INSTRUCTION}\n\nPassage: {text}\nQuestion: {doc['question']}\nAnswer:"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The first gold answer, or the no-answer reply."""
    return doc["answers"][0] if doc["answers"] else NO_ANSWER


def is_no_answer(reply: str, context: str) -> bool:
    """Whether a reply (one line, answer cue removed) says the passage holds no answer.

    The whole reply must be a no-answer phrase or sentence, optionally quoted or bolded and
    ending in ``.``/``!``. The reply the prompt asks for (``unanswerable``) always counts; any
    other phrase copied verbatim from the passage (same case, whole words) is read as that span,
    since SQuAD has gold answers such as ``None`` and ``unknown``."""
    core = reply.strip(_DECORATION)
    if not _NO_ANSWER_REPLY.fullmatch(core):
        return False
    span = core.rstrip(" .!")
    if span.casefold() == NO_ANSWER:
        return True
    return re.search(rf"(?<!\w){re.escape(span)}(?!\w)", context) is None


def parse_output(doc: dict[str, Any], output: str) -> str:
    """The predicted answer span; ``""`` means "no answer"."""
    text = str(output).strip().splitlines()[0].strip() if str(output).strip() else ""
    text = re.sub(r"^(answer|a)\s*:\s*", "", text, flags=re.IGNORECASE).strip()
    if is_no_answer(text, str(doc.get("context", ""))):
        return ""
    return text.strip(" \"'").rstrip(".").strip()


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """Per-item EM/F1 and the answerable / unanswerable split."""
    prediction = parse_output(doc, results[0])
    scores = squad_scores(prediction, doc["answers"])
    answerable = bool(doc["answers"])
    return {
        **scores,
        "has_answer_f1": [scores["f1"] if answerable else 0.0, float(answerable)],
        "no_answer_accuracy": [0.0 if answerable else scores["exact_match"], float(not answerable)],
        "invalid": 100.0 * (not str(results[0]).strip()),
        "passage_truncated": 100.0 * passage(doc)[1],
    }


def cluster_key(doc: dict[str, Any]) -> str:
    """The passage a question is asked on."""
    return sha256_text(str(doc["context"]))[:16]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(]*[A-Z0-9])")


def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Trivial policies: always "unanswerable" (the SQuAD v2.0 no-answer rate), and the
    passage's first sentence as the answer."""
    first = [_SENTENCE_END.split(str(d["context"]).strip(), maxsplit=1)[0] for d in docs]
    return {"unanswerable": [NO_ANSWER] * len(docs), "first_sentence": first}


_METRICS = (
    Metric("exact_match"),
    Metric("f1"),
    Metric("has_answer_f1", weighted=True),
    Metric("no_answer_accuracy", weighted=True),
    Metric("invalid", higher_is_better=False),
    Metric("passage_truncated", higher_is_better=False),
)


def _task(name: str, loader: Any, about: str, benchmark: str | None = None) -> Task:
    return Task(
        name,
        loader,
        doc_to_text,
        doc_to_target,
        process_results,
        _METRICS,
        parse=parse_output,
        baselines=baselines,
        benchmark=benchmark,
        about=about,
    )


USE_CASE = UseCaseDefinition(
    name="qa",
    claims=("QA",),
    about="Extractive reading comprehension, SQuAD-style EM and F1, unanswerable questions too.",
    version="1.2",
    primary_metric="f1",
    fewshot_completion=3,
    generation=Generation(until=("\n", "Passage:", "Question:"), max_gen_toks=32),
    cluster=Cluster("passage", cluster_key),
    tasks=(_task("qa", load_dataset, "Questions on the bundled passages; see README.md."),),
    benchmarks=(
        _task(
            "squad_v1.1",
            load_squad_v1,
            "SQuAD v1.1 dev (10,570 questions; few-shot from train).",
            "squad_v1.1",
        ),
        _task(
            "squad_v2.0",
            load_squad_v2,
            "SQuAD v2.0 dev (11,873 questions, half unanswerable).",
            "squad_v2.0",
        ),
    ),
)
"""The QA use case: bundled passages, SQuAD v1.1 and v2.0; questions on one passage cluster."""
