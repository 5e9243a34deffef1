"""Oracle tests: the gold answer, written as the prompt asks and fed back as the model's raw
output, must get full marks from the task's own scoring hook (the ``process_results`` its
lm-eval YAML names, so parsing, alignment and scoring all run as in a model run), reduced over
the corpus by the task's own reducers. A parser, aligner or scorer that marks the reference
itself wrong is biased against every model. Real data from ../shared/data (skipped when absent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import numpy as np
import pytest

from evals.benchmarks.sources import DataSource, benchmark_records
from evals.metrics.squad import normalize_answer
from evals.statistics import REDUCERS, item_statistics, reduce_f1, reducer_for
from evals.usecases import UseCase, discover_use_cases
from tests.conftest import shared_data

UNITS = discover_use_cases()
Doc = dict[str, Any]


def _process_results(unit: UseCase) -> Callable[[Doc, list[str]], dict[str, Any]]:
    """The scorer the unit's primary task defines (its YAML names the same function)."""
    return unit.primary_task.definition.score


@cache
def _docs(name: str) -> list[Doc]:
    unit = UNITS[name]
    if unit.benchmark:
        records, _ = benchmark_records(unit.benchmark, DataSource("local", shared_data()))
        return records
    return list(unit.module().load_dataset()["test"])


def _oracle(
    name: str, outputs: Callable[[Doc], Iterable[str]]
) -> tuple[dict[str, float], list[tuple[Doc, str, dict[str, Any]]]]:
    """Corpus metrics of the oracle (each output one scored item) and every item's scores."""
    unit = UNITS[name]
    process = _process_results(unit)
    values: dict[str, list[Any]] = defaultdict(list)
    items = []
    for doc in _docs(name):
        for output in outputs(doc):
            scores = process(doc, [output])
            items.append((doc, output, scores))
            for metric, value in scores.items():
                values[metric].append(value)
    corpus = {
        metric: float(REDUCERS[reducer_for(metric, unit.reducers)](item_statistics(v).sum(0)))
        for metric, v in values.items()
    }
    return corpus, items


# --- QA: SQuAD v1.1 / v2.0 dev and the bundled set --------------------------------------------


def _qa_outputs(doc: Doc) -> list[str]:
    """Every gold answer the official script keeps (it drops answers that normalize to nothing,
    such as the ``"."`` listed for three dev questions), or the instructed no-answer reply."""
    if not doc["answers"]:
        return [UNITS["qa"].module().NO_ANSWER]
    return [a for a in doc["answers"] if normalize_answer(a)]


@pytest.mark.parametrize("name", ["squad_v1.1", "squad_v2.0", "qa"])
def test_qa_gold_answers_fed_back_score_full_marks(name: str) -> None:
    corpus, items = _oracle(name, _qa_outputs)
    failed = [(d["id"], out) for d, out, s in items if min(s["exact_match"], s["f1"]) < 100]
    assert failed == []
    assert corpus["exact_match"] == corpus["f1"] == 100.0
    assert corpus["has_answer_f1"] == 100.0 and corpus["invalid"] == 0.0
    unanswerable = sum(not d["answers"] for d in _docs(name))
    if unanswerable:
        assert corpus["no_answer_accuracy"] == 100.0
    expected = {"squad_v1.1": (10570, 0), "squad_v2.0": (11873, 5945)}.get(name)
    if expected:
        assert (len(_docs(name)), unanswerable) == expected


# --- NER: CoNLL-2003 test, WNUT-17 test and the bundled set -----------------------------------


@pytest.mark.parametrize("name", ["conll2003", "wnut17", "ner"])
def test_ner_gold_entities_fed_back_score_full_marks(name: str) -> None:
    """Every mention listed once, in the JSON format the prompt asks for (``doc_to_target``);
    the aligner must place each one on its own span, repeated strings included."""
    hooks = UNITS[name].module()
    corpus, items = _oracle(name, lambda doc: [hooks.doc_to_target(doc)])
    counts = np.sum([s["f1"] for _, _, s in items], axis=0)
    failed = [(d["id"], s["f1"]) for d, _, s in items if len(set(s["f1"])) > 1]
    assert failed == []
    assert float(reduce_f1(counts)) == 100.0
    assert corpus["f1"] == corpus["precision"] == corpus["recall"] == 100.0
    assert corpus["unaligned"] == corpus["invalid"] == 0.0
    for metric in (m for m in corpus if m.startswith("f1_")):
        assert corpus[metric] == 100.0, metric
    if name == "conll2003":
        assert counts[2] == 1668 + 1661 + 1617 + 702  # the official test entity count


@pytest.mark.parametrize("name", ["conll2003", "wnut17"])
def test_ner_gold_entities_of_the_dev_sets_align_back(name: str) -> None:
    """The same on the few-shot dev sets (eng.testa, emerging.dev.conll): more sentences with
    repeated names, none of them tuned on."""
    unit = UNITS[name]
    process = _process_results(unit)
    _, dev = benchmark_records(name, DataSource("local", shared_data()))
    assert dev
    counts = np.sum([process(doc, [unit.module().doc_to_target(doc)])["f1"] for doc in dev], 0)
    assert counts[0] == counts[1] == counts[2] > 0


# --- Sentiment: SST-2 dev, TweetEval test and the bundled set ---------------------------------


@pytest.mark.parametrize("name", ["sst2", "tweet_eval", "sentiment"])
def test_sentiment_gold_label_fed_back_scores_full_marks(name: str) -> None:
    corpus, items = _oracle(name, lambda doc: [doc["label"]])
    assert corpus["accuracy"] == corpus["macro_f1"] == 100.0
    assert corpus["invalid"] == 0.0
    assert corpus[UNITS[name].primary_metric] == 100.0
    expected = {"sst2": 872, "tweet_eval": 12284}.get(name)
    if expected:
        assert len(items) == expected


# --- Summarization: XSum, CNN/DM, SAMSum, DialogSum and the bundled set -----------------------


@pytest.mark.parametrize(
    "name",
    [
        *(
            pytest.param(n, marks=pytest.mark.fidelity)  # whole real test sets: seconds each
            for n in ("xsum", "cnn_dailymail", "samsum", "dialogsum")
        ),
        "summarization",
    ],
)
def test_summarization_reference_fed_back_scores_full_marks(name: str) -> None:
    """Each reference (all three of DialogSum's) scores 100 on the task's primary ROUGE."""
    primary = UNITS[name].primary_metric
    corpus, items = _oracle(name, lambda doc: doc["summaries"])
    failed = [(d["id"], s[primary]) for d, _, s in items if s[primary] != 100.0]
    assert failed == []
    assert corpus[primary] == pytest.approx(100.0, abs=1e-9)
    assert corpus["rouge1"] == pytest.approx(100.0, abs=1e-9)
    assert corpus["invalid"] == 0.0
