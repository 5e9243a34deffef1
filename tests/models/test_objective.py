import pytest

from evals.errors import ModelSpecError
from evals.models.objective import Objective, objective_from_name, parse_objective


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Llama-2-13b", Objective.BASE),
        ("Llama-2-13b-chat-hf", Objective.CHAT),
        ("Mistral-7B-Instruct-v0.2", Objective.INSTRUCT),
        ("gemma-2-9b-it", Objective.INSTRUCT),
        ("SmolLM2-135M-Instruct", Objective.INSTRUCT),
        ("CodeLlama-7b-Instruct-hf", Objective.CODE),
        ("deepseek-coder-6.7b-base", Objective.CODE),
        ("Qwen2.5-Coder-7B", Objective.CODE),
        ("CodeLlama-13b-Python-hf", Objective.CODE),
        ("gemma-3-270m", Objective.BASE),
        ("pythia-410m", Objective.BASE),  # "python" must be a whole word, not a prefix
        ("zephyr-7b-beta", Objective.BASE),
    ],
)
def test_objective_read_from_name(name: str, expected: Objective) -> None:
    assert objective_from_name(name) is expected


def test_override_parses_and_rejects() -> None:
    assert parse_objective(" Chat ") is Objective.CHAT
    with pytest.raises(ModelSpecError, match="unknown objective"):
        parse_objective("rlhf")
