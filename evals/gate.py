"""The regression gate: is a candidate fine-tune worse than its baseline by more than allowed?

Per use case, on the items both runs scored, one statistic decides (:mod:`evals.decision`):
the paired difference Δ = candidate − baseline, tested against the policy's allowed drop ``m``
(in the metric's own units: points for percentages, rating points for MT-Bench):

==============  =================================================================================
REGRESSION      Δ < −m shown: one-sided test of H₀: Δ ≥ −m rejected at α after Holm across the
                compared use cases (its upper confidence bound lies below −m)
IMPROVED        Δ > 0 shown (one-sided, α), which implies non-inferiority
PASS            Δ > −m shown: the non-inferiority test (H₀: Δ ≤ −m) rejected at α (its lower
                confidence bound lies above −m)
UNDERPOWERED    neither shown, and these items cannot detect a drop of the allowed size: the
                non-inferiority test would show Δ > −m with < 80% probability even if nothing
                changed (or fewer items than the policy's ``min_n``); never when a drop was
                shown: REGRESSION is checked first, whatever n is
INCONCLUSIVE    neither shown although the items could have: the interval straddles −m
==============  =================================================================================

PASS and IMPROVED need no multiplicity correction: the gate passes only when *every* required
use case passes, an intersection-union test at level α. The p-value, the bound and the verdict
come from the same test, so they cannot disagree. The gate fails on a REGRESSION of a required
use case, and on UNDERPOWERED or INCONCLUSIVE when the policy says so; when the policy lets
them pass (exit 0), the headline says "not shown safe", never PASS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from evals.decision import Estimate, PairedDifference, estimate
from evals.decision.multiple import holm_adjust, holm_levels
from evals.decision.power import POWER, power_at, z_sum
from evals.gate_policy import GatePolicy, UseCaseRule
from evals.pairing import ComparisonError, pair_samples
from evals.run_spec import first_difference
from evals.runs import StoredRun
from evals.statistics import item_scores

LOSSES_SHOWN = 3


GateInputError = ComparisonError
"""The two runs cannot be compared (different items, settings or use cases, or a per-item
score that is not a number): one line, exit 2."""


class Verdict(str, Enum):
    """Outcome for one use case."""

    PASS = "PASS"
    IMPROVED = "IMPROVED"
    REGRESSION = "REGRESSION"
    UNDERPOWERED = "UNDERPOWERED"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class MarginTest:
    """The one decision statistic of a use case: Δ against the allowed drop."""

    difference: PairedDifference
    """Δ = candidate − baseline on the shared items."""

    margin: float
    """Allowed drop ``m`` (metric units)."""

    alpha: float
    """Level of each one-sided test."""

    holm_level: float
    """The level Holm tests this use case's regression claim at (α / (k − rank))."""

    p_regression: float
    """p-value of H₀: Δ ≥ −m (small: a drop beyond the allowed one)."""

    p_regression_holm: float
    """``p_regression`` Holm-adjusted across the compared use cases."""

    p_noninferior: float
    """p-value of H₀: Δ ≤ −m (small: no drop beyond the allowed one)."""

    p_superior: float
    """p-value of H₀: Δ ≤ 0 (small: a gain)."""

    @property
    def upper_bound(self) -> float:
        """Upper confidence bound of Δ at the Holm level: below −m ⇔ REGRESSION."""
        return self.difference.upper_bound(self.holm_level)

    @property
    def lower_bound(self) -> float:
        """One-sided (1 − α) lower bound of Δ: above −m ⇔ non-inferior."""
        return self.difference.lower_bound(self.alpha)

    @property
    def null_se(self) -> float:
        """Standard error of Δ under the null Δ = −m (what the test's power depends on); for a
        zero margin with no differing item, at a drop of one item's full score instead."""
        se = self.difference.null_se(-self.margin)
        if se == 0:
            one_item = self.difference.score_range / max(1, self.difference.units)
            se = self.difference.null_se(-max(self.margin, one_item))
        return se

    @property
    def power_no_change(self) -> float:
        """Probability of showing non-inferiority (PASS) if nothing changed (Δ = 0)."""
        return power_at(self.margin, self.null_se, self.alpha)

    def min_detectable_drop(self, comparisons: int) -> float:
        """The true drop flagged as REGRESSION with 80% power: m + (z₁₋α/k + z₀.₈)·se, with
        the first Holm step's level α/k (the most demanding) for k compared use cases."""
        return self.margin + z_sum(self.alpha / max(1, comparisons), POWER) * self.null_se

    def to_dict(self, comparisons: int) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "statistic": self.difference.method,
            "difference": self.difference.to_dict(),
            "null": -self.margin,
            "p_regression": self.p_regression,
            "p_regression_holm": self.p_regression_holm,
            "holm_level": self.holm_level,
            "upper_bound": self.upper_bound,
            "p_noninferior": self.p_noninferior,
            "lower_bound": self.lower_bound,
            "p_superior": self.p_superior,
            "power_no_change": self.power_no_change,
            "min_detectable_drop": self.min_detectable_drop(comparisons),
        }


