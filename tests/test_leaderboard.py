"""The leaderboard index and its exports, built from synthetic stored runs (no model)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.leaderboard import SMALL_N, home_relative
from evals.run_folder import write_json
from evals.site import write_site
from tests.site_helpers import html_errors, write_run

T0, T1, T2 = "2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00", "2026-11-03T10:00:00+00:00"


def _site(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "runs", tmp_path / "reports"


def _data(reports: Path) -> dict:
    return json.loads((reports / "site" / "leaderboard.json").read_text(encoding="utf-8"))


def test_single_and_limit_runs_each_get_a_row_and_the_latest_run_wins(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0, 0.0, 100.0, 100.0]}, created=T0, limit=4)
    write_run(runs, "alpha", {"qa": [0.0] * 40}, created=T1)
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T2)  # same spec, later
    write_site(reports, {}, runs_root=runs)
    rows = _data(reports)["rows"]
    assert [(r["variant"], r["limit"]) for r in rows] == [("alpha", None), ("alpha", 4)]
    assert rows[0]["cells"]["qa"]["value"] == 100.0 and rows[0]["created_utc"] == T2


def test_cells_are_the_stored_numbers_with_n_and_baseline(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    folder = write_run(runs, "alpha", {"qa": [100.0, 0.0] * 20}, created=T0, interval=(7.5, 3.25))
    write_site(reports, {}, runs_root=runs)
    stored = json.loads((folder / "results.json").read_text())["use_cases"]["qa"]
    cell = _data(reports)["rows"][0]["cells"]["qa"]
    assert (cell["value"], cell["ci_low"], cell["ci_high"], cell["n"]) == (
        stored["primary"]["value"],
        stored["primary"]["ci_low"],
        stored["primary"]["ci_high"],
        40,
    )
    assert cell["baseline"] == {"policy": "majority", "value": 50.0, "above_all": False}
    assert cell["metric"] == "accuracy" and cell["note"] is None


def test_overlapping_intervals_are_marked_not_separable_from_the_leader(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "lead", {"qa": [100.0] * 32 + [0.0] * 8}, created=T0)  # 80 [75, 85]
    write_run(runs, "close", {"qa": [100.0] * 31 + [0.0] * 9}, created=T0)  # 77.5 [72.5, 82.5]
    write_run(runs, "far", {"qa": [100.0] * 20 + [0.0] * 20}, created=T0)  # 50 [45, 55]
    write_site(reports, {}, runs_root=runs)
    marks = {r["variant"]: r["cells"]["qa"]["vs_leader"] for r in _data(reports)["rows"]}
    assert marks == {"lead": "leader", "close": "tie", "far": "below"}


def test_equal_scores_tie_and_missing_intervals_say_so(tmp_path: Path) -> None:
    """Seen on two tiny models at LIMIT=4: qa 25.0 each, no interval (one passage)."""
    runs, reports = _site(tmp_path)
    for name in ("a", "b"):
        write_run(runs, name, {"qa": [100.0, 0.0, 0.0, 0.0]}, created=T0, limit=4)
    write_run(runs, "c", {"qa": [0.0] * 4}, created=T0, limit=4)
    for folder in runs.glob("*/*"):
        results = json.loads((folder / "results.json").read_text())
        results["use_cases"]["qa"]["primary"].update(ci_low=None, ci_high=None)
        (folder / "results.json").write_text(json.dumps(results))
    write_site(reports, {}, runs_root=runs)
    cells = {r["variant"]: r["cells"]["qa"] for r in _data(reports)["rows"]}
    assert sorted(c["vs_leader"] for c in cells.values()) == ["leader", "tie", "unknown"]
    assert cells["c"]["vs_leader"] == "unknown"
    assert cells["c"]["note"] == "n=4 is small: the run has no 95% interval for it"


def test_a_small_n_cell_says_its_interval_is_too_wide(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "tiny", {"qa": [100.0] * 8}, created=T0, limit=8, interval=(20, 10))
    write_site(reports, {}, runs_root=runs)
    cell = _data(reports)["rows"][0]["cells"]["qa"]
    assert SMALL_N > 8 and cell["small_n"] is True
    assert cell["note"] == "n=8 is small: the 95% interval is 30.0 points wide"


def test_csv_and_json_hold_the_same_numbers(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0, 0.0] * 20, "ner": [50.0] * 40}, created=T0)
    write_run(runs, "beta", {"qa": [0.0] * 40}, created=T0, objective="base",
              prompt_mode="completion")  # fmt: skip
    write_site(reports, {}, runs_root=runs)
    data = _data(reports)
    lines = list(csv.DictReader(io.StringIO((reports / "site" / "leaderboard.csv").read_text())))
    from_json = {(r["variant"], uc): c for r in data["rows"] for uc, c in r["cells"].items()}
    assert len(lines) == len(from_json) == 3
    for line in lines:
        cell = from_json[(line["variant"], line["use_case"])]
        assert float(line["value"]) == cell["value"] and int(line["n"]) == cell["n"]
        assert float(line["ci_low"]) == cell["ci_low"] and line["vs_leader"] == cell["vs_leader"]
    assert data["columns"] == ["ner", "qa"]


def test_family_pages_stay_linked_after_another_family_is_built(tmp_path: Path) -> None:
    """Before: each ``evals matrix`` rewrote index.html with its own family only."""
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    for name in ("older", "newer"):
        write_json(reports / "families" / name / "matrix.json", {
            "family": {"name": name, "title": f"{name} family"}, "rows": [],
            "columns": [{"fingerprint": "alpha", "prompt_mode": "chat"}]})  # fmt: skip
    write_site(reports, {}, runs_root=runs)
    data = _data(reports)
    assert [f["page"] for f in data["families"]] == ["newer.html", "older.html"]
    assert data["rows"][0]["families"] == ["newer", "older"]


def test_published_paths_show_the_home_folder_as_tilde(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    write_site(reports, {}, runs_root=runs)
    page = (reports / "site" / "index.html").read_text()
    assert str(Path.home()) + "/models" not in page
    assert _data(reports)["rows"][0]["spec"] == "~/models/alpha"
    assert home_relative("/elsewhere/x") == "/elsewhere/x"


def test_the_index_is_well_formed_html(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0] * 40}, created=T0)
    write_site(reports, {}, runs_root=runs)
    assert html_errors((reports / "site" / "index.html").read_text()) == []
    assert html_errors("<!doctype html><div><span></div>") != []  # the check can fail


def test_evals_site_builds_from_an_empty_and_a_filled_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs, reports = _site(tmp_path)
    args = ["site", "--output", str(runs), "--reports", str(reports),
            "--families", str(tmp_path / "no-families")]  # fmt: skip
    assert main(args) == 0
    assert _data(reports)["rows"] == []
    write_run(runs, "alpha", {"qa": [100.0] * 4}, created=T0, limit=4)
    write_run(runs, "beta", {"qa": [0.0] * 4}, created=T1, limit=4)
    assert main(args) == 0
    assert "leaderboard_json:" in capsys.readouterr().out
    assert [r["variant"] for r in _data(reports)["rows"]] == ["alpha", "beta"]
