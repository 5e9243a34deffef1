"""The README's fenced commands, as a user would type them: the contract the acceptance tier
runs (``tests/acceptance/test_readme_*.py``)."""

from __future__ import annotations

import re

from tests.helpers import REPO

README = REPO / "README.md"

_FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", flags=re.S | re.M)
_COMMAND = re.compile(r"^(make|evals|lm_eval|pip|python|\.venv/bin/\w+|[A-Z_]+=\S+ make)(?=\s|$)")


def fenced_blocks(text: str | None = None) -> list[tuple[str, str]]:
    """Every fenced block: (language, body)."""
    return [(m[1], m[2]) for m in _FENCE.finditer(text if text is not None else README.read_text())]


def normalise(line: str) -> str:
    """A command without its trailing comment and with single spaces."""
    line = re.sub(r"\s+#\s.*$", "", line.strip())
    return re.sub(r"\s+", " ", line).strip()


def fenced_commands(text: str | None = None) -> list[str]:
    """Each command a user is told to type in a shell block (continuation lines joined);
    blocks that show output (tables, error lines, a layout) hold none."""
    commands = []
    for language, body in fenced_blocks(text):
        if language == "python":
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        commands += [
            normalise(line) for line in joined.splitlines() if _COMMAND.match(line.strip())
        ]
    return commands


def python_snippets(text: str | None = None) -> list[str]:
    """The README's Python blocks, which must run as written."""
    return [body for language, body in fenced_blocks(text) if language == "python"]
