"""The objective matrix and the leaderboard page, built from real (tiny-model) runs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from evals.cli import main
from evals.family import load_family
from evals.matrix import Column, build_matrix
from evals.runs import load_run

REPO = Path(__file__).resolve().parent.parent
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module")
def built(
    tiny_chat_model: Path, tiny_base_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    root = tmp_path_factory.mktemp("matrix")
    family = root / "tiny.yaml"
    family.write_text(
        "name: tiny\ntitle: Tiny family\nnote: random weights; a smoke family\n"
        "tasks: sentiment,qa\nlimit: 8\nvariants:\n"
        f"  - model: {tiny_chat_model}\n"
        f"  - model: {tiny_base_model}\n    prompt_modes: [completion]\n"
    )
    args = ["matrix", "--family", str(family), "--output", str(root / "runs"),
            "--reports", str(root / "reports")]  # fmt: skip
    assert main(args) == 0
    return {"root": root, "family": family, "args": args}


def test_matrix_files_and_reuse(built: dict, capsys: pytest.CaptureFixture[str]) -> None:
    reports = built["root"] / "reports"
    matrix = json.loads((reports / "matrix.json").read_text())
    assert [c["key"] for c in matrix["columns"]] == [
        "tiny-gpt2-instruct|chat", "tiny-gpt2|completion"]  # fmt: skip
    assert [r["use_case"] for r in matrix["rows"]] == ["sentiment", "qa"]
    for row in matrix["rows"]:
        assert set(row["cells"]) == {c["key"] for c in matrix["columns"]}
        assert row["paired"]["n"] == 8 and row["agreement"] in {"agrees", "disagrees", "tie"}
        assert (row["winner"] is None) == (row["agreement"] == "tie")
    assert (reports / "matrix.md").read_text().startswith("## Tiny family")
    assert (reports / "site" / "tiny.html").is_file() and (
        reports / "site" / "index.html"
    ).is_file()
    capsys.readouterr()
    assert main(built["args"]) == 0  # nothing new to evaluate
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out


def test_report_rebuilds_without_running_a_model(
    built: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = built["root"] / "reports"
    (reports / "site" / "tiny.html").unlink()
    code = main(["report", "--output", str(built["root"] / "runs"), "--reports", str(reports),
                 "--families", str(built["root"] / "none")])  # fmt: skip
    assert code == 0 and (reports / "site" / "tiny.html").is_file()
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out


def test_adding_a_variant_costs_one_evaluation(
    built: dict, tiny_chat_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    family = built["root"] / "tiny3.yaml"
    text = built["family"].read_text().replace("name: tiny\n", "name: tiny3\n")
    family.write_text(text + f"  - model: {tiny_chat_model}\n    prompt_modes: [completion]\n"
                      "    name: tiny-gpt2-instruct\n")  # fmt: skip
    capsys.readouterr()
    args = ["matrix", "--family", str(family), "--output", str(built["root"] / "runs"),
            "--reports", str(built["root"] / "reports")]  # fmt: skip
    assert main(args) == 0
    assert "evaluated: 1, reused: 2" in capsys.readouterr().out


def _planted_columns(built: dict, tmp_path: Path) -> list[Column]:
    """The two real runs, with the chat column's QA answers all made right: a known winner."""
    runs = sorted(p for p in (built["root"] / "runs").glob("*/*") if p.is_dir())
    columns = []
    for folder in runs[:2]:
        copy = tmp_path / folder.parent.name / folder.name
        shutil.copytree(folder, copy)
        run = load_run(copy)
        mode = run.results["prompt_mode"]
        if mode == "chat":
            path = copy / "samples_qa.jsonl"
            records = [json.loads(line) for line in path.open()]
            for r in records:
                r["scores"]["f1"] = r["scores"]["exact_match"] = 100.0
            records[0]["raw_output"] = HOSTILE
            path.write_text("".join(json.dumps(r) + "\n" for r in records))
            run = load_run(copy)
        objective = run.results["model"]["objective"]
        columns.append(Column(f"{run.variant}|{mode}", run.variant, objective, mode, run))
    return columns


def test_winner_only_when_significant_and_folklore(built: dict, tmp_path: Path) -> None:
    columns = _planted_columns(built, tmp_path)
    matrix = build_matrix(columns, ["sentiment", "qa"])
    qa = next(r for r in matrix["rows"] if r["use_case"] == "qa")
    # 8 items all right vs (almost) all wrong: McNemar p = 2·0.5^k, Holm over two rows.
    assert qa["best"] == "tiny-gpt2-instruct|chat"
    if qa["p_adjusted"] < 0.05:
        assert qa["winner"] == qa["best"] and qa["winner_objective"] == "instruct"
        assert qa["agreement"] == "disagrees"  # folklore says QA is for base models
    else:
        assert qa["winner"] is None and qa["agreement"] == "tie"
    assert qa["paired"]["test"] == "mcnemar-exact"


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run must install it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


def test_page_in_a_real_browser(built: dict, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from evals.family import family_to_dict
    from evals.results import write_json
    from evals.site import write_site

    columns = _planted_columns(built, tmp_path / "runs")
    matrix = build_matrix(columns, ["sentiment", "qa"])
    matrix["family"] = family_to_dict(load_family(built["family"]))
    reports = tmp_path / "reports"
    write_json(reports / "families" / "tiny" / "matrix.json", matrix)
    page_path = write_site(reports, {"tiny": columns})["page_tiny"]
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        assert page.locator("#heatmap td.cell").count() == 4
        assert page.locator("#heatmap td.cell").first.is_visible()
        winner_text = page.locator("tr[data-row='qa'] td.winner-cell").inner_text()
        assert winner_text.strip() != ""
        # Sorting by a use case reorders the columns.
        page.click("tr[data-row='qa'] th.sortable")
        first_header = page.locator("#heatmap tr").first.locator("th").nth(2).inner_text()
        assert first_header.startswith("tiny-gpt2-instruct (chat)")
        # A cell click shows every metric.
        page.click("tr[data-row='qa'] td.cell >> nth=0")
        assert page.locator("#details table tr").count() >= 4
        # The sample browser switches items; the hostile output is text, and nothing ran.
        page.select_option("#sample-use-case", "qa")
        first_input = page.locator("#sample-input").inner_text()
        card = page.locator(".card[data-column='tiny-gpt2-instruct|chat'] .output")
        assert card.inner_text() == HOSTILE
        assert page.locator("#sample-view img").count() == 0
        assert page.evaluate("window.__pwned === undefined")
        page.click("#next-item")
        assert page.locator("#sample-input").inner_text() != first_input
        page.check("#only-disagree")
        assert "items" in page.locator("#sample-count").inner_text()
        artifacts = REPO / "reports" / "test-artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(artifacts / "leaderboard.png"), full_page=True)
        index = page_path.parent / "index.html"
        page.goto(index.as_uri())
        assert page.locator("#families section").count() == 1
        assert page.evaluate("window.__pwned === undefined")
        browser.close()
    assert errors == []
