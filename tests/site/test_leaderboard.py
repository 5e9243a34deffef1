"""The leaderboard index and its exports, built from synthetic stored runs (no model)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from evals.cli import main
from evals.files import write_json
from evals.site.build import write_site
from evals.site.html import home_relative
from evals.site.ranking import SMALL_N
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
    assert cell["metric"] == "accuracy" and cell["note"] is None and cell["small"] is False


def test_overlapping_intervals_are_marked_not_separable_from_the_leader(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "lead", {"qa": [100.0] * 32 + [0.0] * 8}, created=T0)  # 80 [75, 85]
    write_run(runs, "close", {"qa": [100.0] * 31 + [0.0] * 9}, created=T0)  # 77.5 [72.5, 82.5]
    write_run(runs, "far", {"qa": [100.0] * 20 + [0.0] * 20}, created=T0)  # 50 [45, 55]
    write_site(reports, {}, runs_root=runs)
    marks = {r["variant"]: r["cells"]["qa"]["vs_leader"] for r in _data(reports)["rows"]}
    assert marks == {"lead": "leader", "close": "tie", "far": "below"}


def test_smoke_runs_are_set_apart_and_never_ranked(tmp_path: Path) -> None:
    """Seen on two tiny models at LIMIT=4: qa 25.0 each, no interval (one passage)."""
    runs, reports = _site(tmp_path)
    for name in ("a", "b"):
        write_run(runs, name, {"qa": [100.0, 0.0, 0.0, 0.0]}, created=T0, limit=4)
    write_run(runs, "c", {"qa": [100.0] * 8}, created=T0, limit=8, interval=(20, 10))
    write_site(reports, {}, runs_root=runs)
    rows = _data(reports)["rows"]
    assert SMALL_N > 8 and all(r["small"] and r["mean_rank"] is None for r in rows)
    cells = {r["variant"]: r["cells"]["qa"] for r in rows}
    assert {c["vs_leader"] for c in cells.values()} == {"small"}
    assert cells["c"]["note"] == "n=8: a smoke run; too few items to rank, shown apart"


def _rehash(folder: Path, use_case: str, prefix: str) -> None:
    """Give a run's items other ids: it no longer shares items with the others."""
    path = folder / f"samples_{use_case}.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record["doc_hash"] = prefix + record["doc_hash"]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _paired_scores(both: int, only_a: int, only_b: int, neither: int) -> tuple[list, list]:
    a = [100.0] * both + [100.0] * only_a + [0.0] * only_b + [0.0] * neither
    b = [100.0] * both + [0.0] * only_a + [100.0] * only_b + [0.0] * neither
    return a, b


@pytest.mark.simulation
def test_a_three_point_gap_on_872_shared_items_is_separated(tmp_path: Path) -> None:
    """80.0% vs 83.0% on the same 872 items, 4 vs 30 discordant pairs: the intervals overlap
    but the paired test separates them (p ≈ 1e-5); before, "not separable"."""
    runs, reports = _site(tmp_path)
    a, b = _paired_scores(694, 4, 30, 144)
    write_run(runs, "a", {"qa": a}, created=T0, interval=(2.7, 2.6))
    write_run(runs, "b", {"qa": b}, created=T0, interval=(2.5, 2.4))
    write_site(reports, {}, runs_root=runs)
    cells = {r["variant"]: r["cells"]["qa"] for r in _data(reports)["rows"]}
    assert round(cells["a"]["value"], 1) == 80.0 and round(cells["b"]["value"], 1) == 83.0
    assert cells["a"]["ci_high"] > cells["b"]["ci_low"]  # the intervals overlap
    assert cells["b"]["vs_leader"] == "leader" and cells["a"]["vs_leader"] == "below"
    assert cells["a"]["p_vs_leader"] < 1e-3
    # the same numbers with many discordant pairs are not separable
    runs2, reports2 = tmp_path / "runs2", tmp_path / "reports2"
    a, b = _paired_scores(500, 100, 126, 146)
    write_run(runs2, "a", {"qa": a}, created=T0)
    write_run(runs2, "b", {"qa": b}, created=T0)
    write_site(reports2, {}, runs_root=runs2)
    cells = {r["variant"]: r["cells"]["qa"] for r in _data(reports2)["rows"]}
    assert cells["a"]["vs_leader"] == "tie" and cells["a"]["p_vs_leader"] >= 0.05


