"""The shared test helpers fail the way their callers rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import newest_run, only_partial, only_run, require, requires, run_folders


def _folders(runs: Path, *names: str) -> None:
    for name in names:
        (runs / name).mkdir(parents=True)


def test_only_run_is_the_one_finished_folder_and_names_what_else_is_there(tmp_path: Path) -> None:
    _folders(tmp_path, "m/20260101T000000Z-000001")
    assert only_run(tmp_path) == tmp_path / "m" / "20260101T000000Z-000001"
    with pytest.raises(AssertionError, match=r"found: \[\]"):
        only_run(tmp_path / "nothing-here")
    _folders(tmp_path, "m/20260101T000001Z-000002.partial")
    with pytest.raises(AssertionError, match=r"and no \.partial one.*000002\.partial"):
        only_run(tmp_path)
    assert only_run(tmp_path, leftover_partials=True).name == "20260101T000000Z-000001"
    _folders(tmp_path, "other/20260101T000002Z-000003")
    with pytest.raises(AssertionError, match=r"m/20260101T000000Z-000001.*other/2026"):
        only_run(tmp_path, leftover_partials=True)


def test_newest_run_and_run_folders_order_by_start_time(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="no finished run folder"):
        newest_run(tmp_path)
    _folders(
        tmp_path,
        "b/20260101T000000Z-000009",
        "a/20260102T000000Z-000001",
        "a/20260103T000000Z-000001.partial",
    )
    assert newest_run(tmp_path) == tmp_path / "a" / "20260102T000000Z-000001"
    assert [p.parent.name for p in run_folders(tmp_path)] == ["b", "a"]
    assert [p.name for p in run_folders(tmp_path, partial=True)] == [
        "20260103T000000Z-000001.partial"
    ]


def test_only_partial_allows_nothing_beside_it(tmp_path: Path) -> None:
    _folders(tmp_path, "m/20260101T000000Z-000001.partial")
    assert only_partial(tmp_path).name.endswith(".partial")
    _folders(tmp_path, "m/20260101T000001Z-000002")
    with pytest.raises(AssertionError, match=r"one \.partial run folder and nothing else"):
        only_partial(tmp_path)


def test_require_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    require(True, "never")
    with pytest.raises(pytest.skip.Exception, match="the tool is missing"):
        require(False, "the tool is missing")
    monkeypatch.setenv("CI", "true")
    require(True, "never")
    with pytest.raises(pytest.fail.Exception, match=r"the tool is missing.*CI is set"):
        require(False, "the tool is missing")


@requires(True, "never skipped: the condition holds")
def test_requires_marks_a_test_that_runs_when_its_condition_holds() -> None:
    mark = requires(False, "the tool is missing").mark
    assert (mark.name, mark.args) == ("requires", (False, "the tool is missing"))
