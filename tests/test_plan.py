"""``evals plan`` against simulation: the items it recommends give the stated power when the
comparison is run (the gate through :func:`evals.gate.decide.decide`; a matrix row through the
two-sided paired test), and its default discordance is the true worst case."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from evals.decision import paired_difference
from evals.decision.power import paired_proportion_se
from evals.errors import EvalsError
from evals.gate.decide import Verdict, decide
from evals.gate.policy import GatePolicy, UseCaseRule
from evals.gate.simulate import stored_run
from evals.plan import plan_assumed, plan_measured
from evals.statistics import item_statistics


def _pass_fail(rng: np.random.Generator, n: int, only_a: float, only_b: float) -> tuple:
    """Items right for a only (share ``only_a``), b only, else both right or both wrong."""
    u = rng.random(n)
    a_only, b_only = u < only_a, (u >= only_a) & (u < only_a + only_b)
    both = ~a_only & ~b_only & (rng.random(n) < 0.7)
    return np.where(a_only | both, 100.0, 0.0), np.where(b_only | both, 100.0, 0.0)


@pytest.mark.parametrize(("rate", "share"), [(70.0, 0.6), (90.0, 0.2), (50.0, 1.0), (20.0, 0.4)])
def test_the_default_discordance_is_the_worst_case(rate: float, share: float) -> None:
    """Two systems that both score p can differ on at most 2·min(p, 1 − p) of the items (not
    2p(1 − p), the unrelated-errors figure: 43% fewer items at 70%)."""
    line = plan_assumed(gap=10.0, rate=rate, discordance=None)
    stated = plan_assumed(gap=10.0, rate=rate, discordance=share)
    assert line.items == stated.items
    assert f"{100 * share:.0f}% of items differing (the worst case" in line.basis
    unrelated = plan_assumed(gap=10.0, rate=rate, discordance=2 * rate / 100 * (1 - rate / 100))
    assert unrelated.items is not None and line.items is not None
    assert line.items >= unrelated.items


def test_bad_plan_input_is_named() -> None:
    with pytest.raises(EvalsError, match="--rate must be between 0 and 100"):
        plan_assumed(gap=10.0, rate=100.0, discordance=None)
    with pytest.raises(EvalsError, match="--discordance must be in"):
        plan_assumed(gap=10.0, rate=70.0, discordance=1.5)


@pytest.mark.simulation
def test_a_matrix_plan_gives_its_power_two_sided() -> None:
    """A true gap of 10 points, 30% of items differing: the planned n finds it (two-sided,
    α = 0.05) about 80% of the time. A one-sided plan (186 items, not 236) would find it 72%
    of the time, which 600 simulations tell apart."""
    line = plan_assumed(gap=10.0, rate=70.0, discordance=0.3)
    assert line.items is not None and "two-sided" in line.what
    rng = np.random.default_rng(40)
    sims = 600
    found = 0
    for _ in range(sims):
        a, b = _pass_fail(rng, line.items, 0.10, 0.20)
        diff = paired_difference(item_statistics(list(a)), item_statistics(list(b)))
        found += diff.p_value(0.0, "two-sided") < 0.05
    print(f"\nmatrix plan: n={line.items}, power {found / sims:.3f}")
    assert binomtest(found, sims, 0.8).pvalue > 0.01


@pytest.mark.simulation
def test_a_gate_plan_gives_its_power_through_decide(tmp_path: Path) -> None:
    """No change, 15% of items differing, allowed drop 5: at the planned n the gate shows the
    candidate within the allowed drop (PASS or IMPROVED) about 80% of the time, and the
    design's own power figure says so too."""
    line = plan_assumed(gap=10.0, rate=70.0, discordance=0.15, margin=5.0)
    assert line.items is not None and "one-sided" in line.what
    rng = np.random.default_rng(41)
    policy = GatePolicy(default=UseCaseRule(max_drop=5.0, planning_discordance=0.15))
    sims = 300
    shown = 0
    for _ in range(sims):
        a, b = _pass_fail(rng, line.items, 0.075, 0.075)
        records = [
            [
                {"doc_hash": f"h{i}", "item_id": str(i), "scores": {"accuracy": v}}
                for i, v in enumerate(side)
            ]
            for side in (a, b)
        ]
        (verdict,) = decide(
            stored_run(tmp_path / "a", "sentiment", "accuracy", records[0]),
            stored_run(tmp_path / "b", "sentiment", "accuracy", records[1]),
            policy,
        ).verdicts
        shown += verdict.verdict in (Verdict.PASS, Verdict.IMPROVED)
        assert verdict.test.power_no_change == pytest.approx(0.8, abs=0.01)
    print(f"\ngate plan: n={line.items}, P(PASS) {shown / sims:.3f}")
    assert binomtest(shown, sims, 0.8).pvalue > 0.01


