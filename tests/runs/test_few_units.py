"""A result resting on fewer than 10 independent units says so beside its n, in the CLI table
and on the pages. Before: "48 (2 passages)" and nothing said that 2 passages are 2 units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.decision import Estimate
from evals.decision.units import FEW_UNITS, few_units_note, independent_units
from evals.files import write_json
from evals.matrix.family import family_from_dict
from evals.matrix.verdicts import Column, build_matrix, matrix_markdown
from evals.runs.results import UseCaseResult
from evals.runs.store import load_run
from evals.runs.table import format_table
from evals.site.build import write_site
from tests.site_helpers import BROWSER_FLAGS, chromium, write_run

T0 = "2026-11-01T10:00:00+00:00"


def test_the_note_starts_below_ten_units_whether_clusters_or_items() -> None:
    assert FEW_UNITS == 10
    for n in (10, 48, 1000):
        assert few_units_note(n, FEW_UNITS, "passage") is None
        assert few_units_note(n, FEW_UNITS - 1, "passage") == (
            f"few clusters: {FEW_UNITS - 1} passages for {n} items"
        )
    assert few_units_note(48, 1, "passage") == "few clusters: 1 passage for 48 items"
    assert few_units_note(FEW_UNITS, None) is None
    assert (
        few_units_note(FEW_UNITS - 1, None) == f"few clusters: {FEW_UNITS - 1} items, each its own"
    )
    assert few_units_note(0, None) is None  # nothing scored: no result to qualify
    assert independent_units(8, 8) == independent_units(8, None) == 8
    assert independent_units(48, 2) == 2


def _result(n: int, clusters: int | None, unit: str = "passage") -> UseCaseResult:
    return UseCaseResult(
        use_case="qa",
        primary_metric="f1",
        primary_reducer="mean",
        metrics={"f1": Estimate(50.0, 20.0, 80.0, n)},
        invalid_rate=0.0,
        n=n,
        prompt_mode="chat",
        num_fewshot=0,
        task_version="1",
        data_sha256="d",
        config_sha256="c",
        generation={},
        model_fingerprint="m",
        seconds=1.0,
        tasks=("qa",),
        interval_unit=unit if clusters else "item",
        clusters=clusters,
    )


def test_the_table_says_few_clusters_beside_n_and_under_the_table() -> None:
    table = format_table([_result(48, 2)])
    row = next(line for line in table.splitlines() if line.startswith("qa "))
    assert "48 (2 passages; few)" in row
    assert "qa: few clusters: 2 passages for 48 items" in table
    assert "few" not in format_table([_result(48, 12)])
    assert "qa: few clusters: 6 items, each its own" in format_table([_result(6, None)])
    assert "4 (1 passage; few)" in format_table([_result(4, 1)])  # not "1 passages"
    assert "few" not in format_table([_result(40, None)])


def test_stored_results_and_live_results_give_the_same_note() -> None:
    for n, clusters in ((48, 2), (48, 12), (6, None), (40, None)):
        result = _result(n, clusters)
        stored = UseCaseResult.from_dict(json.loads(json.dumps(result.to_dict())))
        assert stored == result and stored.few_units == result.few_units
    written = _result(5, None).to_dict()
    del written["interval"]  # no interval stored: each item its own unit
    assert UseCaseResult.from_dict(written).few_units == "few clusters: 5 items, each its own"
    written = _result(48, None).to_dict()
    written["interval"] = "wilson"  # an interval stored as a name
    assert UseCaseResult.from_dict(written).few_units is None


def _runs(tmp_path: Path) -> tuple[Path, Path]:
    runs = tmp_path / "runs"
    few = write_run(runs, "few", {"qa": [100.0, 0.0] * 24}, created=T0)
    many = write_run(runs, "many", {"qa": [100.0, 0.0] * 24}, created=T0)
    for folder, clusters in ((few, 2), (many, 24)):
        path = folder / "results.json"
        results = json.loads(path.read_text())
        results["use_cases"]["qa"]["interval"] = {"unit": "passage", "clusters": clusters}
        path.write_text(json.dumps(results))
    return runs, tmp_path / "reports"


def _family(runs: Path, reports: Path) -> list[Column]:
    columns = [
        Column(f"{name}|chat", name, "instruct", "chat", load_run(folder))
        for name in ("few", "many")
        for folder in (runs / name).iterdir()
    ]
    matrix = build_matrix(columns, ["qa"])
    matrix["family"] = {"name": "fam", "title": "Fam", "variants": [], "tasks": "qa"}
    family_from_dict(matrix["family"])
    write_json(reports / "families" / "fam" / "matrix.json", matrix)
    return columns


def test_page_data_carries_the_note_for_every_cell(tmp_path: Path) -> None:
    runs, reports = _runs(tmp_path)
    columns = _family(runs, reports)
    matrix = build_matrix(columns, ["qa"])
    cells = matrix["rows"][0]["cells"]
    assert cells["few|chat"]["few"] == "few clusters: 2 passages for 48 items"
    assert cells["many|chat"]["few"] is None
    assert "n=48 (few clusters: 2 passages for 48 items)" in matrix_markdown(matrix, "Fam")
    write_site(reports, {"fam": columns}, runs_root=runs)
    data = json.loads((reports / "site" / "leaderboard.json").read_text())
    few = {r["variant"]: r["cells"]["qa"]["few"] for r in data["rows"]}
    assert few == {"few": "few clusters: 2 passages for 48 items", "many": None}


@pytest.mark.simulation
def test_pages_show_the_note_beside_n(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    runs, reports = _runs(tmp_path)
    paths = write_site(reports, {"fam": _family(runs, reports)}, runs_root=runs)
    site = paths["index"].parent
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=BROWSER_FLAGS)
        page = browser.new_page()
        page.goto(paths["index"].as_uri())
        notes = page.locator("#leaderboard td.cell .few-units").all_inner_texts()
        assert notes == ["few clusters: 2 passages for 48 items"]
        page.goto(paths["page_fam"].as_uri())
        notes = page.locator("#heatmap td.cell .few-units").all_inner_texts()
        assert notes == ["few clusters: 2 passages for 48 items"]
        variant_pages = sorted(site.glob("variant-few-*.html")) + sorted(
            site.glob("variant-many-*.html")
        )
        page.goto(variant_pages[0].as_uri())
        assert page.locator("#history-table .few-units").all_inner_texts() == [
            "few clusters: 2 passages for 48 items"
        ]
        page.goto(variant_pages[1].as_uri())
        assert page.locator("#history-table .few-units").count() == 0
        browser.close()


def test_the_run_vs_run_page_says_few_clusters_beside_its_n(tmp_path: Path) -> None:
    from evals.site.diff_page import run_diff_data

    runs = tmp_path / "runs"
    scores = {"a": [100.0, 0.0] * 24, "b": [0.0, 100.0] * 24}
    folders = [write_run(runs, name, {"qa": qa}, created=T0) for name, qa in scores.items()]
    for folder in folders:  # 48 questions on 3 passages
        path = folder / "samples_qa.jsonl"
        records = [json.loads(line) for line in path.read_text().splitlines()]
        lines = [json.dumps(r | {"cluster": f"p{i % 3}"}) for i, r in enumerate(records)]
        path.write_text("\n".join(lines) + "\n")
        results = json.loads((folder / "results.json").read_text())
        results["use_cases"]["qa"]["interval"].update(unit="passage", clusters=3)
        (folder / "results.json").write_text(json.dumps(results))
    (qa,) = run_diff_data(load_run(folders[0]), load_run(folders[1]))["use_cases"]
    assert qa["n"] == 48 and qa["few"] == "few clusters: 3 passages for 48 items"
