"""The gate on real run folders made by the tiny model: outputs, exit codes and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from evals.cli import main
from tests.helpers import only_run

# --- real run folders (tiny GPT-2) -------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("gate-runs")
    args = ["eval", "--model", str(tiny_chat_model), "--tasks", "sentiment,qa", "--limit", "40"]
    assert main([*args, "--output", str(runs)]) == 0
    return only_run(runs)


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
    code = gate(
        "--candidate",
        str(tiny_chat_model),
        "--baseline",
        str(baseline_run),
        "--out",
        str(out),
        "--output",
        str(tmp_path / "runs"),
    )
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
    assert summary.startswith(
        "## 🔍 Eval gate: not shown safe (UNDERPOWERED; exit 0: the "
        "policy does not fail on it) — 2 underpowered ("
    )
    assert (
        "> **Underpowered:** sentiment (n=40" in summary
        or "> **Underpowered:** qa (n=40" in summary
    )
    assert "| sentiment | accuracy | 40 |" in summary  # the details table
    assert "[run-diff.html](run-diff.html)" in summary and (out / "run-diff.html").is_file()

    strict = tmp_path / "strict.yaml"
    strict.write_text("fail_on_underpowered: true\n")
    assert (
        gate(
            "--candidate",
            str(baseline_run),
            "--baseline",
            str(baseline_run),
            "--out",
            str(tmp_path / "strict"),
            "--policy",
            str(strict),
        )
        == 1
    )
    wide = tmp_path / "wide.yaml"
    wide.write_text("use_cases:\n  default: {max_drop: 40}\n  sentiment: {max_drop: 40}\n")
    assert (
        gate(
            "--candidate",
            str(baseline_run),
            "--baseline",
            str(baseline_run),
            "--out",
            str(tmp_path / "wide"),
            "--policy",
            str(wide),
        )
        == 0
    )
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
    code = gate(
        "--candidate",
        str(candidate),
        "--baseline",
        str(baseline_run),
        "--out",
        str(out),
        "--policy",
        str(policy),
    )
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
    ("field", "value", "message"),
    [
        (("tasks", "qa", "prompt_mode"), "completion", "tasks.qa.prompt_mode differs"),
        (("tasks", "qa", "version"), "9.9", "tasks.qa.version differs"),
        (("tasks", "qa", "code_sha256"), "0" * 64, "tasks.qa.code_sha256 differs"),
        (
            ("tasks", "sentiment", "generation", "max_gen_toks"),
            4,
            "tasks.sentiment.generation.max_gen_toks differs",
        ),
        (("versions", "lm_eval"), "0.4.0", "versions.lm_eval differs"),
        (None, None, "use case qa: the runs scored different items"),
    ],
)
def test_runs_that_are_not_comparable_are_one_line_exit_2(
    baseline_run: Path,
    tmp_path: Path,
    field: tuple | None,
    value: object,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The run spec decides comparability: a scorer-code change, a prompt mode, a generation
    setting or the lm-eval version each stop the gate, naming the field."""
    candidate = tmp_path / baseline_run.name
    shutil.copytree(baseline_run, candidate)
    if field is None:
        lines = (candidate / "samples_qa.jsonl").read_text().splitlines()
        (candidate / "samples_qa.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    else:
        spec = json.loads((candidate / "run_spec.json").read_text())
        node = spec
        for key in field[:-1]:
            node = node[key]
        node[field[-1]] = value
        (candidate / "run_spec.json").write_text(json.dumps(spec))
    assert (
        gate(
            "--candidate",
            str(candidate),
            "--baseline",
            str(baseline_run),
            "--out",
            str(tmp_path / "g"),
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    if field is not None:
        assert err.endswith(f"to compare anyway: --allow-different {field[-1]}")
        allowed = gate(
            "--candidate",
            str(candidate),
            "--baseline",
            str(baseline_run),
            "--out",
            str(tmp_path / "g2"),
            "--allow-different",
            field[-1],
        )
        assert allowed == 0  # the same outputs: nothing regressed
        verdict = json.loads((tmp_path / "g2" / "gate-verdict.json").read_text())
        assert verdict["allowed_differences"] == [field[-1]]
        assert (
            "Compared although these run-spec fields differ"
            in (tmp_path / "g2" / "gate-summary.md").read_text()
        )


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
    assert (
        gate(
            "--candidate",
            str(baseline_run),
            "--baseline",
            str(baseline_run),
            "--policy",
            str(policy),
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "unknown policy key 'max_dorp'" in err and "\n" not in err


@pytest.mark.parametrize(
    ("value", "message"),
    [("NaN-ish", "has no numeric 'f1' (got 'NaN-ish')"), (None, "has no numeric 'f1' (got None)")],
)
def test_bad_sample_values_are_bad_input_not_a_regression(
    baseline_run: Path,
    tmp_path: Path,
    value: object,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    candidate = tmp_path / baseline_run.name
    shutil.copytree(baseline_run, candidate)
    path = candidate / "samples_qa.jsonl"
    records = [json.loads(line) for line in path.open()]
    if value is None:
        del records[3]["scores"]["f1"]
    else:
        records[3]["scores"]["f1"] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert (
        gate(
            "--candidate",
            str(candidate),
            "--baseline",
            str(baseline_run),
            "--out",
            str(tmp_path / "g"),
        )
        == 2
    )
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
    baseline_run: Path,
    tmp_path: Path,
    policy: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    assert (
        gate(
            "--candidate",
            str(baseline_run),
            "--baseline",
            str(baseline_run),
            "--policy",
            str(path),
            "--out",
            str(tmp_path / "g"),
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_an_internal_error_exits_3_not_1(
    baseline_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bug must never read as a regression in CI."""
    import evals.gate.decide

    def broken(*_: object) -> None:
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(evals.gate.decide, "decide", broken)
    code = gate(
        "--candidate",
        str(baseline_run),
        "--baseline",
        str(baseline_run),
        "--out",
        str(tmp_path / "g"),
    )
    err = capsys.readouterr().err.strip()
    assert code == 3 and "\n" not in err
    assert err.startswith("internal error: ZeroDivisionError: planted bug (traceback: ")
    log = Path(err.rsplit("(traceback: ", 1)[1].rstrip(")"))
    assert "ZeroDivisionError" in log.read_text()
