"""The regression gate: is a candidate fine-tune worse than its baseline, beyond noise?

Per use case, on the items both runs scored: the paired difference candidate − baseline with
its CI (paired bootstrap; exact McNemar p-value for pass/fail scores), Holm-corrected across use
cases, against the policy's allowed drop ``m`` (see :mod:`evals.gate_policy`):

============  =================================================================================
IMPROVED      the difference is significant and its CI lies above 0
REGRESSION    the drop is significant and its whole CI lies below −m (beyond the allowed drop)
PASS          the CI's lower end is at or above −m (no drop bigger than allowed is plausible)
INCONCLUSIVE  the CI straddles −m, or fewer items than the policy's ``min_n``
============  =================================================================================

The gate fails on a REGRESSION of a required use case (and on INCONCLUSIVE when the policy
says so). For each use case it reports the minimum detectable difference at that n: the
smallest drop it would flag with 80% power at the policy's alpha.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from scipy.stats import norm

from evals.errors import EvalsError
from evals.gate_policy import GatePolicy
from evals.paired import PairedResult, align_items, holm_adjust, paired_test
from evals.runs import StoredRun
from evals.statistics import Estimate, bootstrap_ci, item_scores, item_statistics

POWER = 0.80
LOSSES_SHOWN = 3


class GateInputError(EvalsError):
    """The two runs cannot be compared (different items, settings or use cases)."""


class Verdict(str, Enum):
    """Outcome for one use case."""

    PASS = "PASS"
    IMPROVED = "IMPROVED"
    REGRESSION = "REGRESSION"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class UseCaseVerdict:
    """The gate's finding for one use case."""

    use_case: str
    """Use case name."""

    metric: str
    """The primary metric compared."""

    baseline: Estimate
    """Baseline score on the shared items."""

    candidate: Estimate
    """Candidate score on the shared items."""

    paired: PairedResult
    """Difference candidate − baseline, its CI and raw p-value."""

    p_adjusted: float
    """Holm-adjusted p-value across the compared use cases."""

    margin: float
    """Allowed drop in points (from the policy)."""

    required: bool
    """Whether a regression here fails the gate."""

    verdict: Verdict
    """PASS, IMPROVED, REGRESSION or INCONCLUSIVE."""

    reason: str
    """One sentence saying why."""

    min_detectable: float
    """Smallest drop detectable with 80% power at this n (points)."""

    biggest_losses: tuple[dict[str, Any], ...] = ()
    """Items where the candidate lost most against the baseline."""

    @property
    def fails(self) -> bool:
        """Whether this use case alone fails the gate (INCONCLUSIVE decided by the policy)."""
        return self.required and self.verdict is Verdict.REGRESSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "use_case": self.use_case,
            "metric": self.metric,
            "baseline": self.baseline.to_dict(),
            "candidate": self.candidate.to_dict(),
            "paired": self.paired.to_dict(),
            "p_adjusted": self.p_adjusted,
            "margin": self.margin,
            "required": self.required,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "min_detectable_difference": self.min_detectable,
            "biggest_losses": list(self.biggest_losses),
        }


@dataclass(frozen=True)
class GateResult:
    """The whole gate decision."""

    verdicts: tuple[UseCaseVerdict, ...]
    """One per use case compared."""

    passed: bool
    """Overall verdict."""

    policy: GatePolicy
    """The policy applied."""

    baseline: StoredRun
    """Baseline run."""

    candidate: StoredRun
    """Candidate run."""

    @property
    def exit_code(self) -> int:
        """0 pass, 1 regression (CI systems read this)."""
        return 0 if self.passed else 1


def check_comparable(baseline: StoredRun, candidate: StoredRun) -> None:
    """Stop with one line naming the first difference that makes the runs incomparable."""
    if baseline.results["prompt_mode"] != candidate.results["prompt_mode"]:
        raise GateInputError(
            f"prompt mode differs: baseline {baseline.results['prompt_mode']}, "
            f"candidate {candidate.results['prompt_mode']}"
        )
    for name, base in baseline.use_cases.items():
        if name not in candidate.use_cases:
            raise GateInputError(f"use case {name} is in the baseline but not in the candidate run")
        cand = candidate.use_cases[name]
        for key in ("task_version", "config_sha256", "num_fewshot", "generation", "data_sha256"):
            if base.get(key) != cand.get(key):
                raise GateInputError(
                    f"use case {name}: {key} differs (baseline {base.get(key)!r}, "
                    f"candidate {cand.get(key)!r})"
                )
        base_items = {s["doc_hash"] for s in baseline.samples(name)}
        cand_items = {s["doc_hash"] for s in candidate.samples(name)}
        if base_items != cand_items:
            raise GateInputError(
                f"use case {name}: the runs scored different items ({len(base_items)} in the "
                f"baseline, {len(cand_items)} in the candidate, "
                f"{len(base_items & cand_items)} shared)"
            )


