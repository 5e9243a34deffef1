"""The sentiment use case's metrics as a Hugging Face ``evaluate`` module: accuracy, macro-F1,
macro-recall over the gold label set.

``evaluate.load("tasks/sentiment/sentiment.py")`` (the script's path: nothing is fetched; a
folder path that does not exist would be looked up on the Hub). It calls
:func:`evals.score.label_result`, the function behind ``evals score sentiment``, so both give
the same numbers; the ``evals`` package of this project must be importable. Not used by lm-eval
or ``evals eval`` (they read the YAMLs).
"""

from __future__ import annotations

import datasets
import evaluate

from evals.score import label_result

_CITATION = """\
@inproceedings{socher-etal-2013-recursive,
  title = "Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank",
  author = "Socher, Richard and Perelygin, Alex and Wu, Jean and Chuang, Jason and
            Manning, Christopher D. and Ng, Andrew and Potts, Christopher",
  booktitle = "Proceedings of the 2013 Conference on Empirical Methods in Natural Language
               Processing",
  year = "2013",
  pages = "1631--1642",
}
@inproceedings{barbieri-etal-2020-tweeteval,
  title = "{T}weet{E}val: Unified Benchmark and Comparative Evaluation for Tweet Classification",
  author = "Barbieri, Francesco and Camacho-Collados, Jose and Espinosa Anke, Luis and
            Neves, Leonardo",
  booktitle = "Findings of the Association for Computational Linguistics: EMNLP 2020",
  year = "2020",
  pages = "1644--1650",
}
@article{scikit-learn,
  title = {Scikit-learn: Machine Learning in {P}ython},
  author = {Pedregosa, F. and others},
  journal = {Journal of Machine Learning Research},
  volume = {12},
  pages = {2825--2830},
  year = {2011},
}
"""

_DESCRIPTION = """\
Label accuracy, macro-averaged F1 and macro-averaged recall (the official TweetEval sentiment
metric) over the set of labels that occur in the references, x100, as scikit-learn computes
them. An empty prediction (no label could be read from the output) is wrong; a label outside
the reference set is an error. The same definition the sentiment use case of objective-evals
scores model runs with, and the same function as `evals score sentiment`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: one label string per item ("" for an output with no label).
    references: the gold label strings.
    metric: "accuracy", "macro_f1" or "macro_recall" to return only that one (as
        `evals score sentiment --metric`); default: the module's config name if it is one of
        these (`evaluate.load(path, "macro_recall")`), else all three.
Returns:
    accuracy, macro_f1, macro_recall (or only `metric`): x100.
    n: the number of items; labels: the gold label set, sorted.
Examples:
    >>> sentiment = evaluate.load("tasks/sentiment/sentiment.py")
    >>> sentiment.compute(predictions=["pos", "neg", ""], references=["pos", "pos", "neg"],
    ...                   metric="accuracy")
    {'accuracy': 33.333333333333336, 'n': 3, 'labels': ['neg', 'pos']}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Sentiment(evaluate.Metric):
    """Accuracy, macro-F1, macro-recall of label strings (``evals.score.label_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string"),
                    "references": datasets.Value("string"),
                }
            ),
            reference_urls=[
                "https://scikit-learn.org/stable/modules/model_evaluation.html",
                "https://github.com/cardiffnlp/tweeteval",
            ],
        )

    def _compute(self, predictions, references, metric=None):
        if metric is None and self.config_name in ("accuracy", "macro_f1", "macro_recall"):
            metric = self.config_name
        return label_result(references, predictions, metric)
