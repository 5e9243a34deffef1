"""What many test files need: the checkout's paths, the run folders an ``evals`` command wrote,
"skip here, fail in CI" for what CI always has (data, bubblewrap, chromium, Ray), and stored
runs held in memory, typed as the run store reads them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from evals.decision import Estimate
from evals.models.loading import VariantIdentity
from evals.models.objective import Objective
from evals.runs.folder import SCHEMA_VERSION
from evals.runs.results import RunResults, UseCaseResult
from evals.runs.store import StoredRun

REPO = Path(__file__).resolve().parent.parent
"""The repository root (this checkout)."""
TASKS_DIR = REPO / "tasks"
SHARED_DATA = (REPO.parent if REPO.name == "mutants" else REPO).parent / "shared" / "data"
"""``../shared/data``: the real benchmark files, beside the checkout (`make mutation` runs the
tests from a copy in ``mutants/``, one folder deeper: without this every test that reads the
real data was skipped there, and the mutants only it catches counted as survivors)."""

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


# --- skip here, fail in CI -----------------------------------------------------------------------


def in_ci() -> bool:
    """CI sets ``CI=true``: what a developer's machine may lack, CI must have."""
    return bool(os.environ.get("CI"))


def require(condition: bool, reason: str, *, module: bool = False) -> None:
    """Skip the calling test when ``condition`` is false, or fail it when CI is set: CI has
    everything the suite needs, so a missing tool or file there is a failure, never a skip.
    ``module=True``: at a test module's top level (skips or fails the whole module)."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a failure there, not a skip)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def requires(condition: bool, reason: str) -> pytest.MarkDecorator:
    """:func:`require` as a mark (``@requires(...)`` or in ``pytestmark``), checked when each
    marked test is set up (tests/conftest.py ``pytest_runtest_setup``)."""
    return pytest.mark.requires(condition, reason)


def stored_use_case(
    use_case: str,
    values: Sequence[float],
    *,
    metric: str = "accuracy",
    reducer: str = "mean",
    value: float | None = None,
    ci: tuple[float, float] | None = None,
    **fields: Any,
) -> UseCaseResult:
    """A use case as the runner stores one: the primary metric is the mean of ``values``
    (or ``value``), with the interval ``ci`` (None: no interval); ``fields`` set the rest."""
    mean = float(sum(values) / len(values)) if value is None else value
    low, high = ci if ci is not None else (math.nan, math.nan)
    estimate = Estimate(mean, low, high, len(values), method="wilson" if ci else "none")
    defaults: dict[str, Any] = {
        "invalid_rate": 0.0,
        "prompt_mode": "chat",
        "num_fewshot": 0,
        "task_version": "1",
        "data_sha256": "d",
        "config_sha256": "c",
        "generation": {},
        "model_fingerprint": "",
        "seconds": 0.0,
        "tasks": (use_case,),
        "samples_files": (f"samples_{use_case}.jsonl",),
    }
    return UseCaseResult(
        use_case=use_case,
        primary_metric=metric,
        primary_reducer=reducer,
        metrics={metric: estimate},
        n=len(values),
        **{**defaults, **fields},
    )


def memory_run(
    folder: Path,
    entries: Mapping[str, UseCaseResult],
    samples: Mapping[str, list[dict[str, Any]]],
    *,
    name: str | None = None,
    fingerprint: str | None = None,
    objective: str = "instruct",
    prompt_mode: str = "chat",
    created_utc: str = "",
    **model: Any,
) -> StoredRun:
    """A finished run held in memory (nothing written): typed results, given samples."""
    identity = VariantIdentity(
        name=name or folder.name,
        objective=Objective(objective),
        objective_source="name",
        has_chat_template=prompt_mode == "chat",
        spec=str(model.pop("spec", folder.name)),
        backend=str(model.pop("backend", "hf")),
        model_hash=str(model.pop("model_hash", folder.name)),
        **model,
    )
    results = RunResults(
        model=identity,
        model_fingerprint=fingerprint or identity.fingerprint,
        prompt_mode=prompt_mode,
        limit=None,
        created_utc=created_utc,
        use_cases=dict(entries),
        schema_version=SCHEMA_VERSION,
        complete=True,
    )
    return StoredRun(folder, results, {k: list(v) for k, v in samples.items()})
