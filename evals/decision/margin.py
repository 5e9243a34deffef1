"""One use case's decision against an allowed drop m: the statistic (the paired difference
tested at Δ₀ = −m both ways and at 0), Holm's step-down across the use cases of one gate, and
the verdict table of :mod:`evals.gate.decide` with the reason each verdict prints. Every bound a
verdict prints is the bound of the test that made it, at the level it used."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from evals.decision.multiple import holm_adjust, holm_levels
from evals.decision.paired import PairedDifference
from evals.decision.power import POWER, power_at, z_sum


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

    design_se: float | None = None
    """The standard error of Δ̂ this design is planned with (:func:`planning_se`: the policy's
    planning discordance or the baseline's noise, never the candidate's), which power and the
    minimum detectable drop use; None (a test built alone): :attr:`null_se`."""

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
    def planned_se(self) -> float:
        """The standard error power is computed with: :attr:`design_se`, else :attr:`null_se`."""
        return self.null_se if self.design_se is None else self.design_se

    @property
    def power_no_change(self) -> float:
        """Probability of showing non-inferiority (PASS) if nothing changed (Δ = 0), for this
        design (n, margin, planned noise): the same for every candidate."""
        return power_at(self.margin, self.planned_se, self.alpha)

    def min_detectable_drop(self, comparisons: int) -> float:
        """The true drop flagged as REGRESSION with 80% power: m + (z₁₋α/k + z₀.₈)·se, with
        the first Holm step's level α/k (the most demanding) for k compared use cases."""
        return self.margin + z_sum(self.alpha / max(1, comparisons), POWER) * self.planned_se

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
            "design_se": self.planned_se,
            "power_no_change": self.power_no_change,
            "min_detectable_drop": self.min_detectable_drop(comparisons),
        }


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
    design_se: float | None = None,
) -> MarginTest:
    """The decision statistic of one use case (alone in its Holm family unless the adjusted
    p-value and level are given; ``design_se``: the planned standard error, see
    :attr:`MarginTest.design_se`)."""
    p_regression = diff.p_value(-margin, "less")
    return MarginTest(
        difference=diff,
        margin=margin,
        alpha=alpha,
        holm_level=alpha if holm_level is None else holm_level,
        p_regression=p_regression,
        p_regression_holm=p_regression if p_regression_holm is None else p_regression_holm,
        p_noninferior=diff.p_value(-margin, "greater"),
        p_superior=diff.p_value(0.0, "greater"),
        design_se=design_se,
    )


def holm_margin_tests(
    family: dict[str, tuple[PairedDifference, float]],
    alpha: float,
    design_se: dict[str, float] | None = None,
) -> dict[str, MarginTest]:
    """The decision statistic of every use case of one gate (``{name: (Δ, allowed drop)}``):
    the regression p-values Holm-adjusted across them, each upper bound at the level Holm's
    step-down decided that use case at (:func:`evals.decision.multiple.holm_levels`), so the
    verdict, the adjusted p-value and the printed bound agree."""
    p_values = {name: diff.p_value(-margin, "less") for name, (diff, margin) in family.items()}
    adjusted = holm_adjust(p_values)
    levels = holm_levels(p_values, alpha)
    planned = design_se or {}
    return {
        name: margin_test(
            diff,
            margin,
            alpha,
            p_regression_holm=adjusted[name],
            holm_level=levels[name],
            design_se=planned.get(name),
        )
        for name, (diff, margin) in family.items()
    }
