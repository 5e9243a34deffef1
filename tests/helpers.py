"""What many test files need: the checkout's paths."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The repository root (this checkout)."""
TASKS_DIR = REPO / "tasks"
SHARED_DATA = REPO.parent / "shared" / "data"
"""``../shared/data``: the real benchmark files, beside the checkout."""
