"""The ner use case's metric as a Hugging Face ``evaluate`` module: entity-level P/R/F1.

``evaluate.load("tasks/ner/ner.py")`` (the script's path: nothing is fetched; a folder path that
does not exist would be looked up on the Hub). It calls :func:`evals.score.ner_result`, the
function behind ``evals score ner``, so both give the same numbers; the ``evals`` package of
this project must be importable. Not used by lm-eval or ``evals eval`` (they read the YAMLs).
"""

from __future__ import annotations

import datasets
import evaluate

from evals.score import ner_result

_CITATION = """\
@inproceedings{tjong-kim-sang-de-meulder-2003-introduction,
  title = "Introduction to the {C}o{NLL}-2003 Shared Task: Language-Independent Named Entity
           Recognition",
  author = "Tjong Kim Sang, Erik F. and De Meulder, Fien",
  booktitle = "Proceedings of the Seventh Conference on Natural Language Learning at
               {HLT}-{NAACL} 2003",
  year = "2003",
  pages = "142--147",
}
@misc{seqeval,
  title = {{seqeval}: A Python framework for sequence labeling evaluation},
  url = {https://github.com/chakki-works/seqeval},
  author = {Hiroki Nakayama},
  year = {2018},
}
"""

_DESCRIPTION = """\
Entity-level named-entity scores as the CoNLL-2003 evaluation and seqeval (default mode) count
them: an entity is right only when its span and type both match exactly. Micro-averaged
precision, recall and F1 over all entities, and F1 per entity type (the gold types), x100.
The same definition the ner use case of objective-evals scores model runs with, and the same
function as `evals score ner`.
"""

_KWARGS_DESCRIPTION = """\
Args:
    predictions: one list of IOB2 tags per sentence (`O`, `B-PER`, `I-PER`, ...).
    references: the gold tags, one list per sentence, each as long as its prediction.
Returns:
    f1, precision, recall: micro-averaged over entities, x100.
    f1_<TYPE>: F1 x100 of each type found in the references.
    n_sentences: the number of sentences.
Examples:
    >>> ner = evaluate.load("tasks/ner/ner.py")
    >>> ner.compute(predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "O"]])
    {'f1': 100.0, 'precision': 100.0, 'recall': 100.0, 'f1_PER': 100.0, 'n_sentences': 1}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Ner(evaluate.Metric):
    """Entity-level P/R/F1 of IOB2 tag sequences (``evals.score.ner_result``)."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string", id="label")),
                    "references": datasets.Sequence(datasets.Value("string", id="label")),
                }
            ),
            codebase_urls=["https://github.com/chakki-works/seqeval"],
            reference_urls=["https://www.clips.uantwerpen.be/conll2003/ner/"],
        )

    def _compute(self, predictions, references):
        return ner_result(references, predictions)
