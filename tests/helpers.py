"""What many test files need: the checkout's paths and the run folders an ``evals`` command
wrote."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The repository root (this checkout)."""
TASKS_DIR = REPO / "tasks"
SHARED_DATA = REPO.parent / "shared" / "data"
"""``../shared/data``: the real benchmark files, beside the checkout."""

# --- run folders ---------------------------------------------------------------------------------
# ``evals eval --output RUNS`` writes RUNS/<model>/<timestamp>/, first as <timestamp>.partial/,
# renamed when the run is whole; a run that fails keeps its .partial folder.


def run_folders(runs: Path, *, partial: bool = False) -> list[Path]:
    """The finished run folders under ``runs`` (``partial=True``: the ``.partial`` ones), oldest
    first (names start with the UTC second the run started)."""
    return sorted(
        (p for p in runs.glob("*/*") if p.is_dir() and p.name.endswith(".partial") == partial),
        key=lambda p: p.name,
    )


def _listing(runs: Path) -> list[str]:
    return sorted(str(p.relative_to(runs)) for p in runs.glob("*/*")) if runs.is_dir() else []


def only_run(runs: Path, *, leftover_partials: bool = False) -> Path:
    """The one finished run folder under ``runs``; an assertion that lists what is there when
    there is not exactly one. A finished run renames its own ``.partial`` folder away, so one
    left over fails too, unless ``leftover_partials`` (an earlier run in the test was killed or
    failed and kept its folder)."""
    finished = run_folders(runs)
    stray = [] if leftover_partials else run_folders(runs, partial=True)
    assert len(finished) == 1 and not stray, (
        f"expected one finished run folder under {runs}"
        + ("" if leftover_partials else " and no .partial one")
        + f", found: {_listing(runs)}"
    )
    return finished[0]


def newest_run(runs: Path) -> Path:
    """The newest finished run folder under ``runs`` (by name: the UTC second it started)."""
    finished = run_folders(runs)
    assert finished, f"no finished run folder under {runs}, found: {_listing(runs)}"
    return finished[-1]


def only_partial(runs: Path) -> Path:
    """The one folder under ``runs``, which must be a ``.partial`` one (the run failed, and
    nothing finished beside it)."""
    folders = [p for p in runs.glob("*/*") if p.is_dir()]
    assert len(folders) == 1 and folders[0].name.endswith(".partial"), (
        f"expected one .partial run folder and nothing else under {runs}, found: {_listing(runs)}"
    )
    return folders[0]
