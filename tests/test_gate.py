"""The regression gate: statistical behaviour on synthetic scores, decisions on real run
folders made by the tiny model, and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from evals.cli import main
from evals.gate import Verdict, classify
from evals.gate_policy import load_policy
from evals.paired import paired_test
from evals.statistics import item_statistics

SIMULATIONS = 1000
N_ITEMS = 200


def _simulate(shift: float, binary: bool, seed: int, sims: int = SIMULATIONS) -> list[Verdict]:
    """Pairs of runs on the same items; the candidate's per-item quality moved by ``shift``."""
    rng = np.random.default_rng(seed)
    policy = load_policy()
    rule = policy.default
    verdicts = []
    for _ in range(sims):
        quality = rng.beta(4, 2, N_ITEMS)  # per-item difficulty shared by both runs
        if binary:
            base = (rng.random(N_ITEMS) < quality) * 100.0
            cand = (rng.random(N_ITEMS) < np.clip(quality + shift / 100, 0, 1)) * 100.0
        else:
            base = np.clip(100 * quality + rng.normal(0, 8, N_ITEMS), 0, 100)
            cand = np.clip(100 * quality + shift + rng.normal(0, 8, N_ITEMS), 0, 100)
        paired = paired_test(item_statistics(base), item_statistics(cand), iterations=500)
        margin = rule.margin(float(base.mean()))
        verdicts.append(classify(paired, paired.p_value, margin, rule.min_n, policy.alpha)[0])
    return verdicts


@pytest.mark.parametrize("binary", [True, False], ids=["mcnemar", "bootstrap"])
def test_same_distribution_fails_at_most_5_percent(binary: bool) -> None:
    verdicts = _simulate(0.0, binary, seed=11)
    false_alarms = sum(v is Verdict.REGRESSION for v in verdicts) / SIMULATIONS
    print(f"\nfalse-alarm rate ({'McNemar' if binary else 'paired bootstrap'}): {false_alarms:.3f}")
    assert false_alarms <= 0.05


@pytest.mark.parametrize("binary", [True, False], ids=["mcnemar", "bootstrap"])
def test_detection_rate_grows_with_the_shift(binary: bool) -> None:
    rates = {}
    for shift in (5.0, 10.0, 20.0):
        verdicts = _simulate(-shift, binary, seed=12, sims=300)
        rates[shift] = sum(v is Verdict.REGRESSION for v in verdicts) / len(verdicts)
        # Calling a real drop an improvement (a sign error) must stay as rare as chance allows.
        assert sum(v is Verdict.IMPROVED for v in verdicts) / len(verdicts) <= 0.01
    kind = "McNemar" if binary else "paired bootstrap"
    print(f"\ndetection rate at n={N_ITEMS}, allowed drop 2 ({kind}): {rates}")
    assert rates[5.0] <= rates[10.0] <= rates[20.0]
    assert rates[20.0] >= 0.8


def test_verdict_table() -> None:
    same = paired_test(item_statistics([100.0, 0.0] * 20), item_statistics([100.0, 0.0] * 20))
    assert classify(same, same.p_value, 2.0, 20, 0.05)[0] is Verdict.PASS
    assert classify(same, same.p_value, 2.0, 100, 0.05)[0] is Verdict.INCONCLUSIVE
    worse = paired_test(item_statistics([100.0] * 60), item_statistics([0.0] * 60))
    assert worse.test == "mcnemar-exact" and worse.discordant == (60, 0)
    assert classify(worse, worse.p_value, 2.0, 20, 0.05)[0] is Verdict.REGRESSION
    better = paired_test(item_statistics([0.0] * 60), item_statistics([100.0] * 60))
    assert classify(better, better.p_value, 2.0, 20, 0.05)[0] is Verdict.IMPROVED


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


def test_same_model_passes_and_writes_ci_outputs(
    baseline_run: Path, tiny_chat_model: Path, tmp_path: Path
) -> None:
    """The candidate is given as a model spec: evaluated on the baseline's items and settings."""
    out = tmp_path / "gate"
    code = gate("--candidate", str(tiny_chat_model), "--baseline", str(baseline_run),
                "--out", str(out), "--output", str(tmp_path / "runs"))  # fmt: skip
    assert code == 0
    verdict = json.loads((out / "gate-verdict.json").read_text())
    assert verdict["passed"] is True
    assert {u["use_case"]: u["verdict"] for u in verdict["use_cases"]} == {
        "sentiment": "PASS",
        "qa": "PASS",
    }
    for u in verdict["use_cases"]:
        assert u["paired"]["difference"]["value"] == 0.0 and u["paired"]["n"] == 40
        assert 0.0 <= u["min_detectable_difference"] < 100.0
    suite = ET.parse(out / "gate-junit.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    summary = (out / "gate-summary.md").read_text()
    assert "## Eval gate: PASS" in summary and "| sentiment | accuracy |" in summary


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
    assert verdict["qa"]["paired"]["difference"]["value"] == pytest.approx(-base_qa)
    assert verdict["qa"]["biggest_losses"][0]["candidate"] == 0.0
    assert verdict["sentiment"]["verdict"] == "PASS"
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
