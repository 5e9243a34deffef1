"""Which code made a result: this suite's and lm-eval's versions, the checkout's commit, and the
hash of the code that prompts and scores a use case (:func:`code_sha256`, compared by the run
spec)."""

from __future__ import annotations

import ast
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
        out = subprocess.run(
            ["git", "-C", str(PACKAGE), "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _dump(node: object) -> str:
    """An AST as text, the same on every Python this suite supports: fields that are None or
    empty (``type_params`` of 3.12, ``kind`` of a plain string) are left out."""
    if isinstance(node, ast.AST):
        fields = (
            f"{name}={_dump(value)}"
            for name in node._fields
            if (value := getattr(node, name, None)) not in (None, []) and name != "type_comment"
        )
        return f"{type(node).__name__}({' '.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(_dump(item) for item in node) + "]"
    return repr(node)


def _is_docstring(statement: ast.stmt) -> bool:
    """A bare string statement: a docstring (of a module, class or function, or of an attribute
    after it), which does nothing when run."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _own_module(name: str | None, level: int) -> bool:
    return level > 0 or (name or "").split(".")[0] == "evals"


def normalized_source(text: str) -> str:
    """Python source as what it does: its syntax tree without comments, layout or docstrings
    (bare string statements, which run as nothing), with the suite's own imports reduced to the
    names they bring in (sorted), not the module they come from. So a module moved to another
    package, reformatted or recommented keeps its hash; a changed constant, condition, prompt
    string or type annotation does not (annotations stay: a dataclass's fields are made of
    them). Known limit: importing a same-named function from another of the suite's modules
    keeps the hash (the hashed modules' own sources are all in the hash, but not which of two
    same-named functions one of them calls). Source that does not parse here (a scratch file,
    another Python's syntax) is taken as its text."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return "text: " + text
    names: set[str] = set()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            kept = []
            for statement in block:
                if isinstance(statement, ast.ImportFrom) and _own_module(
                    statement.module, statement.level
                ):
                    names.update(
                        f"{a.name} as {a.asname}" if a.asname else a.name for a in statement.names
                    )
                elif isinstance(statement, ast.Import) and all(
                    _own_module(a.name, 0) for a in statement.names
                ):
                    names.update(a.asname or a.name.split(".")[-1] for a in statement.names)
                elif not _is_docstring(statement):
                    kept.append(statement)
            setattr(node, field, kept)
    return _dump(tree) + "\nimports: " + ",".join(sorted(names))


@cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """One source file's hash by what it is; memoised on (path, size, mtime): the modules every
    use case shares are parsed once per process, not once per use case."""
    return sha256_text(normalized_source(Path(path).read_text("utf-8")))


@cache
def _source_hash(stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Hash of source files by what they are (:func:`normalized_source`), in no particular order
    and whatever their names or folders; memoised on (path, size, mtime)."""
    return sha256_text("".join(sorted(_file_digest(*stamp) for stamp in stamps)))


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
    engine = PACKAGE / "engine"
    named = (
        PACKAGE / "statistics.py",
        PACKAGE / "data.py",
        engine / "judge.py",
        engine / ("multiturn.py" if kind == "multiturn" else "lm_eval_tasks.py"),
    )
    missing = [str(p) for p in named if not p.is_file()]
    if missing:  # a moved module must not drop out of the hash unseen
        raise RuntimeError(f"the code hash names modules that are not there: {missing}")
    files = [
        *sorted(p for p in folder.glob("*.py") if not is_evaluate_module(p)),
        *sorted((PACKAGE / "metrics").glob("*.py")),
        *sorted((PACKAGE / "benchmarks").glob("*.py")),
        *sorted((PACKAGE / "usecases").glob("*.py")),
        *named,
    ]
    return _source_hash(tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