def test_no_smoke_run_and_no_below_baseline_cell_leads(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "smoke", {"qa": [100.0] * 5, "ner": [100.0] * 5}, created=T0, limit=5)
    write_run(runs, "good", {"qa": [100.0] * 60 + [0.0] * 12, "ner": [0.0] * 72}, created=T0)
    write_run(runs, "weak", {"qa": [100.0] * 40 + [0.0] * 32, "ner": [25.0] * 72}, created=T0)
    write_site(reports, {}, runs_root=runs)
    rows = {r["variant"]: r for r in _data(reports)["rows"]}
    assert rows["smoke"]["small"] and rows["smoke"]["cells"]["qa"]["vs_leader"] == "small"
    assert rows["good"]["cells"]["qa"]["vs_leader"] == "leader"
    # ner: both below their trivial baseline (50): nobody is crowned, the higher neither
    assert {rows[v]["cells"]["ner"]["vs_leader"] for v in ("good", "weak")} == {"no_leader"}
    leaders = [
        (v, uc)
        for v, r in rows.items()
        for uc, c in r["cells"].items()
        if c["vs_leader"] == "leader"
    ]
    assert leaders == [("good", "qa")]
    assert [r["variant"] for r in _data(reports)["rows"]][-1] == "smoke"  # listed apart, last


def test_runs_on_other_items_only_say_intervals_overlap(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "lead", {"qa": [100.0] * 32 + [0.0] * 8}, created=T0)
    _rehash(write_run(runs, "other", {"qa": [100.0] * 31 + [0.0] * 9}, created=T0), "qa", "x")
    write_site(reports, {}, runs_root=runs)
    cells = {r["variant"]: r["cells"]["qa"] for r in _data(reports)["rows"]}
    assert cells["other"]["vs_leader"] == "overlap" and cells["other"]["p_vs_leader"] is None


def test_few_passages_make_a_cell_small_and_other_limits_rank_apart(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    folder = write_run(runs, "squad", {"qa": [100.0] * 48}, created=T0, limit=48)
    results = json.loads((folder / "results.json").read_text())
    results["use_cases"]["qa"]["interval"] = {"unit": "passage", "clusters": 2}
    (folder / "results.json").write_text(json.dumps(results))
    write_run(runs, "full", {"qa": [100.0] * 30 + [0.0] * 10}, created=T0)
    write_run(runs, "limited", {"qa": [100.0] * 40}, created=T0, limit=40)
    write_site(reports, {}, runs_root=runs)
    cells = {r["variant"]: r["cells"]["qa"] for r in _data(reports)["rows"]}
    assert cells["squad"]["vs_leader"] == "small" and "2 passages" in cells["squad"]["note"]
    # a LIMIT run and a full run are different item sets: each leads its own group
    assert cells["full"]["vs_leader"] == cells["limited"]["vs_leader"] == "leader"
    assert cells["full"]["group"] != cells["limited"]["group"]


def test_csv_and_json_hold_the_same_numbers(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0, 0.0] * 20, "ner": [50.0] * 40}, created=T0)
    write_run(
        runs, "beta", {"qa": [0.0] * 40}, created=T0, objective="base", prompt_mode="completion"
    )
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
        write_json(
            reports / "families" / name / "matrix.json",
            {
                "family": {"name": name, "title": f"{name} family"},
                "rows": [],
                "columns": [{"fingerprint": "alpha", "prompt_mode": "chat"}],
            },
        )
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
    args = [
        "site",
        "--output",
        str(runs),
        "--reports",
        str(reports),
        "--families",
        str(tmp_path / "no-families"),
    ]
    assert main(args) == 0
    assert _data(reports)["rows"] == []
    write_run(runs, "alpha", {"qa": [100.0] * 4}, created=T0, limit=4)
    write_run(runs, "beta", {"qa": [0.0] * 4}, created=T1, limit=4)
    assert main(args) == 0
    assert "leaderboard_json:" in capsys.readouterr().out
    assert [r["variant"] for r in _data(reports)["rows"]] == ["alpha", "beta"]


