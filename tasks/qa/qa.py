"""The qa use case's metric as a Hugging Face ``evaluate`` module: SQuAD exact match and F1
(v1.1, or v2.0 with unanswerable questions).

``evaluate.load("tasks/qa/qa.py")`` (the script's path: nothing is fetched; a folder path that
does not exist would be looked up on the Hub). It calls :func:`evals.score.squad_result`, the
function behind ``evals score squad``, so both give the same numbers; the ``evals`` package of
this project must be importable. Not used by lm-eval or ``evals eval`` (they read the YAMLs).
"""

from __future__ import annotations

import datasets
import evaluate

from evals.score import squad_result

_CITATION = """\
@inproceedings{rajpurkar-etal-2016-squad,
  title = "{SQ}u{AD}: 100,000+ Questions for Machine Comprehension of Text",
  author = "Rajpurkar, Pranav and Zhang, Jian and Lopyrev, Konstantin and Liang, Percy",
  booktitle = "Proceedings of the 2016 Conference on Empirical Methods in Natural Language
               Processing",
  year = "2016",
  pages = "2383--2392",
}
@inproceedings{rajpurkar-etal-2018-know,
  title = "Know What You Don{'}t Know: Unanswerable Questions for {SQ}u{AD}",
  author = "Rajpurkar, Pranav and Jia, Robin and Liang, Percy",
  booktitle = "Proceedings of the 56th Annual Meeting of the Association for Computational
               Linguistics (Volume 2: Short Papers)",
  year = "2018",
  pages = "784--789",
}
"""

_DESCRIPTION = """\
Exact match and token F1 of extractive answers as the official SQuAD v1.1 and v2.0 evaluation
scripts compute them: answers are lower-cased and stripped of punctuation, of the articles
a/an/the and of extra whitespace; each prediction takes its best gold answer; x100. Under v2.0
rules a question without a gold answer is right only for the empty prediction, and the
answerable and unanswerable questions are also scored apart. The same definition the qa use
case of objective-evals scores model runs with, and the same function as `evals score squad`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: {"id": question id, "prediction_text": the answer, "" for no answer}, in the
        format of the `squad` metric (`no_answer_probability` of `squad_v2` is not taken: an
        empty prediction_text is the "no answer", as in the official script's default).
    references: {"id": question id, "answers": {"text": [gold answers],
        "answer_start": [offsets]}}; no answer text: an unanswerable question.
    v2: force SQuAD v2.0 rules (True) or v1.1 (False); default: v2.0 when some reference has
        no answer (`evals score squad` reads the file's version and is_impossible instead).
Returns:
    exact_match, f1: x100 over all questions; with v2.0 also has_answer_f1 and no_answer_f1
    (None where there is no such question); n; version ("1.1" or "2.0").
Examples:
    >>> qa = evaluate.load("tasks/qa/qa.py")
    >>> qa.compute(predictions=[{"id": "q1", "prediction_text": "the Broncos"}],
    ...            references=[{"id": "q1", "answers": {"text": ["Denver Broncos"],
    ...                                                 "answer_start": [0]}}])
    {'exact_match': 0.0, 'f1': 66.66666666666666, 'n': 1, 'version': '1.1'}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Qa(evaluate.Metric):
    """SQuAD v1.1 / v2.0 exact match and F1 (``evals.score.squad_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": {
                        "id": datasets.Value("string"),
                        "prediction_text": datasets.Value("string"),
                    },
                    "references": {
                        "id": datasets.Value("string"),
                        "answers": datasets.Sequence(
                            {
                                "text": datasets.Value("string"),
                                "answer_start": datasets.Value("int32"),
                            }
                        ),
                    },
                }
            ),
            codebase_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
        )

    def _compute(self, predictions, references, v2=None):
        questions = [(ref["id"], list(ref["answers"]["text"])) for ref in references]
        if v2 is None:
            v2 = any(not texts for _, texts in questions)
        answers = {pred["id"]: pred["prediction_text"] for pred in predictions}
        return squad_result(questions, answers, bool(v2))
