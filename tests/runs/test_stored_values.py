"""What a run writes reads back as the same typed value: each ``from_dict`` sits beside its
``to_dict`` and inverts it (NaN for an undefined value included)."""

from __future__ import annotations

import json
import math

from evals.decision import Estimate
from evals.models.loading import VariantIdentity
from evals.models.objective import Objective
from evals.runs.results import UseCaseResult


def _json(value: dict) -> dict:  # what a file holds: no tuples, no NaN
    return json.loads(json.dumps(value, allow_nan=False))


def test_an_estimate_reads_back_undefined_values_too() -> None:
    for estimate in (
        Estimate(41.2, 30.0, 52.5, 64, "wilson-clustered", 16),
        Estimate(math.nan, math.nan, math.nan, 0, "none"),
        Estimate(100.0, math.nan, math.nan, 1, "constant"),
    ):
        again = Estimate.from_dict(_json(estimate.to_dict()))
        assert again.to_dict() == estimate.to_dict()
        assert math.isnan(again.value) == math.isnan(estimate.value)


def test_an_identity_reads_back_with_the_same_fingerprint() -> None:
    identity = VariantIdentity(
        name="m-instruct",
        objective=Objective.INSTRUCT,
        objective_source="name",
        has_chat_template=True,
        spec="org/m-instruct@abc",
        backend="hf",
        model_args={"pretrained": "org/m-instruct", "revision": "abc"},
        model_hash="org/m-instruct@abc",
        chat_template_sha256="t" * 64,
    )
    again = VariantIdentity.from_dict(_json(identity.to_dict()))
    assert again == identity and again.fingerprint == identity.fingerprint


def test_a_use_case_result_reads_back_whole() -> None:
    result = UseCaseResult(
        use_case="qa",
        primary_metric="f1",
        primary_reducer="mean",
        metrics={
            "f1": Estimate(41.0, 30.0, 52.0, 64, "bca", 16),
            "exact": Estimate(math.nan, math.nan, math.nan, 0, "none"),
        },
        invalid_rate=3.1,
        n=64,
        prompt_mode="chat",
        num_fewshot=0,
        task_version="1.0",
        data_sha256="d" * 64,
        config_sha256="c" * 64,
        generation={"max_gen_toks": 32},
        model_fingerprint="f" * 16,
        seconds=12.5,
        tasks=("qa",),
        samples_files=("samples_qa.jsonl",),
        skipped_tasks={},
        group="qa",
        dataset={"name": "bundled"},
        judge=None,
        interval_unit="passage",
        clusters=16,
        baselines={"strongest": "unanswerable"},
    )
    again = UseCaseResult.from_dict(_json(result.to_dict()))
    assert again.to_dict() == result.to_dict()
    assert again.fingerprint == result.fingerprint
