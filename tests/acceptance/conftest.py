"""One new user's checkout per test session (and per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.workspace import Workspace, make_workspace


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("new-user"))


@pytest.fixture(scope="session")
def shared_data_dir(workspace: Workspace) -> Path:
    """``../shared/data`` as the README's commands name it, from the checkout."""
    from tests.conftest import shared_data

    shared_data()  # skip locally when absent; fail in CI
    return workspace.clone.parent / "shared" / "data"
