"""Which code made a result: this suite's and lm-eval's versions, the checkout's commit, and the
hash of the code that prompts and scores a use case (:func:`code_sha256`, compared by the run
spec)."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from evals.fingerprint import sha256_text

SUITE_NAME = "objective-evals"
PACKAGE = Path(__file__).resolve().parent


def suite_version() -> str:
    """Installed version of this suite."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(SUITE_NAME)
    except PackageNotFoundError:
        return "0+unknown"


def lm_eval_version() -> str:
    """Installed version of lm-eval."""
    from importlib.metadata import version

    return version("lm_eval")


def git_commit() -> str | None:
    """The checkout's commit, when this suite runs from a git checkout (else None)."""
    try:
        out = subprocess.run(["git", "-C", str(PACKAGE), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@cache
def _source_hash(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Hash of source files, memoised on (path, size, mtime): an edit gives a new hash."""
    return sha256_text(
        "".join(f"{Path(p).name}:{sha256_text(Path(p).read_text('utf-8'))}" for p, _, _ in stamps)
    )


def is_evaluate_module(path: Path) -> bool:
    """Whether a task folder's Python file is its metric as a Hugging Face ``evaluate`` module:
    named after the folder (``tasks/ner/ner.py``, what ``evaluate.load`` of the folder reads)
    and defining an ``evaluate.Metric``. lm-eval and the runners never import it."""
    if path.stem != path.parent.name:
        return False
    try:
        return "(evaluate.Metric)" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def code_sha256(folder: Path, kind: str) -> str:
    """Hash of the code that prompts and scores a use case: its folder's Python files, the
    shared metric, reducer and data-converter modules, and the runner that drives it. Not the
    folder's ``evaluate`` module (:func:`is_evaluate_module`): no run calls it, so editing it
    leaves stored runs comparable."""
    runner = PACKAGE / ("multiturn.py" if kind == "multiturn" else "lm_eval_tasks.py")
    paths = (
        *sorted(p for p in folder.glob("*.py") if not is_evaluate_module(p)),
        *sorted((PACKAGE / "metrics").glob("*.py")),
        *sorted((PACKAGE / "benchmarks").glob("*.py")),
        *sorted((PACKAGE / "usecases").glob("*.py")),
        PACKAGE / "statistics.py", PACKAGE / "judge.py", PACKAGE / "data.py", runner,
    )  # fmt: skip
    files = [p for p in paths if p.is_file()]
    return _source_hash(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