@pytest.mark.parametrize("margin", [None, 2.0])
@pytest.mark.parametrize("comparisons", [1, 3])
def test_a_measured_plan_agrees_with_the_assumed_one_for_the_same_noise(
    margin: float | None, comparisons: int
) -> None:
    """The se two runs show on n pass/fail items with a share d differing is the se the
    assumed plan uses for d: both plans must then ask for the same items, whatever n was."""
    share = 0.3
    assumed = plan_assumed(
        gap=10, rate=50, discordance=share, comparisons=comparisons, margin=margin
    )
    for n in (40, 400):
        measured = plan_measured(
            se=paired_proportion_se(n, share),
            n=n,
            gap=10,
            comparisons=comparisons,
            margin=margin,
            name="qa",
        )
        assert measured.items is not None and abs(measured.items - assumed.items) <= 1
        assert measured.what == assumed.what
        assert (
            measured.basis
            == f"qa: se {paired_proportion_se(n, share):.2f} measured on {n} shared items"
        )
    noisier = plan_measured(
        se=2 * paired_proportion_se(40, share), n=40, gap=10, comparisons=comparisons, margin=margin
    )
    assert noisier.items is not None and assumed.items is not None
    assert noisier.items >= 4 * assumed.items - 4  # items grow with the variance
    assert plan_measured(se=0.0, n=40, gap=10).items is None  # nothing varies: no number


def test_a_measured_plan_takes_its_power_and_one_comparison_by_default() -> None:
    se, n = paired_proportion_se(100, 0.3), 100
    default = plan_measured(se=se, n=n, gap=10, name="qa")
    assert default == plan_measured(se=se, n=n, gap=10, comparisons=1, power=0.8, name="qa")
    stronger = plan_measured(se=se, n=n, gap=10, power=0.95, name="qa")
    assert default.items is not None and stronger.items is not None
    assert stronger.items > default.items and "95% power" in stronger.what
    assert plan_measured(se=se, n=n, gap=10).basis.startswith(": se ")  # no name: none printed


@pytest.mark.parametrize(
    ("gap", "rate", "share", "comparisons", "margin", "power"),
    [
        (10, 50, None, 1, None, 0.8),
        (10, 70, 0.3, 3, None, 0.8),
        (7, 20, None, 2, None, 0.9),
        (3, 60, 0.15, 4, 2.0, 0.8),  # the gate: one-sided at alpha, Holm does not apply
        (1, 50, None, 1, None, 0.8),  # a gap of one point is a gap
    ],
)
def test_an_assumed_plan_is_the_normal_formula_rounded_up(
    gap: float,
    rate: float,
    share: float | None,
    comparisons: int,
    margin: float | None,
    power: float,
) -> None:
    from scipy.stats import norm

    line = plan_assumed(
        gap=gap, rate=rate, discordance=share, comparisons=comparisons, margin=margin, power=power
    )
    p = rate / 100
    d = share if share is not None else 2 * min(p, 1 - p)
    z = (
        norm.ppf(1 - 0.05) if margin is not None else norm.ppf(1 - 0.05 / comparisons / 2)
    ) + norm.ppf(power)
    exact = (z * 100 * math.sqrt(d) / (margin if margin is not None else gap)) ** 2
    assert line.items == max(2, math.ceil(exact))
    assert f"({100 * power:.0f}% power, " in line.what
    if margin is not None:
        assert line.what.startswith(
            f"gate: show an unchanged candidate within the allowed drop {margin:g}"
        )
        assert "one-sided alpha 0.05" in line.what and "Holm" not in line.what
    else:
        holm = f", Holm over {comparisons}" if comparisons > 1 else ""
        assert line.what.endswith(f"two-sided alpha 0.05{holm})")
    worst = "(the worst case: 2·min(p, 1 − p))" in line.basis
    assert worst == (share is None)
    assert line.basis.startswith(f"pass/fail at {rate:g}%, {100 * d:.0f}% of items differing")


def test_an_assumed_plan_defaults_and_its_smallest_answer() -> None:
    assert plan_assumed(gap=10, rate=50, discordance=None) == plan_assumed(
        gap=10, rate=50, discordance=None, comparisons=1, power=0.8, alpha=0.05
    )
    assert plan_assumed(gap=99, rate=50, discordance=0.01).items == 2  # never fewer than two


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0}, r"^--rate must be between 0 and 100 \(got 0\)$"),
        ({"rate": 100}, r"^--rate must be between 0 and 100 \(got 100\)$"),
        ({"discordance": 0.0}, r"^--discordance must be in \(0, 1\] \(got 0.0\)$"),
        ({"discordance": 1.2}, r"^--discordance must be in \(0, 1\] \(got 1.2\)$"),
        ({"gap": 0}, r"^--gap \(or --margin\) must be positive$"),
        ({"gap": -1}, r"^--gap \(or --margin\) must be positive$"),
        ({"margin": 0.0}, r"^--gap \(or --margin\) must be positive$"),
    ],
)
def test_an_assumed_plan_refuses_what_has_no_answer(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float | None] = {"gap": 10, "rate": 50, "discordance": None}
    with pytest.raises(EvalsError, match=message):
        plan_assumed(**{**args, **kwargs})  # type: ignore[arg-type]
    assert plan_assumed(gap=10, rate=50, discordance=1.0).items is not None  # 1 is allowed
