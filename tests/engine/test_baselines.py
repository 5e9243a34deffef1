"""Trivial baselines: each no-skill policy, scored through the use case's own parser and scorer
(:func:`evals.engine.baselines.policy_statistics`), must score exactly what counting the data
says it scores; and the model-vs-baseline test must call a model above only when it is."""

from __future__ import annotations

from collections import Counter
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from evals.benchmarks.sources import DataSource, benchmark_records
from evals.decision import estimate, paired_difference
from evals.engine.baselines import baseline_summary, compare_to_baselines, policy_statistics
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
    return tuple(unit.module().load_dataset()["test"])


def _score(name: str, metric: str) -> dict[str, float]:
    """Each policy's corpus metric, reduced as the use case declares."""
    unit = UNITS[name]
    reduce = REDUCERS[reducer_for(metric, unit.reducers)]
    records = [{"doc": d} for d in _docs(name)]
    return {
        policy: float(reduce(stats.sum(axis=0)))
        for policy, stats in policy_statistics(unit, records, metric).items()
    }


@pytest.mark.parametrize("name", ["sentiment", "sst2"])
def test_majority_label_scores_the_majority_share(name: str) -> None:
    labels = Counter(d["label"] for d in _docs(name))
    expected = 100 * max(labels.values()) / sum(labels.values())
    assert _score(name, "accuracy") == {"majority": pytest.approx(expected)}


def test_sst2_majority_is_the_published_50_9() -> None:
    assert _score("sst2", "accuracy")["majority"] == pytest.approx(100 * 444 / 872)


def test_tweet_eval_majority_has_a_third_macro_recall() -> None:
    assert _score("tweet_eval", "macro_recall")["majority"] == pytest.approx(100 / 3)


@pytest.mark.parametrize(
    ("name", "unanswerable"), [("qa", 16 / 64), ("squad_v2.0", 5945 / 11873), ("squad_v1.1", 0.0)]
)
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


@pytest.mark.fidelity
@pytest.mark.parametrize(("name", "metric"), [("cnn_dailymail", "rougeLsum"), ("xsum", "rougeL")])
def test_lead_sentences_score_what_rouge_says(name: str, metric: str) -> None:
    hooks = UNITS[name].module()
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
    hooks = UNITS["summarization"].module()
    assert hooks.sentences("It rained. Then it stopped! Was it over? Yes.") == [
        "It rained.",
        "Then it stopped!",
        "Was it over?",
        "Yes.",
    ]
    assert hooks.sentences("Amy: hi\nBob: hello there.\n") == ["Amy: hi", "Bob: hello there."]
    assert hooks.sentences("The U.S. economy grew 2.5 percent.") == [
        "The U.S. economy grew 2.5 percent."
    ]


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


# --- model-free, on hand-made items (no shared data needed) ---------------------------------------

_SYSTEM = "You are a ship captain who speaks like a pirate and sails the seven seas"
DIALOGUES = [
    {
        "system": _SYSTEM,
        "turns": [
            {
                "user": "Where do you sail",
                "checks": [{"type": "not_echo"}, {"type": "contains_any", "values": ["seas"]}],
            },
            {
                "user": "Tell me about the parrot named Polly on your ship",
                "checks": [{"type": "recall", "values": ["polly"]}, {"type": "not_echo"}],
            },
        ],
    },
    {
        "turns": [
            {"user": "Say yes please", "checks": [{"type": "contains_any", "values": ["yes"]}]}
        ]
    },
]


def test_chat_policies_are_scored_turn_by_turn_with_the_conversation_so_far() -> None:
    """empty fails every check. echo repeats the system prompt and the user turns: it contains
    "seas" and recalls Polly, but is all copied (not_echo fails both turns). echo_last says
    "Where do you sail" (four words, too short to count as copied, but no "seas"), then repeats
    the second user turn (recalls Polly, copied). The second dialogue is passed by repeating
    it. Without the system prompt or the user turns in the conversation, a copy would pass."""
    records = [{"doc": d} for d in DIALOGUES]
    turns = policy_statistics(UNITS["chat"], records, "turn_pass_rate")
    assert {p: s.tolist() for p, s in turns.items()} == {
        "empty": [[0.0, 2.0], [0.0, 1.0]],
        "echo": [[0.0, 2.0], [100.0, 1.0]],
        "echo_last": [[0.0, 2.0], [100.0, 1.0]],
    }
    checks = policy_statistics(UNITS["chat"], records, "check_pass_rate")
    assert {p: s.tolist() for p, s in checks.items()} == {
        "empty": [[0.0, 4.0], [0.0, 1.0]],
        "echo": [[200.0, 4.0], [100.0, 1.0]],
        "echo_last": [[200.0, 4.0], [100.0, 1.0]],
    }
    empty = policy_statistics(UNITS["chat"], records, "invalid")["empty"]
    assert empty.tolist() == [[200.0, 2.0], [100.0, 1.0]]  # raw outputs, all blank
    passed = policy_statistics(UNITS["chat"], records, "dialogue_pass")
    assert passed["echo"].tolist() == [[0.0, 1.0], [100.0, 1.0]]


