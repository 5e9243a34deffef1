from pathlib import Path

import pytest

from evals.errors import ModelSpecError
from evals.models.spec import EMBEDDED_NAME, parse_model_args, parse_model_spec


def test_default_is_the_embedded_gguf() -> None:
    for raw in ("", "default", None):
        spec = parse_model_spec(raw)
        assert spec.source == "embedded"
        assert spec.backend == "hf"
        assert spec.name == EMBEDDED_NAME
        assert spec.gguf_path is not None and spec.gguf_path.suffix == ".gguf"
        assert spec.gguf_path.is_file()


def test_local_folder_with_extra_args(tiny_chat_model: Path) -> None:
    spec = parse_model_spec(str(tiny_chat_model), "dtype=bfloat16,trust_remote_code=True")
    assert (spec.source, spec.backend, spec.name) == ("folder", "hf", "tiny-gpt2-instruct")
    assert spec.model_args == {
        "pretrained": str(tiny_chat_model.resolve()),
        "dtype": "bfloat16",
        "trust_remote_code": True,
    }


def test_gguf_file(tmp_path: Path) -> None:
    gguf = tmp_path / "Llama-2-13b-chat.Q4_K_M.gguf"
    gguf.write_bytes(b"GGUF")
    spec = parse_model_spec(str(gguf))
    assert spec.source == "gguf" and spec.gguf_path == gguf.resolve()
    assert spec.name == "Llama-2-13b-chat"


def test_hub_id_with_revision() -> None:
    spec = parse_model_spec("HuggingFaceTB/SmolLM2-135M@abc123")
    assert spec.source == "hub"
    assert spec.model_args == {"pretrained": "HuggingFaceTB/SmolLM2-135M", "revision": "abc123"}
    assert spec.name == "SmolLM2-135M@abc123"  # two revisions are two columns, never one


@pytest.mark.parametrize(
    ("raw", "backend", "url"),
    [
        (
            "openai-chat:http://127.0.0.1:8000/v1@smol-chat",
            "local-chat-completions",
            "http://127.0.0.1:8000/v1/chat/completions",
        ),
        (
            "openai-completions:http://127.0.0.1:8000/v1/@smol",
            "local-completions",
            "http://127.0.0.1:8000/v1/completions",
        ),
        (
            "http://localhost:8080/v1/chat/completions@m",
            "local-chat-completions",
            "http://localhost:8080/v1/chat/completions",
        ),
        (
            "http://localhost:8080/v1/completions@m",
            "local-completions",
            "http://localhost:8080/v1/completions",
        ),
    ],
)
def test_server_specs(raw: str, backend: str, url: str) -> None:
    spec = parse_model_spec(raw)
    assert spec.source == "server" and spec.backend == backend
    assert spec.model_args["base_url"] == url
    assert spec.is_server
    assert spec.is_chat_api == (backend == "local-chat-completions")


def test_server_model_name_from_extra_args() -> None:
    spec = parse_model_spec("openai-chat:http://127.0.0.1:9/v1", "model=gpt-x")
    assert spec.model_args["model"] == "gpt-x" and spec.name == "gpt-x"


def test_raw_lm_eval_form_is_an_escape_hatch() -> None:
    spec = parse_model_spec("hf:pretrained=/models/x-13b-instruct,dtype=float16,max_length=4096")
    assert spec.source == "lm-eval" and spec.backend == "hf"
    assert spec.model_args == {
        "pretrained": "/models/x-13b-instruct",
        "dtype": "float16",
        "max_length": 4096,
    }
    assert spec.name == "x-13b-instruct"
    vllm = parse_model_spec("vllm:pretrained=org/model-chat,tensor_parallel_size=2")
    assert vllm.backend == "vllm" and vllm.name == "model-chat"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("./no/such/folder", "model path not found"),
        ("/tmp/definitely-missing.gguf", "GGUF file not found"),
        ("not a spec!", "unknown model spec"),
        ("openai-chat:http://127.0.0.1:8000/v1", "names no model"),
        ("http://127.0.0.1:8000/v1@m", "cannot tell the API"),
        ("hf:pretrained", "unknown model spec"),
    ],
)
def test_bad_specs_give_one_clear_error(raw: str, message: str) -> None:
    with pytest.raises(ModelSpecError, match=message) as info:
        parse_model_spec(raw)
    assert "\n" not in str(info.value)


def test_folder_without_config_and_non_gguf_file(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match=r"no config\.json"):
        parse_model_spec(str(tmp_path))
    weights = tmp_path / "weights.txt"
    weights.write_text("x")
    with pytest.raises(ModelSpecError, match=r"not a \.gguf"):
        parse_model_spec(str(weights))


def test_model_args_parsing() -> None:
    assert parse_model_args("a=1, b=2.5,c=true,d=x") == {"a": 1, "b": 2.5, "c": True, "d": "x"}
    with pytest.raises(ModelSpecError, match="key=value"):
        parse_model_args("dtype")
