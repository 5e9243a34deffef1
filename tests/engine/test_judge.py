"""MT-Bench judging: strict rating parsing, the right template per turn and category, and a
judged run whose unparseable judgments are counted, not scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.benchmarks.sources import DataSource
from evals.engine.judge import Judge, load_judge_prompts, parse_rating
from evals.engine.runner import RunSettings, run_evaluation
from evals.models.loading import LoadedModel, VariantIdentity, load_model
from evals.models.objective import Objective
from evals.models.spec import parse_model_spec
from evals.usecases import select_use_cases
from tests.conftest import shared_data


@pytest.mark.parametrize(
    ("judgment", "rating"),
    [
        ("The answer is fine. Rating: [[7]]", 7.0),
        ("Rating: [[3.5]] and later [[9]]", 3.5),
        ("[[10]]", 10.0),
        ("Rating: [[11]]", None),
        ("Rating: [[0]]", None),
        ("Rating: [7]", None),
        ("Rating: 7/10", None),
        ("", None),
        ("[[seven]]", None),
    ],
)
def test_ratings_are_parsed_strictly(judgment: str, rating: float | None) -> None:
    assert parse_rating(judgment) == rating


def _prompts() -> dict:
    return load_judge_prompts(shared_data("mt_bench", "judge_prompts.jsonl"))


def _turns(*replies: str) -> list[dict[str, Any]]:
    return [{"raw_output": r} for r in replies]


def test_reference_guided_templates_for_math_reasoning_and_coding() -> None:
    unit = select_use_cases("mt_bench", data_source=DataSource("local", shared_data()))[0]
    hooks = unit.dialogues.hooks
    prompts = _prompts()
    turns = [{"user": "Q1", "reference": "R1"}, {"user": "Q2", "reference": "R2"}]
    math = {"id": "m", "category": "math", "turns": turns}
    first, second = hooks.judge_requests(math, _turns("A1", "A2"), prompts)
    assert first.template == "single-math-v1" and "R1" in first.user and "A1" in first.user
    assert second.template == "single-math-v1-multi-turn"
    assert all(x in second.user for x in ("Q1", "Q2", "A1", "A2", "R1", "R2"))
    writing = {"id": "w", "category": "writing", "turns": [{"user": "Q1"}, {"user": "Q2"}]}
    first, second = hooks.judge_requests(writing, _turns("A1", "A2"), prompts)
    assert (first.template, second.template) == ("single-v1", "single-v1-multi-turn")
    assert "[[rating]]" in first.user and "Reference" not in first.user


def test_golden_context_is_shown_to_the_judge() -> None:
    unit = select_use_cases("mt_bench_101", data_source=DataSource("local", shared_data()))[0]
    hooks = unit.dialogues.hooks
    dialogue = {
        "id": "g",
        "category": "CM",
        "turns": [
            {"user": "U1", "golden": "G1", "reference": "G1"},
            {"user": "U2", "golden": "G2", "reference": "G2"},
        ],
    }
    requests = hooks.judge_requests(dialogue, _turns("M1", "M2"), _prompts())
    assert [r.template for r in requests] == ["single-v1", "single-v1"]
    assert "G1" in requests[1].user and "U2" in requests[1].user and "M2" in requests[1].user
    assert "M1" not in requests[1].user


class ScriptedLM:
    """A judge that answers from a script (so ratings are known), for any prompt."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.prompts: list[str] = []

    def generate_until(self, requests: list[Any]) -> list[str]:
        self.prompts += [r.args[0] for r in requests]
        return [self.answers[i % len(self.answers)] for i in range(len(requests))]


def test_judged_run_scores_parsed_ratings_and_counts_the_rest(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    model = load_model(parse_model_spec(str(tiny_chat_model)), batch_size=4)
    identity = VariantIdentity("scripted-judge", Objective.CHAT, "override", False, "script", "x")
    script = ScriptedLM(["Good. Rating: [[8]]", "Rating: [[4]]", "no rating here"])
    judge = Judge(LoadedModel(script, identity, parse_model_spec("default")), max_tokens=32)
    use_cases = select_use_cases("mt_bench", data_source=DataSource("local", shared_data()))
    settings = RunSettings(limit=3, runs_root=tmp_path, judge=judge)
    outcome = run_evaluation(model, use_cases, settings)
    (result,) = outcome.use_cases
    assert result.primary_metric == "rating" and result.judge is not None
    assert result.judge["name"] == "scripted-judge" and result.judge["max_tokens"] == 32
    # 3 dialogues x 2 turns = 6 judgments cycling [[8]], [[4]], unparseable.
    assert len(script.prompts) == 6 and script.prompts[0].endswith("Judgment:")
    assert result.metrics["rating"].value == pytest.approx((8 + 4 + 8 + 4) / 4)
    assert result.metrics["unparseable_judgments"].value == pytest.approx(100 * 2 / 6)
    samples = [json.loads(x) for x in (outcome.folder / result.samples_files[0]).open()]
    judgments = [t["judge"] for s in samples for t in s["turns"]]
    assert [j["rating"] for j in judgments] == [8.0, 4.0, None, 8.0, 4.0, None]
    assert judgments[2]["judgment"] == "no rating here"


def test_table_says_unscored_instead_of_zero() -> None:
    from evals.decision import Estimate
    from evals.runs.results import UseCaseResult
    from evals.runs.table import format_table

    nan = float("nan")
    result = UseCaseResult(
        use_case="mt_bench",
        primary_metric="rating",
        primary_reducer="mean",
        metrics={
            "rating": Estimate(nan, nan, nan, 3),
            "unparseable_judgments": Estimate(100.0, 100.0, 100.0, 3),
            "unscored": Estimate(100.0, 100.0, 100.0, 3),
        },
        invalid_rate=0.0,
        n=3,
        prompt_mode="chat",
        num_fewshot=0,
        task_version="1.0",
        data_sha256="d",
        config_sha256="c",
        generation={},
        model_fingerprint="m",
        seconds=1.0,
        tasks=("mt_bench",),
        judge={"name": "judge-x", "fingerprint": "f"},
    )
    table = format_table([result])
    row = next(line for line in table.splitlines() if line.startswith("mt_bench "))
    assert " - " in row and "no scored item" in row and "0.0  [" not in row
    assert "mt_bench: judged by judge-x; unparseable judgments 100.0%" in table
    assert "mt_bench: 100.0% of items unscored (no valid judgment)" in table