def test_a_judged_metric_has_no_trivial_policy_score() -> None:
    assert policy_statistics(UNITS["chat"], [{"doc": DIALOGUES[1]}], "rating") == {}
    assert policy_statistics(UNITS["chat"], [], "turn_pass_rate") == {}


class _Hooks:
    """A single-turn use case's hooks: one label per doc, scored by exact match."""

    @staticmethod
    def baselines(docs: list[dict[str, Any]]) -> dict[str, list[str]]:
        return {"always_a": ["a"] * len(docs), "always_b": ["b"] * len(docs)}

    @staticmethod
    def score(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
        return {"accuracy": 100.0 if results[0] == doc["label"] else 0.0}


def _use_case(hooks: Any) -> Any:
    task = SimpleNamespace(baselines=getattr(hooks, "baselines", None), score=_Hooks.score)
    return SimpleNamespace(dialogues=None, primary_task=SimpleNamespace(definition=task))


def test_single_turn_policies_go_through_the_tasks_own_scorer() -> None:
    unit = _use_case(_Hooks)
    records = [{"doc": {"label": x}} for x in "aba"]
    stats = policy_statistics(unit, records, "accuracy")
    assert {p: s.tolist() for p, s in stats.items()} == {
        "always_a": [[100.0, 1.0], [0.0, 1.0], [100.0, 1.0]],
        "always_b": [[0.0, 1.0], [100.0, 1.0], [0.0, 1.0]],
    }
    assert policy_statistics(unit, [], "accuracy") == {}


def test_no_policy_scores_without_baselines() -> None:
    unit = _use_case(SimpleNamespace())
    assert policy_statistics(unit, [{"doc": {"label": "a"}}], "accuracy") == {}


def test_comparison_json_is_exact() -> None:
    policy = item_statistics([100.0] * 10 + [0.0] * 10)
    model = item_statistics([100.0] * 16 + [0.0] * 4)
    (c,) = compare_to_baselines(model, {"majority": policy}, "mean", alpha=0.1)
    diff = paired_difference(policy, model)
    assert c.to_dict() == {
        "policy": "majority",
        "score": estimate(policy).to_dict(),
        "difference": {
            "value": 30.0,
            "se": diff.se,
            "n": 20,
            "units": 20,
            "method": "paired-proportions",
            "discordant": [0, 6],
            "lower_bound": diff.lower_bound(0.1),
        },
        "p_value": diff.p_value(0.0, "greater"),
        "alpha": 0.1,
        "above": True,
    }
    assert c.difference.lower_bound(0.1) != c.difference.lower_bound(0.05)


def test_comparison_uses_the_reducer_and_the_clusters() -> None:
    """Entity F1 from counts over clustered sentences: both the score and the test."""
    rng = np.random.default_rng(11)
    gold = rng.integers(1, 4, 30).astype(float)
    model = np.column_stack([np.minimum(gold, rng.integers(0, 4, 30)), gold, gold])
    policy = np.column_stack([np.minimum(gold, 1.0), np.full(30, 2.0), gold])
    clusters = [f"doc-{i // 3}" for i in range(30)]
    (c,) = compare_to_baselines(model, {"lead": policy}, "f1", clusters)
    diff = paired_difference(policy, model, "f1", clusters=clusters)
    assert c.difference == diff and c.difference.units == 10
    assert c.score == estimate(policy, "f1", clusters=clusters)
    assert c.p_value == diff.p_value(0.0, "greater") and c.alpha == 0.05


def test_summary_names_the_strongest_defined_policy() -> None:
    model = item_statistics([100.0] * 18 + [0.0] * 2)
    undefined = np.zeros((20, 2))  # nothing scored
    weak = item_statistics([100.0] * 4 + [0.0] * 16)
    strong = item_statistics([100.0] * 17 + [0.0] * 3)
    comparisons = compare_to_baselines(
        model, {"unscored": undefined, "strong": strong, "weak": weak}, "mean"
    )
    summary = baseline_summary(comparisons)
    assert summary == {
        "policies": {c.policy: c.to_dict() for c in comparisons},
        "strongest": "strong",
        "above_all": False,
    }
    assert [c.above for c in comparisons] == [True, False, True]
    assert baseline_summary([]) == {"policies": {}, "strongest": None, "above_all": None}
