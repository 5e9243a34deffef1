"""Publishing from stored results alone (``evals report``, ``evals site``, ``make site``).

Nothing here loads, converts or fingerprints a model or reads a data set: a family's matrix and
page are rebuilt from the run folders its stored matrix names
(``reports/families/<name>/matrix.json``), and the leaderboard reads the run store. A family
file with no stored matrix, or none of whose runs is still stored, is listed as *not evaluated
yet* with the command that would evaluate it, never published as an empty page. Which stored
run serves which variant is decided once, by ``evals matrix`` (:mod:`evals.matrix.build`), the
only command that resolves model specs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.matrix.family import FamilyError, family_to_dict, load_family
from evals.matrix.verdicts import Column, build_matrix
from evals.runs.store import RunFolderError, StoredRun, load_run


@dataclass(frozen=True)
class PendingFamily:
    """A family with nothing to publish yet, and how to evaluate it."""

    name: str
    title: str
    command: str
    """The command that evaluates it (``make matrix FAMILY=families/x.yaml``)."""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (the leaderboard's ``pending`` list)."""
        return {"name": self.name, "title": self.title, "command": self.command}


@dataclass(frozen=True)
class StoredFamily:
    """A family rebuilt from the runs its stored matrix names."""

    matrix: dict[str, Any]
    columns: list[Column]


def stored_matrices(reports_root: Path) -> dict[str, dict[str, Any]]:
    """Every readable ``reports/families/*/matrix.json`` by family name."""
    found = {}
    for path in sorted((reports_root / "families").glob("*/matrix.json")):
        try:
            matrix = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        family = matrix.get("family") if isinstance(matrix, dict) else None
        if isinstance(family, dict) and "name" in family:
            found[str(family["name"])] = matrix
    return found


def _stored_run(entry: Mapping[str, Any], runs_root: Path) -> StoredRun | None:
    """The run a matrix column names: at its recorded folder, else at the same
    ``<variant>/<timestamp>`` under ``runs_root`` (a store moved or checked out elsewhere)."""
    folder = Path(str(entry.get("run_folder") or ""))
    for candidate in (folder, runs_root / folder.parent.name / folder.name):
        try:
            return load_run(candidate)
        except RunFolderError:
            continue
    return None


def stored_columns(matrix: Mapping[str, Any], runs_root: Path) -> tuple[list[Column], list[str]]:
    """The columns of a stored matrix whose runs are still stored, and the keys of the rest."""
    columns, missing = [], []
    for entry in matrix.get("columns") or []:
        run = _stored_run(entry, runs_root)
        if run is None:
            missing.append(str(entry["key"]))
            continue
        designated = bool(entry.get("designated", True))
        columns.append(
            Column(
                str(entry["key"]),
                str(entry["variant"]),
                str(entry["objective"]),
                str(entry["prompt_mode"]),
                run,
                designated,
            )
        )
    return columns, missing


def rebuild_family(matrix: Mapping[str, Any], runs_root: Path) -> StoredFamily:
    """The family's matrix recomputed from its stored runs (none stored: a matrix with no
    column, which the index lists as not evaluated yet)."""
    columns, gone = stored_columns(matrix, runs_root)
    use_cases = [str(row["use_case"]) for row in matrix.get("rows") or []]
    rebuilt = (
        build_matrix(columns, use_cases, alpha=float(matrix.get("alpha", 0.05)))
        if columns
        else {"columns": [], "rows": []}
    )
    rebuilt["family"] = matrix["family"]
    rebuilt["missing_columns"] = sorted({*(matrix.get("missing_columns") or []), *gone})
    return StoredFamily(rebuilt, columns)


def _family_files(families_dir: Path | None, strict: bool) -> dict[str, tuple[Path, dict]]:
    """Family files by family name: (path, the family as ``family_to_dict`` writes it)."""
    found: dict[str, tuple[Path, dict]] = {}
    if families_dir is None or not families_dir.is_dir():
        return found
    for path in sorted(families_dir.glob("*.yaml")):
        try:
            family = load_family(path)
        except FamilyError as err:
            if strict:
                raise
            print(f"warning: {err} (not listed on the leaderboard)", file=sys.stderr)
            continue
        found[family.name] = (path, family_to_dict(family))
    return found


def _adhoc_command(family: Mapping[str, Any]) -> str:
    models = " ".join(str(v.get("model", "")) for v in family.get("variants") or [])
    return f'make matrix MODELS="{models}"'


