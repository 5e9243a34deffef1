"""Finished run folders read back: results plus per-item samples, for the gate and the matrix."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import EvalsError
from evals.runs.folder import PARTIAL_RESULTS_FILE, RESULTS_FILE, SCHEMA_VERSION
from evals.runs.results import RunResults, UseCaseResult
from evals.runs.spec import RUN_SPEC_FILE, RunSpec


class RunFolderError(EvalsError):
    """A run folder is missing, unfinished or corrupt."""


@dataclass
class StoredRun:
    """A finished run: its ``results.json`` and, loaded on demand, its samples."""

    folder: Path
    """The run folder."""

    results: RunResults
    """``results.json``, read typed."""

    _samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def variant(self) -> str:
        """Display name of the variant."""
        return self.results.model.name

    @property
    def run_spec(self) -> RunSpec:
        """The run's ``run_spec.json``: what makes it comparable (:mod:`evals.runs.spec`)."""
        if "_run_spec" not in self.__dict__:
            path = self.folder / RUN_SPEC_FILE
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self.__dict__["_run_spec"] = RunSpec.from_dict(raw)
            except FileNotFoundError:
                raise RunFolderError(f"{path} is missing: evaluate again") from None
            except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
                raise RunFolderError(f"{path} is corrupt ({err})") from None
        spec: RunSpec = self.__dict__["_run_spec"]
        return spec

    @property
    def use_cases(self) -> dict[str, UseCaseResult]:
        """Per-use-case results."""
        return self.results.use_cases

    def samples(self, use_case: str) -> list[dict[str, Any]]:
        """Sample records of a use case's primary task (the first samples file)."""
        if use_case not in self._samples:
            entry = self.use_cases[use_case]
            if not entry.samples_files:
                raise RunFolderError(f"{self.folder}: no samples recorded for {use_case}")
            path = self.folder / entry.samples_files[0]
            self._samples[use_case] = _read_samples(path)
        return self._samples[use_case]


def _read_samples(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise RunFolderError(f"samples file missing: {path}")
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise RunFolderError(f"{path}:{number}: corrupt samples line") from None
            if not isinstance(record, dict) or "scores" not in record or "doc_hash" not in record:
                raise RunFolderError(f"{path}:{number}: sample record lacks scores or doc_hash")
            records.append(record)
    return records


def load_run(folder: Path) -> StoredRun:
    """Read a finished run folder; one clear error for anything else."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"run folder not found: {folder}")
    path = folder / RESULTS_FILE
    if folder.name.endswith(".partial"):  # a crash between results.json and the rename
        raise RunFolderError(f"{folder} is an unfinished run (its folder was never renamed)")
    if not path.is_file():
        if (folder / PARTIAL_RESULTS_FILE).is_file():
            raise RunFolderError(f"{folder} is an unfinished run (no {RESULTS_FILE})")
        raise RunFolderError(f"{folder} holds no {RESULTS_FILE}")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path} is corrupt ({err})") from None
    if not isinstance(results, dict):
        raise RunFolderError(f"{path} is corrupt (not a JSON object)")
    if results.get("schema_version") != SCHEMA_VERSION:
        raise RunFolderError(
            f"{path} has schema version {results.get('schema_version')} (this suite writes "
            f"{SCHEMA_VERSION}): evaluate again"
        )
    missing = [k for k in ("model", "use_cases", "prompt_mode") if k not in results]
    if missing or not results.get("complete"):
        reason = f"lacks {', '.join(missing)}" if missing else "is not marked complete"
        raise RunFolderError(f"{path} {reason}")
    try:
        typed = RunResults.from_dict(results)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise RunFolderError(f"{path} is corrupt ({type(err).__name__}: {err})") from None
    return StoredRun(folder=folder, results=typed)


def find_runs(runs_root: Path) -> list[StoredRun]:
    """Every finished run under ``runs_root`` (``<variant>/<timestamp>/``), oldest first."""
    found = []
    for path in sorted(runs_root.glob(f"*/*/{RESULTS_FILE}")):
        try:
            found.append(load_run(path.parent))
        except RunFolderError:
            continue
    return sorted(found, key=lambda r: r.results.created_utc)
