"""A new user's checkout: the project's files copied into a fresh folder (tracked and untracked,
ignored ones left out, as a clone of the working tree), ``../shared`` beside it as CI lays it, a
fresh ``HOME`` with empty caches, and the project's virtual environment as ``.venv`` (the one
``make eval`` created: what the Makefile would install is already there, so ``make`` finds its
stamps and goes straight to the command). Commands run through ``bash`` as typed."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.acceptance.readme import REPO

SETTINGS_FROM_OUTSIDE = ("EVALS_", "HF_", "XDG_", "TRANSFORMERS_", "PYTEST_")
"""Variables a user's fresh shell does not have: the test session's own settings (its cache
folder, its CLI settings) must not leak into what the user types."""


@dataclass(frozen=True)
class Workspace:
    clone: Path
    home: Path

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_FROM_OUTSIDE)}
        return {
            **keep,
            "HOME": str(self.home),
            "PATH": f"{self.clone / '.venv' / 'bin'}:{keep.get('PATH', '/usr/bin:/bin')}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def run(self, command: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
        """``command`` in the checkout, as typed in a shell (stdout and stderr together)."""
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.clone,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, command: str, timeout: float = 1200) -> str:
        """Run ``command``; it must exit 0. Its output."""
        result = self.run(command, timeout)
        assert result.returncode == 0, (
            f"{command} exited {result.returncode}:\n{result.stdout[-4000:]}"
        )
        return result.stdout


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def make_workspace(root: Path) -> Workspace:
    clone, home = root / "objective-evals", root / "home"
    for name in project_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)  # mtimes kept: make sees its stamps as up to date
    venv = REPO / ".venv"
    assert venv.is_dir(), "the acceptance tier runs after `make eval` made .venv"
    (clone / ".venv").symlink_to(venv)
    # The venv was installed from this very pyproject.toml (make test's own prerequisites saw
    # to it): older than the stamps, so no command here reinstalls the package from the
    # checkout, which would point the shared venv's editable install at a temporary folder.
    os.utime(clone / "pyproject.toml", (0, 0))
    shared = REPO.parent / "shared"
    if shared.is_dir():
        (root / "shared").symlink_to(shared)
    home.mkdir()
    return Workspace(clone, home)