@dataclass(frozen=True)
class UseCaseVerdict:
    """The gate's finding for one use case (or benchmark)."""

    use_case: str
    """Use case or benchmark name."""

    metric: str
    """The primary metric compared."""

    baseline: Estimate
    """Baseline score on the shared items."""

    candidate: Estimate
    """Candidate score on the shared items."""

    test: MarginTest
    """The decision statistic."""

    comparisons: int
    """Use cases compared in this gate (Holm's family)."""

    rule: UseCaseRule
    """The policy rule applied."""

    verdict: Verdict
    """The outcome (module docstring)."""

    reason: str
    """One sentence saying why."""

    biggest_losses: tuple[dict[str, Any], ...] = ()
    """Items where the candidate lost most against the baseline."""

    @property
    def n(self) -> int:
        """Shared items compared."""
        return self.test.difference.n

    @property
    def required(self) -> bool:
        """Whether a failing verdict here fails the gate."""
        return self.rule.required

    @property
    def margin(self) -> float:
        """Allowed drop (metric units)."""
        return self.test.margin

    @property
    def min_detectable(self) -> float:
        """The drop flagged with 80% power at this n."""
        return self.test.min_detectable_drop(self.comparisons)

    def fails(self, policy: GatePolicy) -> bool:
        """Whether this use case fails the gate under ``policy``."""
        if not self.required:
            return False
        return (
            self.verdict is Verdict.REGRESSION
            or (self.verdict is Verdict.UNDERPOWERED and policy.fail_on_underpowered)
            or (self.verdict is Verdict.INCONCLUSIVE and policy.fail_on_inconclusive)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "use_case": self.use_case,
            "metric": self.metric,
            "n": self.n,
            "baseline": self.baseline.to_dict(),
            "candidate": self.candidate.to_dict(),
            "test": self.test.to_dict(self.comparisons),
            "margin": self.margin,
            "required": self.required,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "min_detectable_drop": self.min_detectable,
            "biggest_losses": list(self.biggest_losses),
        }


