"""Run folders: where a run's files go and how a run in progress becomes a finished one (how
every file is written — whole, under locks, errors named — is :mod:`evals.files`).

Layout: ``reports/runs/<variant-slug>/<timestamp>-<random>/`` holding ``results.json`` and one
``samples_<task>.jsonl`` per task. The folder is written as ``<name>.partial/`` and renamed
only when the run completes, so an interrupted run never leaves a results file that looks
complete; what it finished stays in the partial folder (samples and ``results.partial.json``).

Concurrent writers: a run folder is created by one ``mkdir`` that fails if the name is taken
(so two runs started in the same second never share one), every file is written whole
(:func:`evals.files.atomic_write_text`), and files several processes rewrite (the reports'
matrix and index, a converted GGUF folder) are written under :func:`evals.files.file_lock`. A
file that cannot be written (permission denied, disk full, a file where a folder should be)
raises :class:`evals.errors.OutputError` naming the path.

What a run measured (the values written into ``results.json``) is :mod:`evals.runs.results`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evals.files import atomic_write_text, jsonable, output_error, slugify, write_json

RESULTS_FILE = "results.json"
PARTIAL_RESULTS_FILE = "results.partial.json"
SCHEMA_VERSION = 4  # 4: run_spec.json; 3: clusters, interval methods and trivial baselines


class RunFolder:
    """A run folder being written; renamed from ``.partial`` when :meth:`finish` is called.

    Its name is the UTC second the run started plus a random number, as in
    ``20250101T120000Z-042137``: names sort by time, and the folder is made by one ``mkdir`` that
    fails if the name exists, so runs started together (threads or processes) never share one."""

    def __init__(self, runs_root: Path, variant_name: str) -> None:
        parent = runs_root / slugify(variant_name)
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise output_error(err, parent) from None
        while True:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            name = f"{stamp}-{secrets.randbelow(1_000_000):06d}"
            path = parent / f"{name}.partial"
            if (parent / name).exists():
                continue  # taken by a finished run (its .partial was renamed away)
            try:
                path.mkdir()
            except FileExistsError:
                continue  # another run took this name first: draw again
            except OSError as err:
                raise output_error(err, path) from None
            break
        self.final_path = parent / name
        self.path = path

    def write_samples(self, task: str, records: Sequence[Mapping[str, Any]]) -> str:
        """Write one task's samples JSONL; returns its name relative to the folder."""
        name = f"samples_{task}.jsonl"
        text = "".join(json.dumps(r, ensure_ascii=False, default=jsonable) + "\n" for r in records)
        atomic_write_text(self.path / name, text)
        return name

    def write_progress(self, results: Mapping[str, Any]) -> None:
        """Record what has finished so far (kept if the run dies)."""
        write_json(self.path / PARTIAL_RESULTS_FILE, results)

    def finish(self, results: Mapping[str, Any]) -> Path:
        """Write ``results.json`` and give the folder its final name."""
        write_json(self.path / RESULTS_FILE, results)
        try:
            (self.path / PARTIAL_RESULTS_FILE).unlink(missing_ok=True)
            self.path.rename(self.final_path)
        except OSError as err:
            raise output_error(err, self.final_path) from None
        self.path = self.final_path
        return self.final_path


def load_results(run_folder: Path) -> dict[str, Any]:
    """Read a finished run's ``results.json``."""
    path = run_folder / RESULTS_FILE
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return results
