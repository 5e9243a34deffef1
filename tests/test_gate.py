"""The regression gate: statistical behaviour on synthetic scores, decisions on real run
folders made by the tiny model, and bad input."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from scipy.stats import binomtest, kstest, norm

from evals.cli import main
from evals.decision import holm_adjust, paired_difference
from evals.gate import Verdict, classify, margin_test
from evals.statistics import item_statistics

SIMULATIONS = 2000
N_ITEMS = 200
MARGIN = 2.0
ALPHA = 0.05


def _pairs(rng: np.random.Generator, delta: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A baseline and a candidate on the same items whose true difference is ``delta``."""
    if kind == "pass-fail":  # 70% accuracy; 15% of items flip between the two runs
        flips = 0.15
        p_only_a, p_only_b = (flips - delta / 100) / 2, (flips + delta / 100) / 2
        u = rng.random(N_ITEMS)
        only_a, only_b = u < p_only_a, (u >= p_only_a) & (u < p_only_a + p_only_b)
        both = ~only_a & ~only_b & (rng.random(N_ITEMS) < 0.62)
        base = np.where(only_a | both, 100.0, 0.0)
        cand = np.where(only_b | both, 100.0, 0.0)
    else:  # ROUGE-like scores with per-item difficulty shared by both runs
        quality = 100 * rng.beta(4, 2, N_ITEMS)
        base = quality + rng.normal(0, 8, N_ITEMS)
        cand = quality + delta + rng.normal(0, 8, N_ITEMS)
    return item_statistics(list(base)), item_statistics(list(cand))


def _simulate(delta: float, kind: str, seed: int, sims: int = SIMULATIONS) -> list:
    rng = np.random.default_rng(seed)
    tests = []
    for _ in range(sims):
        base, cand = _pairs(rng, delta, kind)
        tests.append(margin_test(paired_difference(base, cand), MARGIN, ALPHA))
    return tests


@pytest.mark.parametrize("kind", ["pass-fail", "continuous"])
def test_regression_rate_at_the_margin_is_at_most_alpha_and_at_least_half(kind: str) -> None:
    """A true drop exactly equal to the allowed one: the boundary of the REGRESSION claim.

    The claim is about a probability, so it is checked as one: the observed count of 4,000
    simulations must not be significantly above α (one-sided binomial test at 1%; for the
    continuous case the t-test is exact, so its rate *is* α and a bare "observed ≤ α" would
    fail half the seeds), and must be at least α/2 (not needlessly conservative)."""
    sims = 4000
    tests = _simulate(-MARGIN, kind, seed=21, sims=sims)
    flagged = sum(classify(t, N_ITEMS, 20)[0] is Verdict.REGRESSION for t in tests)
    print(f"\nP(REGRESSION | drop = margin), {kind}: {flagged / sims:.4f}")
    assert binomtest(flagged, sims, ALPHA, alternative="greater").pvalue > 0.01
    assert flagged / sims >= ALPHA / 2


def test_p_values_at_the_margin_are_uniform() -> None:
    tests = _simulate(-MARGIN, "continuous", seed=22)
    p_values = [t.p_regression for t in tests]
    result = kstest(p_values, "uniform")
    print(f"\nKS test of p-values at the margin: D={result.statistic:.4f}, p={result.pvalue:.3f}")
    assert result.pvalue > 0.01


@pytest.mark.parametrize("kind", ["pass-fail", "continuous"])
def test_power_two_standard_errors_past_the_margin(kind: str) -> None:
    se = np.median([t.null_se for t in _simulate(-MARGIN, kind, seed=23, sims=200)])
    tests = _simulate(-(MARGIN + 2 * se), kind, seed=24, sims=1000)
    power = np.mean([classify(t, N_ITEMS, 20)[0] is Verdict.REGRESSION for t in tests])
    print(f"\npower at margin + 2·se ({MARGIN + 2 * se:.2f} points), {kind}: {power:.3f}")
    assert power >= 0.5


def test_no_change_at_n_200_says_underpowered_not_inconclusive() -> None:
    """The old gate: INCONCLUSIVE 91.7%, PASS 5.4%. The items cannot show 'within 2 points'."""
    tests = _simulate(0.0, "pass-fail", seed=25, sims=1000)
    verdicts = [classify(t, N_ITEMS, 20)[0] for t in tests]
    shares = {v.value: verdicts.count(v) / len(verdicts) for v in Verdict}
    print(f"\nverdicts under no change (pass/fail, n=200, margin 2): {shares}")
    assert shares["UNDERPOWERED"] >= 0.75 and shares["INCONCLUSIVE"] <= 0.01
    assert shares["REGRESSION"] <= ALPHA and shares["IMPROVED"] <= ALPHA


