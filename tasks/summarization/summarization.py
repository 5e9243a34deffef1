"""The summarization use case's metric as a Hugging Face ``evaluate`` module: ROUGE-1, ROUGE-2,
ROUGE-L and ROUGE-Lsum.

``evaluate.load("tasks/summarization/summarization.py")`` (the script's path: nothing is
fetched; a folder path that does not exist would be looked up on the Hub). It calls
:func:`evals.score.rouge_result`, the function behind ``evals score rouge``, so both give the
same numbers; the ``evals`` package of this project must be importable. Not used by lm-eval or
``evals eval`` (they read the YAMLs).
"""

from __future__ import annotations

import datasets
import evaluate

from evals.score import rouge_result

_CITATION = """\
@inproceedings{lin-2004-rouge,
  title = "{ROUGE}: A Package for Automatic Evaluation of Summaries",
  author = "Lin, Chin-Yew",
  booktitle = "Text Summarization Branches Out",
  year = "2004",
  address = "Barcelona, Spain",
  publisher = "Association for Computational Linguistics",
  pages = "74--81",
}
"""

_DESCRIPTION = """\
Mean ROUGE F-measure x100 computed with Google's rouge-score package, in the convention papers
report for CNN/DailyMail and XSum: Porter stemmer on; ROUGE-Lsum on the texts split into
sentences (one per line, summary-level LCS); ROUGE-L without the split. With several
references per item each ROUGE type takes the best one. (The `rouge` module of `evaluate`
turns the stemmer off and does not split sentences, so its rougeLsum differs.) The same
definition the summarization use case of objective-evals scores model runs with, and the same
function as `evals score rouge`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: one summary per item.
    references: one reference summary per item, or a list of references per item.
Returns:
    rouge1, rouge2, rougeL, rougeLsum: mean F-measure x100; n: the number of items.
Examples:
    >>> summarization = evaluate.load("tasks/summarization/summarization.py")
    >>> summarization.compute(predictions=["The cat sat."], references=["The cat sat."])
    {'rouge1': 100.0, 'rouge2': 100.0, 'rougeL': 100.0, 'rougeLsum': 100.0, 'n': 1}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Summarization(evaluate.Metric):
    """ROUGE-1/2/L/Lsum with the stemmer, best of several references (``rouge_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=[
                datasets.Features(
                    {
                        "predictions": datasets.Value("string", id="sequence"),
                        "references": datasets.Sequence(datasets.Value("string", id="sequence")),
                    }
                ),
                datasets.Features(
                    {
                        "predictions": datasets.Value("string", id="sequence"),
                        "references": datasets.Value("string", id="sequence"),
                    }
                ),
            ],
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
            reference_urls=["https://aclanthology.org/W04-1013/"],
        )

    def _compute(self, predictions, references):
        return rouge_result(references, predictions)
