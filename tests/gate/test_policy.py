"""The gate's policy file: lookup by benchmark then use case, margins in metric units."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.gate.policy import PolicyError, load_policy


def test_rules_are_found_by_benchmark_then_use_case(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "use_cases:\n  default: {max_drop: 3}\n  sentiment: {max_drop: 4}\n"
        "  sst2: {max_drop: 1}\n  mt_bench: {max_drop: 0.25}\n"
    )
    policy = load_policy(path, known={"sentiment", "sst2", "tweet_eval", "mt_bench", "qa"})
    assert policy.rule("sst2", "sentiment").max_drop == 1.0
    assert policy.rule("tweet_eval", "sentiment").max_drop == 4.0
    assert policy.rule("qa", "qa").max_drop == 3.0
    assert policy.rule("mt_bench", "chat").margin(6.5) == 0.25  # rating points, not percent


def test_unknown_names_and_loose_types_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("use_cases:\n  qaa: {max_drop: 1}\n")
    with pytest.raises(PolicyError, match=r"use_cases\.qaa names no use case or benchmark"):
        load_policy(path, known={"qa"})
    path.write_text("fail_on_underpowered: yes please\n")
    with pytest.raises(PolicyError, match="fail_on_underpowered must be true or false"):
        load_policy(path)
    path.write_text("use_cases:\n  qa: {required: 1}\n")
    with pytest.raises(PolicyError, match="required must be true or false"):
        load_policy(path)
    path.write_text("use_cases:\n  qa: {max_relative_drop: 1.5}\n")
    with pytest.raises(PolicyError, match="max_relative_drop in"):
        load_policy(path)


def test_relative_margin_scales_with_the_baseline(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("use_cases:\n  sentiment: {max_relative_drop: 0.05}\n")
    rule = load_policy(path).rule("sst2", "sentiment")
    assert rule.margin(80.0) == pytest.approx(4.0) and rule.margin(0.0) == 0.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("use_cases:\n  default: {max_drop: .nan}\n", "max_drop must be a finite number"),
        ("use_cases:\n  qa: {min_n: .inf}\n", "min_n must be a finite number"),
        ("use_cases:\n  qa: {min_n: -3}\n", "min_n must not be negative"),
        ("use_cases:\n  qa: {max_drop: -0.5}\n", "max_drop must not be negative"),
        ("alpha: .nan\n", "alpha must be a finite number"),
    ],
)
def test_non_finite_or_negative_numbers_are_rejected(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)
    path.write_text("alpha: 0.1\nuse_cases:\n  qa: {max_drop: 0, min_n: 0}\n")
    assert load_policy(path).rule("qa").min_n == 0  # zero is a number a policy may hold