def test_one_statistic_interval_p_value_and_verdict_agree() -> None:
    rng = np.random.default_rng(26)
    for kind in ("pass-fail", "continuous"):
        for delta in (-10.0, -4.0, -2.0, 0.0, 3.0):
            base, cand = _pairs(rng, delta, kind)
            test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
            verdict = classify(test, N_ITEMS, 20)[0]
            assert (verdict is Verdict.REGRESSION) == (test.upper_bound < -MARGIN)
            assert (verdict in (Verdict.PASS, Verdict.IMPROVED)) == (test.lower_bound > -MARGIN)


def test_five_discordant_items_at_n_40_is_one_consistent_verdict() -> None:
    """Before: CI wholly below −2, exact McNemar p=0.0625, verdict INCONCLUSIVE (Holm)."""
    base = item_statistics([100.0] * 25 + [0.0] * 15)
    cand = item_statistics([0.0] * 5 + [100.0] * 20 + [0.0] * 15)
    test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
    verdict, reason = classify(test, 40, 20)
    assert test.difference.value == -12.5
    assert verdict is Verdict.REGRESSION and test.upper_bound < -MARGIN
    assert test.p_regression < ALPHA and "Holm" in reason


def test_large_observed_drop_on_few_items_says_underpowered() -> None:
    """Before: −10 with CI [−20, −1.5] on 40 items passed silently (exit 0). Four items lost,
    none gained: not enough to show a drop beyond 2 points, and not enough to rule one out."""
    base = item_statistics([100.0] * 30 + [0.0] * 10)
    cand = item_statistics([0.0] * 4 + [100.0] * 26 + [0.0] * 10)
    test = margin_test(paired_difference(base, cand), MARGIN, ALPHA)
    assert test.difference.value == pytest.approx(-10.0)
    verdict, reason = classify(test, 40, 20)
    assert verdict is Verdict.UNDERPOWERED
    assert reason.startswith("these items cannot detect a drop of the allowed size")


def test_holm_adjusts_across_use_cases() -> None:
    assert holm_adjust({"a": 0.03, "b": 0.04}) == {"a": 0.06, "b": 0.06}
    assert holm_adjust({"a": 0.01, "b": 0.04, "c": 0.03}) == pytest.approx(
        {"a": 0.03, "c": 0.06, "b": 0.06}
    )
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(3), -6.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    assert test.p_regression < ALPHA
    held = replace(test, p_regression_holm=0.06)
    assert classify(held, N_ITEMS, 20)[0] is not Verdict.REGRESSION


def test_minimum_detectable_drop_includes_the_margin() -> None:
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(4), 0.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    one = test.min_detectable_drop(1)
    assert one == pytest.approx(MARGIN + (norm.ppf(0.95) + norm.ppf(0.8)) * test.null_se)
    assert test.min_detectable_drop(3) > one  # Holm's first step is stricter


def test_too_few_items_is_underpowered() -> None:
    test = margin_test(paired_difference(*_pairs(np.random.default_rng(5), 0.0, "continuous")),
                       MARGIN, ALPHA)  # fmt: skip
    assert classify(test, 10, 20) == (Verdict.UNDERPOWERED, "only 10 items (policy min_n 20)")


# --- real run folders (tiny GPT-2) -------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("gate-runs")
    args = ["eval", "--model", str(tiny_chat_model), "--tasks", "sentiment,qa", "--limit", "40"]
    assert main([*args, "--output", str(runs)]) == 0
    (folder,) = [p for p in runs.glob("*/*") if p.is_dir()]
    return folder


def gate(*args: str) -> int:
    return main(["gate", *args])


