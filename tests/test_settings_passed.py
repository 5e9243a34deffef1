"""Settings travel as arguments: a command leaves its own environment as it found it, and what
it was told (data source, reuse of unpinned answers, running without a sandbox) still reaches
the code that acts on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evals import sandbox
from evals.cli import main
from tests.helpers import REPO


def test_a_command_sets_no_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {k: v for k, v in os.environ.items() if k.startswith("EVALS_")}
    code = main(
        [
            "eval",
            "--tasks",
            "sst2",
            "--data-dir",
            str(tmp_path),
            "--data-source",
            "local",
            "--reuse-unpinned",
            "--unsafe-no-sandbox",
            "--dry-run",
            "--output",
            str(tmp_path / "runs"),
            "--tasks-dir",
            str(REPO / "tasks"),
        ]
    )
    assert code == 0
    assert {k: v for k, v in os.environ.items() if k.startswith("EVALS_")} == before
    # the data source given reached the plan it printed
    assert str(tmp_path) in capsys.readouterr().out


def test_unsafe_runs_are_allowed_only_where_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALS_UNSAFE_NO_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox, "_UNSAFE_ALLOWED", False)
    assert not sandbox.unsafe_runs_allowed()
    sandbox.allow_unsafe_runs()
    assert sandbox.unsafe_runs_allowed()
    monkeypatch.setattr(sandbox, "_UNSAFE_ALLOWED", False)
    # a plain `lm_eval --include_path tasks/code` run can only be told through its environment
    monkeypatch.setenv("EVALS_UNSAFE_NO_SANDBOX", "1")
    assert sandbox.unsafe_runs_allowed()


def test_a_gate_of_two_run_folders_reads_no_data_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a model spec is evaluated: a broken data setting in the shell cannot stop a gate
    between two stored runs (it is a bad-input exit for a spec, which reads data)."""
    from tests.site_helpers import gate_example_runs

    baseline, candidate = gate_example_runs(tmp_path)
    monkeypatch.setenv("EVALS_DATA_SOURCE", "nowhere")
    args = ["gate", "--baseline", str(baseline), "--candidate", str(candidate)]
    assert main([*args, "--out", str(tmp_path / "gate"), "--tasks-dir", str(REPO / "tasks")]) == 1
    spec = main([*args[:3], "--candidate", "org/model@abc", "--out", str(tmp_path / "g2")])
    assert spec == 2