@dataclass(frozen=True)
class GateResult:
    """The whole gate decision."""

    verdicts: tuple[UseCaseVerdict, ...]
    """One per use case compared."""

    policy: GatePolicy
    """The policy applied."""

    baseline: StoredRun
    """Baseline run."""

    candidate: StoredRun
    """Candidate run."""

    allowed_differences: tuple[str, ...] = ()
    """Run-spec fields the user allowed to differ (``--allow-different``)."""

    @property
    def passed(self) -> bool:
        """No required use case fails under the policy."""
        return not any(v.fails(self.policy) for v in self.verdicts)

    @property
    def status(self) -> str:
        """``FAIL``, else the weakest finding: ``UNDERPOWERED``, ``INCONCLUSIVE``, ``PASS``."""
        if not self.passed:
            return "FAIL"
        found = {v.verdict for v in self.verdicts}
        for weak in (Verdict.UNDERPOWERED, Verdict.INCONCLUSIVE):
            if weak in found:
                return weak.value
        return "PASS"

    @property
    def headline(self) -> str:
        """What the summary's title says. Only a gate where every use case showed PASS or
        IMPROVED reads as a pass; UNDERPOWERED and INCONCLUSIVE read "not shown safe" (with the
        exit status the policy gives them), and a REGRESSION is named even where the policy
        lets the gate pass (an optional use case)."""
        if not self.passed:
            return "FAIL"
        found = [v.verdict for v in self.verdicts]
        weak = [w.value for w in (Verdict.UNDERPOWERED, Verdict.INCONCLUSIVE) if w in found]
        regressed = [v.use_case for v in self.verdicts if v.verdict is Verdict.REGRESSION]
        notes = [f"REGRESSION in optional {', '.join(regressed)}"] if regressed else []
        if weak:
            return (f"not shown safe ({', '.join(weak + notes)}; exit 0: the policy does not "
                    "fail on it)")  # fmt: skip
        return f"PASS ({notes[0]})" if notes else "PASS"

    @property
    def exit_code(self) -> int:
        """0 pass, 1 regression (or a policy-failing weak verdict)."""
        return 0 if self.passed else 1


def check_comparable(
    baseline: StoredRun, candidate: StoredRun, allow: tuple[str, ...] = ()
) -> None:
    """Stop with one line naming the first run-spec field (:mod:`evals.run_spec`) on which the
    runs differ — anything but the model — unless ``allow`` names it; then the items."""
    for name in baseline.use_cases:
        if name not in candidate.use_cases:
            raise GateInputError(f"use case {name} is in the baseline but not in the candidate run")
    found = first_difference(baseline.run_spec, candidate.run_spec,
                             tasks=list(baseline.use_cases), allow=allow)  # fmt: skip
    if found is not None:
        field, base, cand = found
        raise GateInputError(
            f"not comparable: {field} differs (baseline {base!r}, candidate {cand!r}); "
            f"to compare anyway: --allow-different {field.rsplit('.', 1)[-1]}"
        )
    for name in baseline.use_cases:
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


def classify(test: MarginTest, n: int, min_n: int) -> tuple[Verdict, str]:
    """The verdict table of the module docstring, for one use case."""
    m, alpha = test.margin, test.alpha
    # A shown regression is reported whatever n is: min_n and power only qualify a failure to
    # show anything, never a drop that the items did show.
    if test.p_regression_holm < alpha:
        return Verdict.REGRESSION, (
            f"drop beyond the allowed {m:g}: upper bound {test.upper_bound:+.2f} < {-m:+g} "
            f"(p={test.p_regression_holm:.3g}, Holm)"
        )
    if n < min_n:
        return Verdict.UNDERPOWERED, f"only {n} items (policy min_n {min_n})"
    if test.p_noninferior < alpha:
        if test.p_superior < alpha:
            return Verdict.IMPROVED, f"gain shown (p={test.p_superior:.3g})"
        return Verdict.PASS, (
            f"no drop beyond {m:g}: lower bound {test.lower_bound:+.2f} > {-m:+g} "
            f"(p={test.p_noninferior:.3g})"
        )
    if test.power_no_change < POWER:
        return Verdict.UNDERPOWERED, (
            f"these items cannot detect a drop of the allowed size: {n} items show "
            f"no drop beyond {m:g} only {100 * test.power_no_change:.0f}% of the time even "
            f"with no change"
        )
    return Verdict.INCONCLUSIVE, (
        f"the interval [{test.lower_bound:+.2f}, {test.upper_bound:+.2f}] straddles the "
        f"allowed drop {-m:+g}"
    )


