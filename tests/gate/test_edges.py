"""The gate at its edges, through ``evals gate`` on run folders written here (no model): a drop
the items show fails the gate whatever n is, and a policy number that is not a finite,
non-negative number is bad input (exit 2, one line), never a silent pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.cli import main
from tests.site_helpers import write_run


def _runs(tmp_path: Path, base: list[float], cand: list[float]) -> tuple[Path, Path]:
    root = tmp_path / "runs"
    baseline = write_run(root, "base", {"sentiment": base}, created="2026-01-01T00:00:00Z")
    candidate = write_run(root, "cand", {"sentiment": cand}, created="2026-01-02T00:00:00Z")
    return baseline, candidate


def _gate(baseline: Path, candidate: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "gate",
            "--baseline",
            str(baseline),
            "--candidate",
            str(candidate),
            "--out",
            str(out),
            *extra,
        ]
    )


def test_a_fifty_point_drop_on_16_items_fails_the_gate_under_the_shipped_policy(
    tmp_path: Path,
) -> None:
    """Before: 16 < min_n 20 made it UNDERPOWERED, which the shipped policy lets pass (exit 0)
    although the upper bound lay far below the allowed drop."""
    baseline, candidate = _runs(tmp_path, [100.0] * 16, [100.0] * 8 + [0.0] * 8)
    out = tmp_path / "gate"
    assert _gate(baseline, candidate, out) == 1
    verdict = json.loads((out / "gate-verdict.json").read_text())
    (use_case,) = verdict["use_cases"]
    assert use_case["n"] == 16 and use_case["verdict"] == "REGRESSION"
    assert use_case["test"]["upper_bound"] < -use_case["margin"]
    assert verdict["passed"] is False and verdict["exit_code"] == 1
    assert (out / "gate-summary.md").read_text().startswith("## ❌ Eval gate: FAIL — 1 regression")


def test_too_few_items_with_no_drop_shown_is_not_shown_safe_not_a_pass(tmp_path: Path) -> None:
    """Identical outputs on 16 items: nothing shown either way; exit 0 under the shipped
    policy, but the headline does not read as a pass."""
    baseline, candidate = _runs(tmp_path, [100.0] * 12 + [0.0] * 4, [100.0] * 12 + [0.0] * 4)
    out = tmp_path / "gate"
    assert _gate(baseline, candidate, out) == 0
    summary = (out / "gate-summary.md").read_text()
    title = summary.splitlines()[0]
    assert title.startswith("## 🔍 Eval gate: not shown safe (UNDERPOWERED")
    assert "PASS" not in title


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("use_cases:\n  default: {max_drop: .nan}\n", "max_drop must be a finite number"),
        ("use_cases:\n  default: {max_drop: .inf}\n", "max_drop must be a finite number"),
        ("use_cases:\n  default: {max_drop: -2}\n", "max_drop must not be negative"),
        ("use_cases:\n  default: {min_n: .inf}\n", "min_n must be a finite number"),
        ("use_cases:\n  default: {min_n: -1}\n", "min_n must not be negative"),
        (
            "use_cases:\n  sentiment: {max_relative_drop: .nan}\n",
            "max_relative_drop must be a finite number",
        ),
        ("alpha: .nan\n", "alpha must be a finite number"),
        ("confidence: -.inf\n", "confidence must be a finite number"),
    ],
)
def test_a_policy_number_that_is_not_finite_or_is_negative_is_bad_input(
    tmp_path: Path, policy: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``max_drop: .nan`` turned a 42.5-point REGRESSION at n = 40 into exit 0 and wrote
    NaN into gate-verdict.json; ``min_n: .inf`` was an internal error (exit 3)."""
    baseline, candidate = _runs(tmp_path, [100.0] * 40, [100.0] * 23 + [0.0] * 17)
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    out = tmp_path / "gate"
    assert _gate(baseline, candidate, out, "--policy", str(path)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (out / "gate-verdict.json").exists()


def test_few_clusters_are_named_beside_the_verdict(tmp_path: Path) -> None:
    """48 questions on 2 passages are 2 independent units, whatever n says."""
    from evals.gate.decide import decide
    from evals.gate.policy import GatePolicy
    from evals.gate.simulate import stored_run

    def records(values: list[float], passages: int) -> list[dict]:
        return [
            {
                "doc_hash": f"h{i}",
                "item_id": str(i),
                "scores": {"f1": v},
                "cluster": f"p{i % passages}",
            }
            for i, v in enumerate(values)
        ]

    base = [float(10 * (i % 7)) for i in range(48)]
    cand = [v - (5.0 if i % 3 else 0.0) for i, v in enumerate(base)]
    for passages, noted in ((2, True), (9, True), (10, False), (48, False)):
        runs = [
            stored_run(tmp_path / f"{side}{passages}", "qa", "f1", records(v, passages))
            for side, v in (("b", base), ("c", cand))
        ]
        (verdict,) = decide(*runs, GatePolicy()).verdicts
        # The same words as the table and the pages (stored_run names no unit: "cluster").
        note = f"; few clusters: {passages} clusters for 48 items"
        assert verdict.reason.endswith(note) is noted, verdict.reason
    # Unclustered items are their own units: 6 of them are few too (before: no note).
    six = [
        stored_run(
            tmp_path / f"six{side}",
            "qa",
            "f1",
            [
                {"doc_hash": f"h{i}", "item_id": str(i), "scores": {"f1": v}}
                for i, v in enumerate(values[:6])
            ],
        )
        for side, values in (("b", base), ("c", cand))
    ]
    (verdict,) = decide(*six, GatePolicy()).verdicts
    assert verdict.reason.endswith("; few clusters: 6 items, each its own"), verdict.reason
