"""Trivial baselines on the very items a run scored, and whether the model beats them.

A use case's definition names its no-skill policies, written in the format the prompt asks
for, so they go through the same parser and scorer as a model's output:

- single-turn: ``baselines(docs) -> {policy: [raw output per doc]}`` (majority label, "always
  unanswerable", the passage's first sentence, no entities, LEAD-1/LEAD-3);
- multi-turn: ``baseline_replies(dialogue) -> {policy: [reply per turn]}`` (empty, echo).

Each policy's per-item statistics give its score with an interval, and the model's paired
difference to it on the same items gives a one-sided test of "the model is above this
baseline". The model is *above its baselines* when every one of those tests rejects at α: an
intersection-union claim, which needs no multiplicity correction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.decision import Estimate, PairedDifference, estimate, paired_difference
from evals.engine.multiturn import replay_turns
from evals.statistics import item_statistics
from evals.usecases import UseCase

ALPHA = 0.05


@dataclass(frozen=True)
class BaselineComparison:
    """One trivial policy on the run's items, against the model."""

    policy: str
    """Policy name (``majority``, ``lead3``, ``echo``, ...)."""

    score: Estimate
    """The policy's primary metric on the same items."""

    difference: PairedDifference
    """Model − policy, paired on the items."""

    p_value: float
    """One-sided p-value of "the model is not above the policy"."""

    alpha: float = ALPHA
    """Level of the test."""

    @property
    def above(self) -> bool:
        """Whether the model is significantly above the policy."""
        return self.p_value < self.alpha

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        low = self.difference.lower_bound(self.alpha)
        return {
            "policy": self.policy,
            "score": self.score.to_dict(),
            "difference": {**self.difference.to_dict(), "lower_bound": low},
            "p_value": self.p_value,
            "alpha": self.alpha,
            "above": self.above,
        }


def policy_statistics(
    use_case: UseCase, records: Sequence[Mapping[str, Any]], metric: str
) -> dict[str, np.ndarray]:
    """Per-item statistics of ``metric`` for every trivial policy of the use case, on the
    records' items in order (empty when the use case defines no baseline)."""
    if not records:
        return {}
    if use_case.dialogues is not None:
        hooks = use_case.dialogues.hooks
        per_policy: dict[str, list[Any]] = {}
        for record in records:
            dialogue = record["doc"]
            for policy, replies in hooks.baseline_replies(dialogue).items():
                scores = hooks.dialogue_scores(replay_turns(hooks, dialogue, replies))
                if metric not in scores:  # a judged metric: the policy is not judged
                    return {}
                per_policy.setdefault(policy, []).append(scores[metric])
        return {p: item_statistics(v) for p, v in per_policy.items()}
    task = use_case.primary_task.definition
    outputs_for, scorer = task.baselines, task.score
    if outputs_for is None:
        return {}
    docs = [r["doc"] for r in records]
    return {
        policy: item_statistics(
            [scorer(doc, [out])[metric] for doc, out in zip(docs, outs, strict=True)]
        )
        for policy, outs in outputs_for(docs).items()
    }


def compare_to_baselines(
    model_stats: np.ndarray,
    policies: Mapping[str, np.ndarray],
    reducer: str,
    clusters: Sequence[str] | None = None,
    alpha: float = ALPHA,
) -> list[BaselineComparison]:
    """Each policy's score and the model's one-sided paired test against it."""
    out = []
    for policy, stats in policies.items():
        diff = paired_difference(stats, model_stats, reducer, clusters=clusters)
        out.append(
            BaselineComparison(
                policy=policy,
                score=estimate(stats, reducer, clusters=clusters),
                difference=diff,
                p_value=diff.p_value(0.0, "greater"),
                alpha=alpha,
            )
        )
    return out


def baseline_summary(comparisons: Sequence[BaselineComparison]) -> dict[str, Any]:
    """What ``results.json`` records: every policy, the strongest, and the overall claim."""
    if not comparisons:
        return {"policies": {}, "strongest": None, "above_all": None}
    strongest = max(comparisons, key=lambda c: -np.inf if not c.score.defined else c.score.value)
    return {
        "policies": {c.policy: c.to_dict() for c in comparisons},
        "strongest": strongest.policy,
        "above_all": all(c.above for c in comparisons),
    }
