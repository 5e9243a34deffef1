"""The package type-checks (``[tool.mypy]`` in pyproject.toml: every module checked, the
decision, run-store and gate rooms strictly), as ``make lint`` runs it; here so that
``make test`` (what CI runs) holds it too."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import REPO


@pytest.mark.slow
def test_mypy_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
