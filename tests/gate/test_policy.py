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


_BAD = [
    # (policy text, the whole message after "<path>: ")
    ("[1, 2]\n", "a policy must be a mapping"),
    (
        "alhpa: 0.1\n",
        "unknown policy key 'alhpa' (known: alpha, confidence, "
        "fail_on_inconclusive, fail_on_underpowered, use_cases)",
    ),
    ("use_cases: [qa]\n", "use_cases must be a mapping"),
    ("use_cases:\n  qa: 3\n", "use_cases.qa must be a mapping"),
    (
        "use_cases:\n  default: {maxdrop: 3, zz: 1}\n",
        "use_cases.default: unknown policy key "
        "'maxdrop' (known: max_drop, max_relative_drop, min_n, planning_discordance, required)",
    ),
    ("use_cases:\n  qa: {max_drop: 'two'}\n", "use_cases.qa.max_drop must be a number (got 'two')"),
    ("use_cases:\n  qa: {max_drop: true}\n", "use_cases.qa.max_drop must be a number (got True)"),
    ("use_cases:\n  qa: {min_n: 2.5}\n", "use_cases.qa.min_n must be a whole number (got 2.5)"),
    (
        "use_cases:\n  qa: {planning_discordance: 0}\n",
        "use_cases.qa: planning_discordance must be in (0, 1]",
    ),
    (
        "use_cases:\n  qa: {planning_discordance: 1.01}\n",
        "use_cases.qa: planning_discordance must be in (0, 1]",
    ),
    (
        "use_cases:\n  qa: {planning_discordance: -0.1}\n",
        "use_cases.qa.planning_discordance must not be negative (got -0.1)",
    ),
    (
        "use_cases:\n  qa: {max_relative_drop: 1}\n",
        "use_cases.qa: max_drop must be ≥ 0 and max_relative_drop in [0, 1)",
    ),
    ("alpha: 0\n", "alpha and confidence must be between 0 and 1"),
    ("alpha: 1\n", "alpha and confidence must be between 0 and 1"),
    ("confidence: 0\n", "alpha and confidence must be between 0 and 1"),
    ("confidence: 1\n", "alpha and confidence must be between 0 and 1"),
    ("fail_on_inconclusive: 1\n", "fail_on_inconclusive must be true or false (got 1)"),
]


@pytest.mark.parametrize(("text", "message"), _BAD)
def test_each_bad_policy_gets_its_own_whole_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value) == f"{path}: {message}"


def test_an_unreadable_policy_and_an_unknown_rule_name_say_what_is_known(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError, match=rf"^cannot read policy {missing}: .*No such file"):
        load_policy(missing)
    path = tmp_path / "policy.yaml"
    path.write_text("use_cases:\n  zz: {}\n  aa: {}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path, known={"qa", "ner"})
    assert (
        str(caught.value) == f"{path}: use_cases.aa names no use case or benchmark (known: ner, qa)"
    )


def test_every_setting_is_read_and_the_edges_of_each_range_are_allowed(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "alpha: 0.01\nconfidence: 0.9\nfail_on_inconclusive: true\nfail_on_underpowered: true\n"
        "use_cases:\n  default: {min_n: 5, planning_discordance: 1}\n"
        "  qa: {max_drop: 0, max_relative_drop: 0, required: false}\n"
    )
    policy = load_policy(path)
    assert (policy.alpha, policy.confidence, policy.source) == (0.01, 0.9, str(path))
    assert policy.fail_on_inconclusive is True and policy.fail_on_underpowered is True
    assert (policy.default.min_n, policy.default.planning_discordance) == (5, 1.0)
    qa = policy.rule("qa")
    assert (qa.max_drop, qa.max_relative_drop, qa.required) == (0.0, 0.0, False)
    assert (qa.min_n, qa.planning_discordance) == (5, 1.0)  # the default's, inherited
    path.write_text("use_cases:\n  qa: {planning_discordance: 0.3}\n")
    shipped = load_policy(path)
    assert shipped.rule("qa").planning_discordance == 0.3
    assert shipped.default.planning_discordance is None and shipped.default.min_n == 20
    assert (shipped.alpha, shipped.confidence) == (0.05, 0.95)
    assert shipped.fail_on_inconclusive is False and shipped.fail_on_underpowered is False
    path.write_text("")  # an empty file is the defaults
    assert load_policy(path).default == shipped.default