def test_objective_and_family_badge_come_from_the_family_not_the_command(tmp_path: Path) -> None:
    """Before: one variant read "base" on its family run and "instruct" on a `make eval` run,
    and a smoke run of the same model carried the family's badge."""
    runs, reports = _site(tmp_path)
    in_matrix = write_run(
        runs, "m", {"qa": [100.0] * 40}, created=T0, objective="base", fingerprint="fp"
    )
    write_run(
        runs, "m", {"qa": [100.0] * 5}, created=T1, limit=5, objective="instruct", fingerprint="fp"
    )
    write_json(
        reports / "families" / "fam" / "matrix.json",
        {
            "family": {"name": "fam", "title": "fam"},
            "rows": [],
            "columns": [
                {
                    "fingerprint": "fp",
                    "prompt_mode": "chat",
                    "objective": "base",
                    "run_folder": str(in_matrix),
                }
            ],
        },
    )
    write_site(reports, {}, runs_root=runs)
    rows = {r["limit"]: r for r in _data(reports)["rows"]}
    assert rows[None]["objective"] == rows[5]["objective"] == "base"
    assert rows[None]["families"] == ["fam"] and rows[5]["families"] == []


def test_every_csv_field_is_its_json_field(tmp_path: Path) -> None:
    runs, reports = _site(tmp_path)
    write_run(runs, "alpha", {"qa": [100.0, 0.0] * 20, "ner": [50.0] * 40}, created=T0)
    write_run(runs, "alpha", {"qa": [100.0, 0.0, 100.0, 100.0]}, created=T1, limit=4)
    write_run(
        runs, "beta", {"qa": [0.0] * 40}, created=T2, objective="base", prompt_mode="completion"
    )
    write_json(
        reports / "families" / "fam" / "matrix.json",
        {
            "family": {"name": "fam", "title": "A family"},
            "rows": [],
            "columns": [{"fingerprint": "alpha", "prompt_mode": "chat"}],
        },
    )
    write_site(reports, {}, runs_root=runs)
    data = _data(reports)
    assert data["kind"] == "leaderboard" and data["small_n"] == SMALL_N
    assert data["families"] == [{"name": "fam", "title": "A family", "page": "fam.html"}]
    text = (reports / "site" / "leaderboard.csv").read_text()
    assert "\r" not in text
    lines = list(csv.DictReader(io.StringIO(text)))
    rows = {(r["variant"], r["limit"]): r for r in data["rows"]}
    assert len(lines) == sum(len(r["cells"]) for r in data["rows"])
    for line in lines:
        row = rows[(line["variant"], int(line["limit"]) if line["limit"] else None)]
        cell = row["cells"][line["use_case"]]
        for name in ("objective", "backend", "prompt_mode", "run", "created_utc"):
            assert line[name] == str(row[name]), name
        for name in ("metric", "value", "ci_low", "ci_high", "n", "vs_leader"):
            assert line[name] == str(cell[name]), name
        for column, key in (
            ("baseline_policy", "policy"),
            ("baseline_value", "value"),
            ("above_baseline", "above_all"),
        ):
            assert line[column] == str(cell["baseline"][key]), column
        assert line["families"].split() == row["families"]
    assert {line["limit"] for line in lines} == {"", "4"}
    assert any(line["families"] == "fam" for line in lines)
    assert all(line["baseline_policy"] and line["baseline_value"] for line in lines)
    assert {line["above_baseline"] for line in lines} <= {"True", "False"}