def margin_test(
    diff: PairedDifference,
    margin: float,
    alpha: float,
    *,
    p_regression_holm: float | None = None,
    holm_level: float | None = None,
) -> MarginTest:
    """The decision statistic of one use case (alone in its Holm family unless the adjusted
    p-value and level are given)."""
    p_regression = diff.p_value(-margin, "less")
    return MarginTest(
        difference=diff, margin=margin, alpha=alpha,
        holm_level=alpha if holm_level is None else holm_level,
        p_regression=p_regression,
        p_regression_holm=p_regression if p_regression_holm is None else p_regression_holm,
        p_noninferior=diff.p_value(-margin, "greater"),
        p_superior=diff.p_value(0.0, "greater"),
    )  # fmt: skip


def holm_margin_tests(
    family: dict[str, tuple[PairedDifference, float]], alpha: float
) -> dict[str, MarginTest]:
    """The decision statistic of every use case of one gate (``{name: (Δ, allowed drop)}``):
    the regression p-values Holm-adjusted across them, each upper bound at the level Holm's
    step-down decided that use case at (:func:`evals.decision.multiple.holm_levels`), so the
    verdict, the adjusted p-value and the printed bound agree."""
    p_values = {name: diff.p_value(-margin, "less") for name, (diff, margin) in family.items()}
    adjusted = holm_adjust(p_values)
    levels = holm_levels(p_values, alpha)
    return {name: margin_test(diff, margin, alpha, p_regression_holm=adjusted[name],
                              holm_level=levels[name])
            for name, (diff, margin) in family.items()}  # fmt: skip


def rule_for(policy: GatePolicy, name: str, entry: dict[str, Any]) -> UseCaseRule:
    """The policy rule of a result: by its own name (``sst2``), else by its use case
    (``sentiment``), else the default."""
    return policy.rule(name, str(entry.get("group") or name))


def decide(
    baseline: StoredRun, candidate: StoredRun, policy: GatePolicy, allow: tuple[str, ...] = ()
) -> GateResult:
    """Compare every use case of the baseline; apply the policy. ``allow``: run-spec fields
    allowed to differ (recorded in the result)."""
    check_comparable(baseline, candidate, allow)
    partial: dict[str, dict[str, Any]] = {}
    for name, entry in baseline.use_cases.items():
        metric, reducer = entry["primary_metric"], entry["primary_reducer"]
        paired = pair_samples(baseline.samples(name), candidate.samples(name), metric, reducer,
                              (f"baseline {name}", f"candidate {name}"))  # fmt: skip
        pairs, stats_b, stats_c = paired.pairs, paired.stats_a, paired.stats_b
        clusters, diff = paired.clusters, paired.difference
        rule = rule_for(policy, name, entry)
        base_est = estimate(stats_b, reducer, clusters=clusters, confidence=policy.confidence)
        margin = rule.margin(base_est.value if base_est.defined else 0.0)
        partial[name] = {
            "metric": metric, "diff": diff, "rule": rule, "margin": margin,
            "baseline": base_est,
            "candidate": estimate(stats_c, reducer, clusters=clusters,
                                  confidence=policy.confidence),
            "losses": _losses(pairs, item_scores(stats_b, reducer),
                              item_scores(stats_c, reducer), name, candidate),
        }  # fmt: skip
    tests = holm_margin_tests({name: (p["diff"], p["margin"]) for name, p in partial.items()},
                              policy.alpha)  # fmt: skip
    verdicts = []
    for name, p in partial.items():
        test = tests[name]
        verdict, reason = classify(test, p["diff"].n, p["rule"].min_n)
        verdicts.append(
            UseCaseVerdict(
                use_case=name, metric=p["metric"], baseline=p["baseline"],
                candidate=p["candidate"], test=test, comparisons=len(partial), rule=p["rule"],
                verdict=verdict, reason=reason, biggest_losses=p["losses"],
            )
        )  # fmt: skip
    return GateResult(tuple(verdicts), policy, baseline, candidate, allow)
