"""The workflow files, statically (scripts/check_workflows.py; actionlint is not installable
from PyPI or Debian here), and the lean CI install path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
CHECK = REPO / "scripts" / "check_workflows.py"
GOOD_JOB = "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"


def _check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK), *map(str, paths)], capture_output=True,
                          text=True, check=False)  # fmt: skip


def test_both_workflows_pass_the_static_check() -> None:
    assert {p.name for p in WORKFLOWS} >= {"eval-gate.yml", "leaderboard.yml"}
    result = _check(*WORKFLOWS)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: push\njobs:\n  a:\n    steps:\n      - run: echo\n", "'runs-on' is a required"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    needs: b\n    steps:\n      - run: echo\n",
         "needs: no job 'b'"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout\n",
         "does not match"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ${{ x\n",
         "unbalanced"),
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
         "      - run: echo ${{ steps.later.outputs.y }}\n      - id: later\n        run: echo\n",
         "steps.later is not an earlier step id"),
        ("on: pushed\n" + GOOD_JOB, "on: 'pushed' is not valid"),
        ("on: push\n" + GOOD_JOB.replace("- run: echo", "- run: a\n        uses: b/c@v1"),
         "is valid under each of"),
    ],
)  # fmt: skip
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


def test_ci_installs_lean_with_a_cpu_torch_and_a_pip_cache() -> None:
    """Before: a CPU torch into the system Python, then `make install` pulled torch again (CUDA
    on GitHub) into .venv and built llama-cpp-python from source, which the gate never uses."""
    makefile = (REPO / "Makefile").read_text()
    assert "install-lean: $(LEAN_STAMP)" in makefile and "llama" not in makefile.split(
        "$(LEAN_STAMP): pyproject.toml $(BASE_STAMP)")[1].split("install-lean:")[0]  # fmt: skip
    for workflow in WORKFLOWS:
        text = workflow.read_text()
        assert "make install-lean TORCH_INDEX=https://download.pytorch.org/whl/cpu" in text
        assert "cache: pip" in text and "make install\n" not in text
        assert "pip install torch" not in text
