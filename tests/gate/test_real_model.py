"""The gate on the real embedded model: against itself, re-run with the request cache off, the
outputs are identical and no use case regresses; against a copy with seeded noise in its
weights (scripts/perturb_model.py) it finds the regression."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from evals.cli import main
from tests.helpers import REPO, only_run

pytestmark = pytest.mark.real_model
LIMIT = "12"
"""Items per use case where the gate must find a regression (summarization)."""
SELF_LIMIT = "6"
"""Items per use case for the determinism check on all six use cases (each run twice)."""
POLICY = "use_cases:\n  default: {max_drop: 2.0, min_n: 5}\n"


@pytest.fixture(autouse=True)
def _user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALS_CACHE_DIR")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate-real")
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    runs = root / "runs"
    # Computed, not replayed: cached answers may come from runs that batched other items.
    os.environ["EVALS_REQUEST_CACHE"] = "off"
    try:
        assert main(["eval", "--limit", SELF_LIMIT, "--output", str(runs)]) == 0
    finally:
        os.environ.pop("EVALS_REQUEST_CACHE")
    baseline = only_run(runs)
    return {"root": root, "policy": policy, "runs": runs, "baseline": baseline}


def run_gate(ws: dict[str, Path], candidate: str, name: str) -> tuple[int, dict]:
    out = ws["root"] / name
    code = main(
        [
            "gate",
            "--candidate",
            candidate,
            "--baseline",
            str(ws["baseline"]),
            "--policy",
            str(ws["policy"]),
            "--out",
            str(out),
            "--output",
            str(ws["runs"]),
        ]
    )
    return code, json.loads((out / "gate-verdict.json").read_text())


def test_embedded_model_against_itself_is_deterministic_and_never_regresses(
    workspace: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-evaluated from scratch (cache off): the same outputs, so every difference is exactly
    zero; 6 items cannot show that nothing moved by 2 points, so every use case says so."""
    monkeypatch.setenv("EVALS_REQUEST_CACHE", "off")
    code, verdict = run_gate(workspace, "default", "self")
    found = {u["use_case"]: u["verdict"] for u in verdict["use_cases"]}
    assert found == dict.fromkeys(
        ("chat", "code", "ner", "qa", "sentiment", "summarization"), "UNDERPOWERED"
    )
    assert code == 0 and verdict["status"] == "UNDERPOWERED"
    assert all(u["test"]["difference"]["value"] == 0.0 for u in verdict["use_cases"])
    candidate = json.loads((Path(verdict["candidate"]["folder"]) / "results.json").read_text())
    assert not (candidate["requests"] or {}).get("from_cache")  # computed, not replayed
    summarization = next(u for u in verdict["use_cases"] if u["use_case"] == "summarization")
    assert summarization["min_detectable_drop"] > summarization["margin"]


def test_noisy_weights_are_a_regression(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Noise of 0.3 of each tensor's std breaks the model well beyond what 12 items can detect.
    (At 0.1 summarization drops 12.4 points, under the 14.9 that 12 items detect with 80% power,
    and the gate rightly answers UNDERPOWERED: a smaller damage needs more items, not a laxer
    test.) The gate evaluates the candidate on the baseline's use cases, so the baseline here is
    summarization alone, the use case the assertions read: the broken model's replies run to
    their token budget, and on all six use cases (code's 512 tokens a reply) they took most of
    the real-model tier's time."""
    sys.path.insert(0, str(REPO / "scripts"))
    from perturb_model import perturb

    from evals.models.gguf import converted_folder
    from evals.models.spec import embedded_model_path

    degraded = tmp_path / "SmolLM2-135M-Instruct-noise0.3"
    perturb(converted_folder(embedded_model_path()), degraded, noise=0.3, seed=0)
    (tmp_path / "policy.yaml").write_text(POLICY)
    runs = tmp_path / "runs"
    monkeypatch.setenv("EVALS_REQUEST_CACHE", "off")  # computed, not replayed
    assert main(["eval", "--tasks", "summarization", "--limit", LIMIT, "--output", str(runs)]) == 0
    ws = {
        "root": tmp_path,
        "policy": tmp_path / "policy.yaml",
        "runs": runs,
        "baseline": only_run(runs),
    }
    code, verdict = run_gate(ws, str(degraded), "degraded")
    assert [u["use_case"] for u in verdict["use_cases"]] == ["summarization"]
    by_case = {u["use_case"]: u for u in verdict["use_cases"]}
    print(
        "\ndegraded − baseline:",
        {k: round(u["test"]["difference"]["value"], 2) for k, u in by_case.items()},
    )
    print("verdicts:", {k: u["verdict"] for k, u in by_case.items()})
    assert code == 1 and verdict["passed"] is False
    assert by_case["summarization"]["verdict"] == "REGRESSION"
    summarization = by_case["summarization"]
    assert -summarization["test"]["difference"]["value"] > summarization["min_detectable_drop"]
    assert all(u["verdict"] != "IMPROVED" for u in verdict["use_cases"])