def test_same_model_without_cache_is_deterministic_and_writes_ci_outputs(
    baseline_run: Path, tiny_chat_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The candidate is given as a model spec and evaluated again with the request cache off,
    so equal outputs come from the model, not from a replay. Identical outputs on 40 items
    cannot rule out a drop of 2 points (or 5% of the score): UNDERPOWERED, which passes by
    default, fails under ``fail_on_underpowered``, and turns into PASS with a wider margin."""
    monkeypatch.setenv("EVALS_REQUEST_CACHE", "off")
    out = tmp_path / "gate"
    code = gate("--candidate", str(tiny_chat_model), "--baseline", str(baseline_run),
                "--out", str(out), "--output", str(tmp_path / "runs"))  # fmt: skip
    assert code == 0
    verdict = json.loads((out / "gate-verdict.json").read_text())
    assert verdict["passed"] is True and verdict["status"] == "UNDERPOWERED"
    assert {u["use_case"]: u["verdict"] for u in verdict["use_cases"]} == {
        "sentiment": "UNDERPOWERED",
        "qa": "UNDERPOWERED",
    }
    for u in verdict["use_cases"]:
        assert u["test"]["difference"]["value"] == 0.0 and u["n"] == 40
        assert u["min_detectable_drop"] > u["margin"]
    fresh = json.loads(next((tmp_path / "runs").glob("*/*/results.json")).read_text())
    assert not (fresh["requests"] or {}).get("from_cache")  # nothing was replayed
    suite = ET.parse(out / "gate-junit.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    summary = (out / "gate-summary.md").read_text()
    assert summary.startswith("## Eval gate: UNDERPOWERED\n\n> **UNDERPOWERED")
    assert "| sentiment | accuracy | 40 |" in summary

    strict = tmp_path / "strict.yaml"
    strict.write_text("fail_on_underpowered: true\n")
    assert gate("--candidate", str(baseline_run), "--baseline", str(baseline_run),
                "--out", str(tmp_path / "strict"), "--policy", str(strict)) == 1  # fmt: skip
    wide = tmp_path / "wide.yaml"
    wide.write_text("use_cases:\n  default: {max_drop: 40}\n  sentiment: {max_drop: 40}\n")
    assert gate("--candidate", str(baseline_run), "--baseline", str(baseline_run),
                "--out", str(tmp_path / "wide"), "--policy", str(wide)) == 0  # fmt: skip
    wide_verdict = json.loads((tmp_path / "wide" / "gate-verdict.json").read_text())
    assert wide_verdict["status"] == "PASS"
    assert {u["verdict"] for u in wide_verdict["use_cases"]} == {"PASS"}


def test_degraded_outputs_are_a_regression(baseline_run: Path, tmp_path: Path) -> None:
    """The candidate's QA answers are all wrong, item by item: a real, large drop. (The tiny
    model answers nothing, which the SQuAD v2 rule scores right on the unanswerable quarter.)"""
    candidate = tmp_path / "cand" / baseline_run.name
    shutil.copytree(baseline_run, candidate)
    results = json.loads((candidate / "results.json").read_text())
    samples_path = candidate / "samples_qa.jsonl"
    records = [json.loads(line) for line in samples_path.open()]
    for r in records:  # a model whose every answer is wrong
        r["scores"]["f1"] = r["scores"]["exact_match"] = 0.0
    samples_path.write_text("".join(json.dumps(r) + "\n" for r in records))
    base_qa = results["use_cases"]["qa"]["primary"]["value"]
    assert base_qa >= 15.0  # precondition: there is something to lose
    results["model"]["fingerprint"] = "degraded"
    (candidate / "results.json").write_text(json.dumps(results))
    out = tmp_path / "gate"
    policy = tmp_path / "policy.yaml"
    policy.write_text("use_cases:\n  default: {max_drop: 1.0, min_n: 10}\n")
    code = gate("--candidate", str(candidate), "--baseline", str(baseline_run),
                "--out", str(out), "--policy", str(policy))  # fmt: skip
    outcome = json.loads((out / "gate-verdict.json").read_text())
    verdict = {u["use_case"]: u for u in outcome["use_cases"]}
    assert code == 1 and outcome["passed"] is False
    assert verdict["qa"]["verdict"] == "REGRESSION"
    assert verdict["qa"]["test"]["difference"]["value"] == pytest.approx(-base_qa)
    assert verdict["qa"]["biggest_losses"][0]["candidate"] == 0.0
    assert verdict["sentiment"]["verdict"] == "UNDERPOWERED"
    suite = ET.parse(out / "gate-junit.xml").getroot()
    assert suite.get("failures") == "1"
    failure = suite.find("testcase[@name='qa']/failure")
    assert failure is not None and "REGRESSION" in failure.get("message", "")
    assert "❌ REGRESSION" in (out / "gate-summary.md").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("prompt_mode", "prompt mode differs"),
        ("task_version", "use case qa: task_version differs"),
        ("items", "use case qa: the runs scored different items"),
    ],
)
def test_mismatched_runs_are_one_line_exit_2(
    baseline_run: Path,
    tmp_path: Path,
    change: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    candidate = tmp_path / baseline_run.name
    shutil.copytree(baseline_run, candidate)
    results = json.loads((candidate / "results.json").read_text())
    if change == "prompt_mode":
        results["prompt_mode"] = "completion"
    elif change == "task_version":
        results["use_cases"]["qa"]["task_version"] = "2.0"
    else:
        lines = (candidate / "samples_qa.jsonl").read_text().splitlines()
        (candidate / "samples_qa.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    (candidate / "results.json").write_text(json.dumps(results))
    assert gate("--candidate", str(candidate), "--baseline", str(baseline_run),
                "--out", str(tmp_path / "g")) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_bad_gate_input_is_one_line_exit_2(
    baseline_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "runs" / "x" / "20260101T000000Z"
    assert gate("--candidate", str(missing), "--baseline", str(baseline_run)) == 2
    assert capsys.readouterr().err.strip() == f"error: run folder not found: {missing}"

    corrupt = tmp_path / "corrupt"
    shutil.copytree(baseline_run, corrupt)
    (corrupt / "results.json").write_text('{"model": ')
    assert gate("--candidate", str(corrupt), "--baseline", str(baseline_run)) == 2
    assert "results.json is corrupt" in capsys.readouterr().err

    policy = tmp_path / "p.yaml"
    policy.write_text("use_cases:\n  qa: {max_dorp: 1}\n")
    assert gate("--candidate", str(baseline_run), "--baseline", str(baseline_run),
                "--policy", str(policy)) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert "unknown policy key 'max_dorp'" in err and "\n" not in err


@pytest.mark.parametrize(
    ("value", "message"),
    [("NaN-ish", "has no numeric 'f1' (got 'NaN-ish')"), (None, "has no numeric 'f1' (got None)")],
)
def test_bad_sample_values_are_bad_input_not_a_regression(
    baseline_run: Path, tmp_path: Path, value: object, message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    candidate = tmp_path / baseline_run.name
    shutil.copytree(baseline_run, candidate)
    path = candidate / "samples_qa.jsonl"
    records = [json.loads(line) for line in path.open()]
    if value is None:
        del records[3]["scores"]["f1"]
    else:
        records[3]["scores"]["f1"] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert gate("--candidate", str(candidate), "--baseline", str(baseline_run),
                "--out", str(tmp_path / "g")) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: candidate qa: item ") and message in err and "\n" not in err


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('fail_on_inconclusive: "false"\n', "fail_on_inconclusive must be true or false"),
        ("use_cases:\n  qaa: {max_drop: 1}\n", "use_cases.qaa names no use case or benchmark"),
        ("use_cases:\n  qa: {min_n: 1.5}\n", "min_n must be a whole number"),
        ("use_cases:\n  qa: {max_drop: ten}\n", "max_drop must be a number"),
        ("alpha: 2\n", "alpha and confidence must be between 0 and 1"),
    ],
)
def test_policy_values_are_checked(
    baseline_run: Path, tmp_path: Path, policy: str, message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    assert gate("--candidate", str(baseline_run), "--baseline", str(baseline_run),
                "--policy", str(path), "--out", str(tmp_path / "g")) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_rules_are_found_by_benchmark_then_use_case(tmp_path: Path) -> None:
    from evals.gate_policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text("use_cases:\n  default: {max_drop: 3}\n  sentiment: {max_drop: 4}\n"
                    "  sst2: {max_drop: 1}\n  mt_bench: {max_drop: 0.25}\n")  # fmt: skip
    policy = load_policy(path, known={"sentiment", "sst2", "tweet_eval", "mt_bench", "qa"})
    assert policy.rule("sst2", "sentiment").max_drop == 1.0
    assert policy.rule("tweet_eval", "sentiment").max_drop == 4.0
    assert policy.rule("qa", "qa").max_drop == 3.0
    assert policy.rule("mt_bench", "chat").margin(6.5) == 0.25  # rating points, not percent


def test_an_internal_error_exits_3_not_1(
    baseline_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A bug must never read as a regression in CI."""
    import evals.gate

    def broken(*_: object) -> None:
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(evals.gate, "decide", broken)
    code = gate("--candidate", str(baseline_run), "--baseline", str(baseline_run),
                "--out", str(tmp_path / "g"))  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 3 and "\n" not in err
    assert err.startswith("internal error: ZeroDivisionError: planted bug (traceback: ")
    log = Path(err.rsplit("(traceback: ", 1)[1].rstrip(")"))
    assert "ZeroDivisionError" in log.read_text()