def pending_families(
    reports_root: Path, families_dir: Path | None, *, strict: bool = True
) -> list[PendingFamily]:
    """Families with nothing to publish: family files with no stored matrix holding a column,
    and stored matrices with no column (each with the command that would evaluate it)."""
    matrices = stored_matrices(reports_root)
    files = _family_files(families_dir, strict)
    pending = []
    for name in sorted({*files, *matrices}):
        matrix = matrices.get(name)
        if matrix is not None and matrix.get("columns"):
            continue
        family = files[name][1] if name in files else (matrix or {}).get("family", {})
        command = (
            f"make matrix FAMILY={files[name][0]}" if name in files else _adhoc_command(family)
        )
        pending.append(PendingFamily(name, str(family.get("title") or name), command))
    return pending


def changed_family_files(
    matrices: Mapping[str, Mapping[str, Any]], families_dir: Path | None
) -> dict[str, str]:
    """Families whose file now lists other variants than its stored matrix was built from, with
    the command that brings the matrix up to date."""
    changed = {}
    for name, (path, family) in _family_files(families_dir, strict=True).items():
        stored = (matrices.get(name) or {}).get("family") or {}
        if stored and stored.get("variants") != family["variants"]:
            changed[name] = f"make matrix FAMILY={path}"
    return changed


def rebuild_stored_families(
    runs_root: Path, reports_root: Path, families_dir: Path | None
) -> dict[str, StoredFamily]:
    """Every stored family matrix recomputed from its stored runs."""
    matrices = stored_matrices(reports_root)
    changed = changed_family_files(matrices, families_dir)
    out = {}
    for name, matrix in matrices.items():
        family = rebuild_family(matrix, runs_root)
        if name in changed:
            family.matrix["update_command"] = changed[name]
        out[name] = family
    return out


def pending_lines(pending: Sequence[PendingFamily]) -> list[str]:
    """What ``evals site`` prints for families with nothing to publish."""
    return [f"not evaluated yet: {p.name} ({p.command})" for p in pending]


def write_matrix_files(
    reports_root: Path, matrix: Mapping[str, Any], *, latest: bool
) -> dict[str, Path]:
    """A family's ``matrix.json`` and ``matrix.md`` (and, with ``latest``, the copies at
    ``reports/matrix.{json,md}`` that name the last family built); the caller holds the
    reports lock."""
    from evals.files import atomic_write_text, write_json
    from evals.matrix.verdicts import matrix_markdown

    family = matrix["family"]
    folder = reports_root / "families" / str(family["name"])
    markdown = (
        matrix_markdown(dict(matrix), family["title"])
        if matrix["columns"]
        else f"## {family['title']}\n\nNo runs.\n"
    )
    paths = {"family_matrix": folder / "matrix.json", "family_markdown": folder / "matrix.md"}
    if latest:
        paths |= {"matrix": reports_root / "matrix.json", "markdown": reports_root / "matrix.md"}
    for key, path in paths.items():
        if key.endswith("matrix"):
            write_json(path, matrix)
        else:
            atomic_write_text(path, markdown)
    return paths


def publish_gate_pages(reports_root: Path, site_dir: Path) -> list[dict[str, Any]]:
    """Copy each stored gate's run-vs-run page (``reports/gate/*/run-diff.html``, beside its
    ``gate-verdict.json``) into the site as ``gate-<folder>.html``; returns the index's links
    (page, status, candidate, baseline), newest first."""
    import shutil

    from evals.files import slugify

    found = []
    for verdict_path in (reports_root / "gate").glob("*/gate-verdict.json"):
        page = verdict_path.parent / "run-diff.html"
        try:
            verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
            names = (verdict["candidate"]["model"]["name"], verdict["baseline"]["model"]["name"])
            status = str(verdict["status"])
            stamp = verdict_path.stat().st_mtime
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an unfinished or foreign folder: not linked
        if not page.is_file():
            continue
        name = f"gate-{slugify(verdict_path.parent.name)}.html"
        shutil.copyfile(page, site_dir / name)
        found.append(
            (
                stamp,
                {
                    "page": name,
                    "status": status,
                    "candidate": str(names[0]),
                    "baseline": str(names[1]),
                },
            )
        )
    return [link for _, link in sorted(found, key=lambda pair: -pair[0])]
