"""JSON values embedded in model output: inside code fences or prose, possibly cut off.

One tolerant reader for every scorer that asks a model for JSON (NER entity lists, chat format
checks). Bounded: at most ``max_starts`` bracket positions are tried per text, and nesting too
deep to decode is skipped, so garbage output costs little and never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_FENCE = re.compile(r"```(?:json|python)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
MAX_STARTS = 200
MAX_CHARS = 20_000


def candidate_texts(output: str) -> list[str]:
    """Fenced blocks first (models put the answer there), then the whole output."""
    output = output[:MAX_CHARS]
    return [*_FENCE.findall(output), output]


def embedded_values(text: str, opening: str = "[{", max_starts: int = MAX_STARTS) -> Iterator[Any]:
    """Each JSON value that starts at one of ``opening``'s brackets, left to right; a value
    found is skipped over, so its inner objects are not yielded again."""
    decoder = json.JSONDecoder()
    pattern = re.compile("[" + re.escape(opening) + "]")
    position, tries = 0, 0
    while tries < max_starts and (match := pattern.search(text, position)):
        tries += 1
        try:
            value, end = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            position = match.start() + 1
            continue
        position = end
        yield value