def _losses(
    pairs: list, base_item: np.ndarray, cand_item: np.ndarray, name: str, run: StoredRun
) -> tuple:
    loss = base_item - cand_item
    order = [int(i) for i in np.argsort(-loss, kind="stable") if loss[i] > 0][:LOSSES_SHOWN]
    samples_file = run.use_cases[name]["samples_files"][0]
    return tuple(
        {
            "item_id": pairs[i][0]["item_id"],
            "baseline": float(base_item[i]),
            "candidate": float(cand_item[i]),
            "samples": f"{run.folder}/{samples_file}",
        }
        for i in order
    )


def classify(
    paired: PairedResult, p_adjusted: float, margin: float, min_n: int, alpha: float
) -> tuple[Verdict, str]:
    """The verdict table of the module docstring, for one use case."""
    diff = paired.difference
    significant = p_adjusted < alpha
    if paired.n < min_n:
        return Verdict.INCONCLUSIVE, f"only {paired.n} items (policy min_n {min_n})"
    if significant and diff.ci_low > 0:
        return Verdict.IMPROVED, "significant gain"
    if significant and diff.ci_high < -margin:
        return Verdict.REGRESSION, f"significant drop beyond the allowed {margin:.2f} points"
    if diff.ci_low >= -margin:
        return Verdict.PASS, f"no drop beyond {margin:.2f} points is plausible"
    if diff.ci_high < -margin:
        return Verdict.INCONCLUSIVE, f"a drop, but not significant after Holm (p={p_adjusted:.3g})"
    return Verdict.INCONCLUSIVE, f"the CI straddles the allowed drop of {margin:.2f} points"


def decide(baseline: StoredRun, candidate: StoredRun, policy: GatePolicy) -> GateResult:
    """Compare every use case of the baseline; apply the policy."""
    check_comparable(baseline, candidate)
    partial: dict[str, dict[str, Any]] = {}
    for name, entry in baseline.use_cases.items():
        metric, reducer = entry["primary_metric"], entry.get("primary_reducer", "mean")
        pairs = align_items(baseline.samples(name), candidate.samples(name))
        stats_b = item_statistics([b["scores"][metric] for b, _ in pairs])
        stats_c = item_statistics([c["scores"][metric] for _, c in pairs])
        paired = paired_test(stats_b, stats_c, reducer, confidence=policy.confidence)
        base_est = bootstrap_ci(stats_b, reducer, confidence=policy.confidence)
        se = (paired.difference.ci_high - paired.difference.ci_low) / (
            2 * norm.ppf(0.5 + policy.confidence / 2)
        )
        if se == 0:  # identical outputs: judge detectability by two independent runs' noise
            se = (
                np.sqrt(2)
                * (base_est.ci_high - base_est.ci_low)
                / (2 * norm.ppf(0.5 + policy.confidence / 2))
            )
        mdd = float((norm.ppf(1 - policy.alpha / 2) + norm.ppf(POWER)) * se)
        partial[name] = {
            "metric": metric, "paired": paired, "baseline": base_est,
            "candidate": bootstrap_ci(stats_c, reducer, confidence=policy.confidence),
            "mdd": mdd,
            "losses": _losses(pairs, item_scores(stats_b, reducer),
                              item_scores(stats_c, reducer), name, candidate),
        }  # fmt: skip
    adjusted = holm_adjust({name: p["paired"].p_value for name, p in partial.items()})
    verdicts = []
    for name, p in partial.items():
        rule = policy.rule(name)
        margin = rule.margin(p["baseline"].value)
        verdict, reason = classify(p["paired"], adjusted[name], margin, rule.min_n, policy.alpha)
        verdicts.append(
            UseCaseVerdict(
                use_case=name, metric=p["metric"], baseline=p["baseline"], candidate=p["candidate"],
                paired=p["paired"], p_adjusted=adjusted[name], margin=margin,
                required=rule.required,
                verdict=verdict, reason=reason, min_detectable=p["mdd"], biggest_losses=p["losses"],
            )
        )  # fmt: skip
    failed = any(v.fails for v in verdicts) or (
        policy.fail_on_inconclusive
        and any(v.required and v.verdict is Verdict.INCONCLUSIVE for v in verdicts)
    )
    return GateResult(tuple(verdicts), not failed, policy, baseline, candidate)
