"""Reading task data: JSONL files checked against a use case's record schema, one clear error
(file and line) for a bad row, returned as the ``datasets.DatasetDict`` lm-eval expects; and
CoNLL column files (the NER benchmarks and ``evals score ner``)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.errors import DataError

RowCheck = Callable[[dict[str, Any]], str | None]
"""Returns a reason when a row is unusable, ``None`` when it is fine."""


def jsonl_objects(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSONL file (``.jsonl.gz`` too; a
    byte-order mark is ignored); a line that is not a JSON object is one error naming the file
    and line."""
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
                text = handle.read()
        else:
            text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: a row must be a JSON object")
        rows.append((number, row))
    return rows


def read_jsonl(
    path: Path, required: Sequence[str] = (), check: RowCheck | None = None
) -> list[dict[str, Any]]:
    """Rows of a JSONL file: objects holding the ``required`` keys, each ``id`` unique."""
    rows: list[dict[str, Any]] = []
    ids: set[str] = set()
    for number, row in jsonl_objects(path):
        where = f"{path}:{number}"
        missing = [key for key in required if key not in row]
        if missing:
            raise DataError(f"{where}: missing field(s) {', '.join(missing)}")
        reason = check(row) if check else None
        if reason:
            raise DataError(f"{where}: {reason}")
        row_id = str(row.get("id", number))
        if row_id in ids:
            raise DataError(f"{where}: duplicate id {row_id!r}")
        ids.add(row_id)
        rows.append(row)
    if not rows:
        raise DataError(f"{path} holds no rows")
    return rows


def load_splits(
    folder: Path,
    splits: Mapping[str, str],
    required: Sequence[str] = (),
    check: RowCheck | None = None,
) -> Any:
    """A ``datasets.DatasetDict`` of the named JSONL files (``{"test": "test.jsonl", ...}``)."""
    import datasets

    out = {}
    for split, filename in splits.items():
        rows = read_jsonl(folder / filename, required, check)
        out[split] = datasets.Dataset.from_list(rows)
    return datasets.DatasetDict(out)


Sentence = tuple[list[str], list[str]]


def text_lines(path: Path) -> list[str]:
    """A text file's lines without trailing whitespace (CRLF too); one clear error if unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    return [line.rstrip() for line in text.splitlines()]


def is_iob_tag(tag: str) -> bool:
    """An IOB2 (or IOBES) tag: ``O`` or a prefix and a type."""
    return tag == "O" or (tag[:2] in ("B-", "I-", "E-", "S-") and len(tag) > 2)


def read_conll(path: Path) -> list[Sentence]:
    """Sentences of a CoNLL-style file: ``token ... tag`` per line, blank line between sentences
    (``-DOCSTART-`` lines skipped); the tag is the last column."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(text_lines(path), start=1):
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        parts = line.split()
        if parts[0] == "-DOCSTART-":
            continue
        if len(parts) < 2:
            raise DataError(f"{path}:{number}: expected 'token ... tag', got {line.strip()!r}")
        tag = parts[-1]
        if not is_iob_tag(tag):
            raise DataError(f"{path}:{number}: {tag!r} is not an IOB2 tag")
        tokens.append(parts[0])
        tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    if not sentences:
        raise DataError(f"{path} holds no sentences")
    return sentences
