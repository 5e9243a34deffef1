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
UNDERPOWERED    neither shown, and this design cannot detect a drop of the allowed size: the
                non-inferiority test would show Δ > −m with < 80% probability even if nothing
                changed, planned from n, m and the policy's planning discordance or the
                baseline's noise — never the candidate's, so every candidate against one
                baseline gets the same label (or fewer items than the policy's ``min_n``);
                never when a drop was shown: REGRESSION is checked first, whatever n is
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
from typing import Any

import numpy as np

from evals.decision import Estimate, estimate
from evals.decision.margin import (
    MarginTest,
    Verdict,
    classify,
    holm_margin_tests,
    margin_test,
)
from evals.decision.power import planning_se
from evals.decision.units import few_units_note
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.runs.pairing import ComparisonError, Pair, pair_samples
from evals.runs.spec import first_difference
from evals.runs.store import StoredRun
from evals.statistics import item_scores

__all__ = [
    "GateInputError",
    "GateResult",
    "MarginTest",
    "UseCaseVerdict",
    "Verdict",
    "check_comparable",
    "classify",
    "decide",
    "holm_margin_tests",
    "margin_test",
    "rule_for",
]
"""The verdict table and its statistic live in :mod:`evals.decision.margin`; named here too,
since the gate is where they are used."""

LOSSES_SHOWN = 3


GateInputError = ComparisonError
"""The two runs cannot be compared (different items, settings or use cases, or a per-item
score that is not a number): one line, exit 2."""


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
                return str(weak.value)
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
            return (
                f"not shown safe ({', '.join(weak + notes)}; exit 0: the policy does not "
                "fail on it)"
            )
        return f"PASS ({notes[0]})" if notes else "PASS"

    @property
    def exit_code(self) -> int:
        """0 pass, 1 regression (or a policy-failing weak verdict)."""
        return 0 if self.passed else 1


def check_comparable(
    baseline: StoredRun, candidate: StoredRun, allow: tuple[str, ...] = ()
) -> None:
    """Stop with one line naming the first run-spec field (:mod:`evals.runs.spec`) on which the
    runs differ — anything but the model — unless ``allow`` names it; then the items."""
    for name in baseline.use_cases:
        if name not in candidate.use_cases:
            raise GateInputError(f"use case {name} is in the baseline but not in the candidate run")
    found = first_difference(
        baseline.run_spec, candidate.run_spec, tasks=list(baseline.use_cases), allow=allow
    )
    if found is not None:
        field, base, cand = found
        if field.rsplit(".", 1)[-1] == "limit" or ".sampling" in field:
            # Two limits draw (almost) disjoint samples (evals.runs.limit): allowing this field
            # would only lead to the next sampling field, then to "different items".
            raise GateInputError(
                f"not comparable: {field} differs (baseline {base!r}, candidate {cand!r}); "
                "runs at different LIMITs score different items: evaluate both at the same LIMIT"
            )
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
    pairs: list[Pair],
    base_item: np.ndarray,
    cand_item: np.ndarray,
    name: str,
    run: StoredRun,
) -> tuple[Any, ...]:
    loss = base_item - cand_item
    order = [int(i) for i in np.argsort(-loss, kind="stable") if loss[i] > 0][:LOSSES_SHOWN]
    samples_file = run.use_cases[name].samples_files[0]
    return tuple(
        {
            "item_id": pairs[i][0]["item_id"],
            "baseline": float(base_item[i]),
            "candidate": float(cand_item[i]),
            "samples": f"{run.folder}/{samples_file}",
        }
        for i in order
    )


def rule_for(policy: GatePolicy, name: str, group: str | None) -> UseCaseRule:
    """The policy rule of a result: by its own name (``sst2``), else by its use case
    (``group``: ``sentiment``), else the default."""
    return policy.rule(name, group or name)


def decide(
    baseline: StoredRun, candidate: StoredRun, policy: GatePolicy, allow: tuple[str, ...] = ()
) -> GateResult:
    """Compare every use case of the baseline; apply the policy. ``allow``: run-spec fields
    allowed to differ (recorded in the result)."""
    check_comparable(baseline, candidate, allow)
    partial: dict[str, dict[str, Any]] = {}
    for name, entry in baseline.use_cases.items():
        metric, reducer = entry.primary_metric, entry.primary_reducer
        paired = pair_samples(
            baseline.samples(name),
            candidate.samples(name),
            metric,
            reducer,
            (f"baseline {name}", f"candidate {name}"),
        )
        pairs, stats_b, stats_c = paired.pairs, paired.stats_a, paired.stats_b
        clusters, diff = paired.clusters, paired.difference
        rule = rule_for(policy, name, entry.group)
        base_est = estimate(stats_b, reducer, clusters=clusters, confidence=policy.confidence)
        margin = rule.margin(base_est.value if base_est.defined else 0.0)
        design_se = planning_se(
            stats_b,
            reducer,
            clusters,
            score_range=diff.score_range,
            margin=margin,
            discordance=rule.planning_discordance,
            pass_fail=diff.discordant is not None,
        )
        unit = entry.cluster_unit
        partial[name] = {
            "design_se": design_se,
            "unit": unit,
            "metric": metric,
            "diff": diff,
            "rule": rule,
            "margin": margin,
            "baseline": base_est,
            "candidate": estimate(
                stats_c, reducer, clusters=clusters, confidence=policy.confidence
            ),
            "losses": _losses(
                pairs, item_scores(stats_b, reducer), item_scores(stats_c, reducer), name, candidate
            ),
        }
    tests = holm_margin_tests(
        {name: (p["diff"], p["margin"]) for name, p in partial.items()},
        policy.alpha,
        {name: p["design_se"] for name, p in partial.items()},
    )
    verdicts = []
    for name, p in partial.items():
        test = tests[name]
        verdict, reason = classify(test, p["diff"].n, p["rule"].min_n)
        note = few_units_note(p["diff"].n, p["diff"].units, p["unit"])
        reason += f"; {note}" if note else ""
        verdicts.append(
            UseCaseVerdict(
                use_case=name,
                metric=p["metric"],
                baseline=p["baseline"],
                candidate=p["candidate"],
                test=test,
                comparisons=len(partial),
                rule=p["rule"],
                verdict=verdict,
                reason=reason,
                biggest_losses=p["losses"],
            )
        )
    return GateResult(tuple(verdicts), policy, baseline, candidate, allow)
