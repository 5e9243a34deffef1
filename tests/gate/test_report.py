"""What the gate writes (evals/gate/report.py) says what the decision said: the JUnit file, the
verdict JSON, the summary's details and the step summary, checked against the GateResult
itself rather than against a stored copy of the text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evals.gate.decide import GateResult, Verdict, decide
from evals.gate.policy import load_policy
from evals.gate.report import (
    default_out_folder,
    gate_verdicts_for_page,
    junit_xml,
    markdown_summary,
    verdict_json,
    write_gate_outputs,
)
from evals.runs.store import load_run
from tests.site_helpers import gate_example_runs


def _result(tmp_path: Path) -> GateResult:
    """sentiment improves, qa regresses on 400 items, ner is unchanged on 40 items."""
    base, cand = gate_example_runs(tmp_path)
    return decide(load_run(base), load_run(cand), load_policy(None))


def test_junit_has_a_case_per_use_case_and_a_failure_exactly_where_the_gate_fails(
    tmp_path: Path,
) -> None:
    result = _result(tmp_path)
    suite = ET.fromstring(junit_xml(result).split("\n", 1)[1])
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert suite.get("name") == "eval-gate" and int(suite.get("tests") or 0) == len(cases) == 3
    failing = {v.use_case for v in result.verdicts if v.fails(result.policy)}
    assert failing == {"qa"} and int(suite.get("failures") or 0) == len(failing)
    for v in result.verdicts:
        case = cases[v.use_case]
        failure, out = case.find("failure"), case.find("system-out")
        assert (failure is not None) == (v.use_case in failing) == (out is None)
        node = failure if failure is not None else out
        assert node is not None and node.text is not None
        assert node.text.startswith(f"{v.verdict.value}: {v.metric} ")
        assert f"allowed drop {v.margin:g}; {v.reason}" in node.text
        assert f"{v.baseline.value:.2f} → {v.candidate.value:.2f}" in node.text
        if failure is not None:
            assert failure.get("type") == v.verdict.value and failure.get("message") == node.text


def test_the_verdict_json_is_the_results_own(tmp_path: Path) -> None:
    result = _result(tmp_path)
    data = verdict_json(result)
    assert (data["passed"], data["status"], data["exit_code"]) == (
        result.passed,
        result.status,
        result.exit_code,
    )
    assert data["passed"] is False and data["exit_code"] == 1
    assert data["policy"] == result.policy.source and data["allowed_differences"] == []
    assert data["baseline"]["folder"] == str(result.baseline.folder)
    assert data["candidate"]["model"] == result.candidate.results.model_dict()
    assert [u["use_case"] for u in data["use_cases"]] == [v.use_case for v in result.verdicts]
    page = gate_verdicts_for_page(result)
    for v in result.verdicts:
        assert page[v.use_case] == {
            "verdict": v.verdict.value,
            "reason": v.reason,
            "lower": v.test.lower_bound,
            "upper": v.test.upper_bound,
            "baseline": v.baseline.value,
            "candidate": v.candidate.value,
        }


def _details_rows(summary: str) -> dict[str, list[str]]:
    details = summary.split("<details>", 1)[1]
    table = details.split("| use case | metric | n |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()[2:]]
    return {row[0].strip(): [cell.strip() for cell in row] for row in rows}


def test_the_details_give_every_statistic_of_each_decision(tmp_path: Path) -> None:
    result = _result(tmp_path)
    summary = markdown_summary(result)
    rows = _details_rows(summary)
    assert set(rows) == {v.use_case for v in result.verdicts}
    for v in result.verdicts:
        row = rows[v.use_case]
        assert row[1] == v.metric and int(row[2]) == v.n
        assert float(row[3]) == pytest.approx(v.margin, abs=0.051)
        assert float(row[4]) == pytest.approx(v.test.p_regression_holm, rel=0.06)
        assert float(row[5]) == pytest.approx(v.test.p_noninferior, rel=0.06)
        assert float(row[6]) == pytest.approx(v.min_detectable, abs=0.051)
        assert row[7] == v.test.difference.method and row[8] == v.reason
    assert f"policy `{Path(result.policy.source).name}`" in summary
    assert f"alpha {result.policy.alpha}" in summary
    assert result.candidate.results.model_fingerprint in summary
    losses = summary.split("Biggest per-item losses", 1)[1].split("\n\nBounds:", 1)[0]
    lost = [line for line in losses.splitlines() if line.startswith("| qa |")]
    (qa,) = [v for v in result.verdicts if v.use_case == "qa"]
    assert len(lost) == len(qa.biggest_losses) > 0
    assert all(line.endswith("| 100.0 | 0.0 |") for line in lost)  # lost items: 100 → 0
    assert summary.rstrip().endswith("</details>")


def test_a_regression_comes_first_and_an_allowed_difference_is_said(tmp_path: Path) -> None:
    result = _result(tmp_path)
    rows = [
        line
        for line in markdown_summary(result).split("<details>")[0].splitlines()
        if line.startswith("| ") and "→" in line and "use case" not in line
    ]
    order = [
        next(v for v in result.verdicts if line.startswith(f"| {v.use_case} |")) for line in rows
    ]
    assert order[0].verdict is Verdict.REGRESSION and len(order) == 3
    allowed = GateResult(
        result.verdicts, result.policy, result.baseline, result.candidate, ("lm_eval",)
    )
    assert "fields differ** (`--allow-different`): lm_eval." in markdown_summary(allowed)
    assert "--allow-different" not in markdown_summary(result)


def test_outputs_are_written_and_appended_to_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _result(tmp_path)
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    paths = write_gate_outputs(result, tmp_path / "out", link_base="https://example.org/a")
    assert all(path.is_file() and path.parent == tmp_path / "out" for path in paths.values())
    summary = paths["markdown"].read_text()
    assert step.read_text() == "earlier step\n" + summary
    assert "(https://example.org/a/run-diff.html)" in summary
    assert json.loads(paths["json"].read_text())["status"] == result.status
    assert ET.fromstring(paths["junit"].read_text().split("\n", 1)[1]).get("failures") == "1"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    write_gate_outputs(result, tmp_path / "again")
    assert step.read_text() == "earlier step\n" + summary  # not appended without the variable
    first = default_out_folder(result, tmp_path / "gate")
    second = default_out_folder(result, tmp_path / "gate")
    assert first.name == f"{result.candidate.folder.name}-vs-{result.baseline.folder.name}"
    assert first != second and first.is_dir() and second.is_dir()


def test_junit_counts_every_failure_and_names_its_suite_and_class(tmp_path: Path) -> None:
    import dataclasses

    result = _result(tmp_path)
    (qa,) = [v for v in result.verdicts if v.use_case == "qa"]
    twice = GateResult(
        (*result.verdicts, dataclasses.replace(qa, use_case="qa-again")),
        result.policy,
        result.baseline,
        result.candidate,
    )
    header, body = junit_xml(twice).split("\n", 1)
    assert header == '<?xml version="1.0" encoding="UTF-8"?>'
    suite = ET.fromstring(body)
    assert suite.tag == "testsuite" and suite.get("failures") == "2" and suite.get("tests") == "4"
    assert {case.get("classname") for case in suite.iter("testcase")} == {"eval-gate"}


def test_outputs_go_to_a_new_nested_folder_under_their_names_and_link_where_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = _result(tmp_path)
    out = tmp_path / "not" / "yet" / "there"
    paths = write_gate_outputs(result, out, link_base="https://example.org/a/")
    assert {k: p.name for k, p in paths.items()} == {
        "markdown": "gate-summary.md",
        "junit": "gate-junit.xml",
        "json": "gate-verdict.json",
        "diff": "run-diff.html",
    }
    assert all(p.is_file() for p in paths.values())
    assert "(https://example.org/a/run-diff.html)" in paths["markdown"].read_text()
    data = json.loads(paths["json"].read_text())
    assert data["baseline"]["model"] == result.baseline.results.model_dict()
    assert data["candidate"]["folder"] == str(result.candidate.folder)


def test_decimals_show_one_items_step_and_no_more() -> None:
    from evals.gate.report import decimals

    for n in [0, 1, 2, 40, 100, 101, 872, *range(990, 1012), 5000, *range(9990, 10012), 10**6]:
        d, step = decimals(n), 100 / max(n, 1)
        assert 1 <= d <= 3, n
        if d < 3:
            assert round(step, d) != 0 and 10**-d <= step * 1.000001, (n, d)  # the step shows
        if d > 1:
            assert 10 ** -(d - 1) > step, (n, d)  # one decimal fewer would hide it


def test_the_headline_counts_each_verdict_and_the_note_names_what_cannot_detect(
    tmp_path: Path,
) -> None:
    import dataclasses

    result = _result(tmp_path)
    by = {v.use_case: v for v in result.verdicts}
    assert {u: v.verdict for u, v in by.items()} == {
        "qa": Verdict.REGRESSION,
        "ner": Verdict.UNDERPOWERED,
        "sentiment": Verdict.IMPROVED,
    }
    lines = markdown_summary(result).splitlines()
    assert lines[0] == (
        "## ❌ Eval gate: FAIL — 1 regression (qa); 1 underpowered (ner); 1 improved (sentiment)"
    )
    ner = by["ner"]
    note = (
        f"> **Underpowered:** ner (n={ner.n}, detects drops ≥ {ner.min_detectable:.1f}): these "
        "items cannot detect a drop of the allowed size, so a pass there would not mean "
        '"no regression": add items (`evals plan`) or widen the allowed drop.'
    )
    assert note in lines
    strict = dataclasses.replace(result.policy, fail_on_underpowered=True)
    failing = markdown_summary(dataclasses.replace(result, policy=strict))
    assert "> **Underpowered and fails the gate (policy fail_on_underpowered):** ner (n=" in failing
    improved = GateResult((by["sentiment"],), result.policy, result.baseline, result.candidate)
    summary = markdown_summary(improved)
    assert summary.splitlines()[0] == "## ✅ Eval gate: PASS — 1 improved (sentiment)"
    assert "Underpowered" not in summary
    two = GateResult(
        (by["sentiment"], dataclasses.replace(by["sentiment"], use_case="a|b\nc")),
        result.policy,
        result.baseline,
        result.candidate,
    )
    first, *rest = markdown_summary(two).splitlines()
    assert first == "## ✅ Eval gate: PASS — 2 improved (sentiment, a\\|b c)"  # one line
    assert any(line.startswith("| a\\|b c |") for line in rest)  # a cell stays one cell
    nothing = GateResult((), result.policy, result.baseline, result.candidate)
    assert markdown_summary(nothing).splitlines()[0].endswith(" — nothing compared")


def _tables(text: str) -> list[list[str]]:
    """Runs of consecutive lines that start a table row ("|"), with the line before each."""
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|") or (
            tables and tables[-1] and previous.startswith("|") and "|" in line
        ):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    return tables


def test_every_table_in_the_summary_is_well_formed_and_the_details_fold(tmp_path: Path) -> None:
    result = _result(tmp_path)
    allowed = GateResult(
        result.verdicts, result.policy, result.baseline, result.candidate, ("lm_eval",)
    )
    for summary in (
        markdown_summary(result),
        markdown_summary(allowed, diff_page="run-diff.html", link_base="https://e.org/g"),
    ):
        tables = _tables(summary)
        assert len(tables) == 3  # the narrow table, the details, the per-item losses
        for table in tables:
            header, rule, *rows = table
            width = header.count(" | ") + 1
            assert header.startswith("| ") and header.endswith(" |")
            assert rule.startswith("|---") and rule.endswith("|") and rule.count("|") == width + 1
            for row in rows:
                assert row.startswith("| ") and row.endswith(" |") and row.count(" | ") + 1 == width
        assert tables[0][0] == "| use case | baseline → candidate | Δ [bounds] | verdict |"
        assert tables[1][0] == (
            "| use case | metric | n | allowed drop | p regression (Holm) | p no-drop "
            "| min. detectable drop | test | reason |"
        )
        assert tables[2][0] == "| use case | item | baseline | candidate |"
        assert (
            summary.count("<details><summary>Details: tests, allowed drops, reasons</summary>") == 1
        )
        bounds = summary.split("\n\nBounds: ", 1)[1].split("\n\n", 1)[0]
        assert bounds.startswith("the lower bound of the no-drop test (level alpha) and the upper")
        assert (
            "(at its Holm level); REGRESSION when the upper bound is below minus the allowed "
            "drop, PASS when the lower bound is above it." in bounds.replace("\n", " ")
        )
        assert bounds.replace("\n", " ").endswith("the true drop these items flag with 80% power.")
    linked = markdown_summary(allowed, diff_page="run-diff.html", link_base="https://e.org/g")
    assert "word diff: [run-diff.html](https://e.org/g/run-diff.html)" in linked
    assert "(each on [run-diff.html](https://e.org/g/run-diff.html))" in linked
    assert (
        "**Compared although these run-spec fields differ** (`--allow-different`): lm_eval."
        in linked
    )
