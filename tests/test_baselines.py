"""Trivial baselines: each no-skill policy, scored through the use case's own parser and scorer
(:func:`evals.baselines.policy_statistics`), must score exactly what counting the data says it
scores; and the model-vs-baseline test must call a model above only when it is."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import numpy as np
import pytest

from evals.baselines import baseline_summary, compare_to_baselines, policy_statistics
from evals.benchmarks.sources import DataSource, benchmark_records
from evals.metrics.rouge import rouge_scores
from evals.statistics import REDUCERS, item_statistics, reducer_for
from evals.usecases import discover_use_cases
from tests.conftest import shared_data

UNITS = discover_use_cases()


@cache
def _docs(name: str) -> tuple[dict[str, Any], ...]:
    unit = UNITS[name]
    if unit.benchmark:
        records, _ = benchmark_records(unit.benchmark, DataSource("local", shared_data()))
        return tuple(records)
    return tuple(unit.hooks().load_dataset()["test"])


def _score(name: str, metric: str) -> dict[str, float]:
    """Each policy's corpus metric, reduced as the use case declares."""
    unit = UNITS[name]
    reduce = REDUCERS[reducer_for(metric, unit.reducers)]
    records = [{"doc": d} for d in _docs(name)]
    return {policy: float(reduce(stats.sum(axis=0)))
            for policy, stats in policy_statistics(unit, records, metric).items()}  # fmt: skip


@pytest.mark.parametrize("name", ["sentiment", "sst2"])
def test_majority_label_scores_the_majority_share(name: str) -> None:
    labels = Counter(d["label"] for d in _docs(name))
    expected = 100 * max(labels.values()) / sum(labels.values())
    assert _score(name, "accuracy") == {"majority": pytest.approx(expected)}


def test_sst2_majority_is_the_published_50_9() -> None:
    assert _score("sst2", "accuracy")["majority"] == pytest.approx(100 * 444 / 872)


def test_tweet_eval_majority_has_a_third_macro_recall() -> None:
    assert _score("tweet_eval", "macro_recall")["majority"] == pytest.approx(100 / 3)


@pytest.mark.parametrize(("name", "unanswerable"), [("qa", 16 / 64), ("squad_v2.0", 5945 / 11873),
                                                     ("squad_v1.1", 0.0)])  # fmt: skip
def test_always_unanswerable_scores_the_no_answer_share(name: str, unanswerable: float) -> None:
    counted = sum(not d["answers"] for d in _docs(name)) / len(_docs(name))
    assert counted == pytest.approx(unanswerable)
    assert _score(name, "f1")["unanswerable"] == pytest.approx(100 * unanswerable)


def test_first_sentence_of_the_passage_is_scored_as_an_answer() -> None:
    scores = _score("squad_v1.1", "f1")
    assert 0 < scores["first_sentence"] < 25  # a long span: low precision, some overlap


@pytest.mark.parametrize("name", ["ner", "conll2003", "wnut17"])
def test_no_entities_scores_zero_f1(name: str) -> None:
    assert _score(name, "f1") == {"no_entities": 0.0}


@pytest.mark.parametrize(("name", "metric"), [("cnn_dailymail", "rougeLsum"), ("xsum", "rougeL")])
def test_lead_sentences_score_what_rouge_says(name: str, metric: str) -> None:
    hooks = UNITS[name].hooks()
    docs = _docs(name)
    expected = {}
    for k in (1, 3):
        texts = ["\n".join(hooks.sentences(d["document"])[:k]) for d in docs]
        expected[f"lead{k}"] = float(
            np.mean(
                [rouge_scores(t, d["summaries"])[metric] for t, d in zip(texts, docs, strict=True)]
            )
        )
    assert _score(name, metric) == pytest.approx(expected)
    if name == "cnn_dailymail":  # LEAD-3 is the strong news baseline it is known to be
        assert expected["lead3"] > expected["lead1"] and expected["lead3"] > 30


def test_sentences_split_news_and_dialogue() -> None:
    hooks = UNITS["summarization"].hooks()
    assert hooks.sentences("It rained. Then it stopped! Was it over? Yes.") == [
        "It rained.", "Then it stopped!", "Was it over?", "Yes."]  # fmt: skip
    assert hooks.sentences("Amy: hi\nBob: hello there.\n") == ["Amy: hi", "Bob: hello there."]
    assert hooks.sentences("The U.S. economy grew 2.5 percent.") == [
        "The U.S. economy grew 2.5 percent."]  # fmt: skip


def test_above_baseline_only_when_significant() -> None:
    majority = item_statistics([100.0] * 50 + [0.0] * 50)
    model_same = item_statistics([0.0] * 5 + [100.0] * 45 + [100.0] * 5 + [0.0] * 45)
    model_good = item_statistics([100.0] * 50 + [100.0] * 20 + [0.0] * 30)
    weak = compare_to_baselines(model_same, {"majority": majority}, "mean")
    strong = compare_to_baselines(model_good, {"majority": majority}, "mean")
    assert not weak[0].above and strong[0].above
    assert weak[0].p_value > 0.05 > strong[0].p_value
    assert weak[0].difference.discordant == (5, 5) and strong[0].difference.value == 20.0
    summary = baseline_summary([*weak, *strong])
    assert summary["above_all"] is False
    assert baseline_summary(strong)["above_all"] is True
    assert baseline_summary([])["strongest"] is None


def test_mt_bench_empty_and_echo_replies_against_the_reference_answers() -> None:
    docs = _docs("mt_bench")
    scored = [(t["user"], t["reference"]) for d in docs for t in d["turns"] if t.get("reference")]
    echo = float(np.mean([rouge_scores(user, ref)["rougeL"] for user, ref in scored]))
    assert _score("mt_bench", "reference_rougeL") == {"empty": 0.0, "echo": pytest.approx(echo)}
