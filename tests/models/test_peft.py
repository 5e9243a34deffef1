"""PEFT adapters as variants: a LoRA adapter trained for a few steps on the tiny GPT-2 loads
through lm-eval's hf backend (``peft=``), evaluates a use case, and its weights hash is part of
the variant's identity, so a retrained adapter is a different model."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from evals.cli import main
from evals.errors import ModelSpecError
from evals.models.identity import model_fingerprint
from evals.models.loading import load_model, predicted_spec_part
from evals.models.lora_train import (
    LoraSettings,
    TrainResult,
    compare_adapters,
    machine_type,
    portable_config,
    train_lora,
    weights_sha256,
)
from evals.models.objective import objective_from_name
from evals.models.peft import adapter_sha256, card_field
from evals.models.spec import parse_model_spec
from tests.helpers import REPO

PAIRS = [
    (
        f"Classify the sentiment of the text as positive or negative.\n\nText: {text}\nSentiment:",
        label,
    )
    for text, label in [
        ("a great film", "positive"),
        ("dull and slow", "negative"),
        ("I loved it", "positive"),
        ("a waste of time", "negative"),
    ]
    * 2
]


def _train(base: Path, out: Path, seed: int) -> TrainResult:
    settings = LoraSettings(seed=seed, batch_size=4, learning_rate=1e-2, threads=1)
    return train_lora(base, PAIRS, out, settings, base_spec=str(base))


@pytest.fixture(scope="module")
def adapters(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("adapters")
    return [
        _train(tiny_chat_model, root / name, seed).adapter
        for name, seed in (("lora-a", 0), ("lora-b", 1), ("lora-a-again", 0))
    ]


def test_training_is_seeded_and_writes_a_loss_curve(adapters: list[Path]) -> None:
    first, other, again = adapters
    assert (first / "adapter_model.safetensors").read_bytes() == (
        again / "adapter_model.safetensors"
    ).read_bytes()
    assert (first / "adapter_model.safetensors").read_bytes() != (
        other / "adapter_model.safetensors"
    ).read_bytes()
    rows = (first / "loss.csv").read_text().splitlines()
    assert rows[0] == "step,loss" and len(rows) == 1 + 2  # 8 pairs, batches of 4


def test_a_retrained_adapter_is_compared_tensor_by_tensor(
    adapters: list[Path], tmp_path: Path
) -> None:
    first, other, again = adapters
    same = compare_adapters(first, again)
    assert same.same and same.differing_tensors == 0 and same.max_relative_difference == 0.0
    apart = compare_adapters(first, other)
    assert not apart.same and apart.differing_tensors > 0 and apart.max_relative_difference > 0
    # one weight one step from its float32 neighbour: another adapter, and a tiny distance
    from safetensors.numpy import load_file, save_file

    nudged = tmp_path / "nudged"
    shutil.copytree(first, nudged)
    tensors = load_file(str(nudged / "adapter_model.safetensors"))
    key = sorted(tensors)[-1]
    flat = tensors[key].reshape(-1)
    flat[0] = np.nextafter(flat[0], np.float32(np.inf))
    save_file(tensors, str(nudged / "adapter_model.safetensors"))
    close = compare_adapters(first, nudged)
    assert not close.same and close.differing_tensors == 1
    assert 0 < close.max_relative_difference < 1e-5


def test_training_records_the_parent_weights_and_the_machine_type(
    tiny_chat_model: Path, tmp_path: Path
) -> None:
    digest = _train(tiny_chat_model, tmp_path / "lora", 0).base_weights_sha256
    assert len(digest) == 64 and digest == weights_sha256(tiny_chat_model)
    assert weights_sha256(tmp_path) != digest  # no weights: another hash
    machine = machine_type()
    assert machine["cpu"] and machine["isa"] and machine["isa"] != "None"


def test_the_saved_config_does_not_depend_on_the_process(tmp_path: Path) -> None:
    # peft saves target_modules from a set: its order changes with PYTHONHASHSEED
    configs = []
    for order in (["v_proj", "q_proj"], ["q_proj", "v_proj"]):
        path = tmp_path / f"{order[0]}.json"
        path.write_text(json.dumps({"target_modules": order, "r": 8, "revision": None}))
        portable_config(path)
        configs.append(path.read_bytes())
    assert configs[0] == configs[1] and b"revision" not in configs[0]


def test_the_adapter_hash_is_part_of_the_identity(
    adapters: list[Path], tiny_chat_model: Path
) -> None:
    first = adapters[0]
    parts = [predicted_spec_part(parse_model_spec(str(a))) for a in adapters]
    assert parts[0]["model_hash"].startswith(
        predicted_spec_part(parse_model_spec(str(tiny_chat_model)))["model_hash"] + "+peft:"
    )
    assert model_fingerprint(parts[0]) != model_fingerprint(parts[1])  # retrained: another model
    assert parts[0] == parts[2]  # same weights at another path: the same model
    assert "peft" not in parts[0]["model_args"]
    # lm-eval's own form names the same variant
    as_arg = parse_model_spec(str(tiny_chat_model), f"peft={first}")
    assert predicted_spec_part(as_arg) == parts[0]
    assert as_arg.name == "tiny-gpt2-instruct+lora-a"
    assert objective_from_name(as_arg.name).value == "instruct"


def test_an_adapter_variant_evaluates_a_use_case(adapters: list[Path], tmp_path: Path) -> None:
    fingerprints = []
    for adapter in adapters[:2]:
        out = tmp_path / adapter.name
        args = [
            "eval",
            "--model",
            str(adapter),
            "--tasks",
            "sentiment",
            "--limit",
            "2",
            "--output",
            str(out),
        ]
        assert main(args) == 0
        result = json.loads(next(out.glob("*/*/results.json")).read_text())
        assert result["model"]["name"] == f"tiny-gpt2-instruct+{adapter.name}"
        assert "+peft:" in result["model"]["model_hash"]
        fingerprints.append(result["model"]["fingerprint"])
    assert fingerprints[0] != fingerprints[1]


def test_a_family_of_adapters_runs_as_a_matrix_and_a_retrained_one_is_rerun(
    adapters: list[Path],
    tiny_chat_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, other = (shutil.copytree(a, tmp_path / a.name) for a in adapters[:2])
    family = tmp_path / "lora.yaml"
    family.write_text(
        "name: lora\ntasks: sentiment\nlimit: 2\nvariants:\n"
        f"  - model: {tiny_chat_model}\n  - model: {first}\n  - model: {other}\n"
    )
    args = [
        "matrix",
        "--family",
        str(family),
        "--output",
        str(tmp_path / "runs"),
        "--reports",
        str(tmp_path / "reports"),
    ]
    assert main(args) == 0
    matrix = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert [c["key"] for c in matrix["columns"]] == [
        "tiny-gpt2-instruct|chat",
        "tiny-gpt2-instruct+lora-a|chat",
        "tiny-gpt2-instruct+lora-b|chat",
    ]
    capsys.readouterr()
    # lora-a retrained with another seed: its column is evaluated again, the others reused
    _train(tiny_chat_model, first, seed=2)
    assert main(args) == 0
    assert "evaluated: 1, reused: 2" in capsys.readouterr().out
    # the same weights as lora-b under lora-a's name are lora-b's model: nothing to evaluate
    shutil.copy(other / "adapter_model.safetensors", first / "adapter_model.safetensors")
    assert main(args) == 0
    assert "evaluated: 0, reused: 3" in capsys.readouterr().out


def test_the_backend_applies_the_adapter(adapters: list[Path]) -> None:
    from peft import PeftModel

    loaded = load_model(parse_model_spec(str(adapters[0])), batch_size=1)
    assert isinstance(loaded.lm.model, PeftModel)
    assert loaded.identity.model_args.get("peft") is None  # the hash names it, not the path


def test_a_folder_without_adapter_weights_is_refused(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": "default"}')
    with pytest.raises(ModelSpecError, match=r"adapter_model\.safetensors is missing"):
        parse_model_spec(str(tmp_path))
    with pytest.raises(ModelSpecError, match="not found"):
        parse_model_spec("default", "peft=./no-such-adapter")


def _script() -> ModuleType:
    path = REPO / "scripts" / "train_variants.py"
    spec = importlib.util.spec_from_file_location("train_variants", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_training_pairs_are_the_use_cases_chat_prompts_and_targets(tmp_path: Path) -> None:
    from tasks.ner.usecase import doc_to_target, doc_to_text

    (tmp_path / "conll2003").mkdir()
    (tmp_path / "conll2003" / "eng.train").write_text(
        "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\n\n"
        "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n"
    )
    pairs = _script().pairs_for("ner", tmp_path, seed=0, count=2)
    docs = [
        {"tokens": ["EU", "rejects", "German"], "tags": ["B-ORG", "O", "B-MISC"]},
        {"tokens": ["Peter", "Blackburn"], "tags": ["B-PER", "I-PER"]},
    ]
    assert sorted(pairs) == sorted((doc_to_text(d), doc_to_target(d)) for d in docs)
    assert json.loads(dict(pairs)[doc_to_text(docs[1])]) == [
        {"text": "Peter Blackburn", "type": "PER"}
    ]


def test_train_variants_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    script = REPO / "scripts" / "train_variants.py"
    data = tmp_path / "data"
    (data / "sst2").mkdir(parents=True)
    (data / "sst2" / "train.tsv").write_text("sentence\tlabel\na fine film\t1\n")
    cases = [
        (tmp_path, ["--only", "poetry"], "unknown adapter"),
        (tmp_path, [], "no training splits"),
        (data, ["--check", "--only", "ner", "--out", str(tmp_path)], "no adapter to check"),
    ]
    for data_dir, args, says in cases:
        run = subprocess.run(
            [sys.executable, str(script), "--data-dir", str(data_dir), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
        assert says in run.stderr


FAMILY = REPO / "families" / "smollm2-lora"
COMMITTED = sorted(p.parent for p in FAMILY.glob("*/adapter_config.json"))


@pytest.mark.parametrize("folder", COMMITTED, ids=[p.name for p in COMMITTED])
def test_each_committed_adapter_is_the_one_its_card_describes(folder: Path) -> None:
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert f"`{adapter_sha256(folder)}`" in card  # retrained without its card: caught here
    assert (folder / "adapter_model.safetensors").stat().st_size < 5_000_000
    assert card_field(folder, "model_name") == f"lora-{folder.name}"
    # the machine type its bytes are reproducible on (make variants CHECK=1)
    assert card_field(folder, "cpu") and card_field(folder, "isa")
    spec = parse_model_spec(str(folder.relative_to(FAMILY.parent.parent)))
    assert spec.source == "embedded" and spec.name == f"SmolLM2-135M-Instruct+lora-{folder.name}"


@pytest.mark.real_model
def test_a_committed_adapter_runs_on_the_embedded_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVALS_CACHE_DIR")  # reuse the converted embedded model
    adapter = FAMILY / "ner"
    args = [
        "eval",
        "--model",
        str(adapter),
        "--tasks",
        "ner",
        "--limit",
        "2",
        "--output",
        str(tmp_path),
    ]
    assert main(args) == 0
    result = json.loads(next(tmp_path.glob("*/*/results.json")).read_text())
    assert result["model"]["model_hash"].endswith("+peft:" + adapter_sha256(adapter))
    assert result["prompt_mode"] == "chat" and result["use_cases"]["ner"]["n"] == 2
