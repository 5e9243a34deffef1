"""Seeded LoRA fine-tuning of a local causal LM on (prompt, answer) pairs, in chat form.

Each pair becomes the chat the model is evaluated with: the prompt as the user message through
the model's own chat template (``add_generation_prompt``, as lm-eval's chat mode sends it), then
the answer and the template's end-of-turn token. The loss is taken on the answer tokens only.
Batches are drawn in a seeded order, so the same data, seed, settings, library versions and
machine type give the same adapter weights (``adapter_sha256`` says whether they did). Another
CPU type is another machine type: its kernels round differently in the last bit, and training
carries that into weights a few percent apart (measured: an AMD EPYC with AVX-512 against the
machine that made the first adapters; ``docs/real-family.md``). :func:`machine_type` is what a
card records of it, and :func:`compare_adapters` says how far a retrained adapter is from another.
"""

from __future__ import annotations

import csv
import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals.fingerprint import sha256_file
from evals.models.peft import ADAPTER_CONFIG, ADAPTER_WEIGHTS, adapter_sha256


@dataclass(frozen=True)
class LoraSettings:
    """What a LoRA fine-tune is made with (recorded in the model card)."""

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    learning_rate: float = 1e-3
    batch_size: int = 4
    epochs: int = 1
    max_tokens: int = 384
    """Examples longer than this (prompt + answer, in tokens) are left out, not cut."""
    seed: int = 0
    threads: int = 2
    target_modules: tuple[str, ...] | None = None
    """None: peft's default for the architecture (``q_proj``/``v_proj`` for Llama)."""


@dataclass
class TrainResult:
    """What a fine-tune did."""

    adapter: Path
    examples: int
    dropped_too_long: int
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    adapter_sha256: str = ""
    base_weights_sha256: str = ""
    """SHA-256 over the parent's weight files as trained on (``weights_sha256``)."""

    @property
    def first_loss(self) -> float:
        """Mean loss of the first ten steps."""
        head = self.losses[:10]
        return sum(head) / len(head) if head else float("nan")

    @property
    def last_loss(self) -> float:
        """Mean loss of the last ten steps."""
        tail = self.losses[-10:]
        return sum(tail) / len(tail) if tail else float("nan")


def chat_example(tokenizer: Any, prompt: str, answer: str) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt) of one pair in the model's chat form."""
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    prompt_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    end = tokenizer.eos_token or ""
    answer_ids = tokenizer(answer + end, add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids


def train_lora(
    base_folder: Path,
    pairs: Sequence[tuple[str, str]],
    out: Path,
    settings: LoraSettings,
    *,
    base_spec: str,
    log_every: int = 0,
) -> TrainResult:
    """Fine-tune a LoRA adapter of the model in ``base_folder`` on ``pairs`` and save it to
    ``out`` (with ``loss.csv``); ``base_spec`` is written as the adapter's base model (the
    model spec that loads the parent, e.g. ``default``)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(settings.threads)
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_folder)
    model = AutoModelForCausalLM.from_pretrained(base_folder, dtype=torch.float32)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules) if settings.target_modules else None,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)  # type: ignore[assignment]  # a PeftModel wraps it
    model.train()

    encoded = [chat_example(tokenizer, p, a) for p, a in pairs]
    kept = [e for e in encoded if len(e[0]) <= settings.max_tokens]
    order = random.Random(settings.seed)
    batches: list[list[tuple[list[int], list[int]]]] = []
    for _ in range(settings.epochs):
        shuffled = list(kept)
        order.shuffle(shuffled)
        batches += [
            shuffled[k : k + settings.batch_size]
            for k in range(0, len(shuffled), settings.batch_size)
        ]
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, 1.0 - step / max(1, len(batches)))
    )
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    losses: list[float] = []
    started = time.perf_counter()
    for step, batch in enumerate(batches, start=1):
        width = max(len(ids) for ids, _ in batch)
        ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in batch])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
        mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in batch])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        if log_every and step % log_every == 0:
            print(
                f"  step {step}/{len(batches)} loss {losses[-1]:.4f} "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    seconds = time.perf_counter() - started

    model.peft_config["default"].base_model_name_or_path = base_spec
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    portable_config(out / ADAPTER_CONFIG)
    write_loss_csv(out / "loss.csv", losses)
    return TrainResult(
        base_weights_sha256=weights_sha256(base_folder),
        adapter=out,
        examples=len(kept),
        dropped_too_long=len(encoded) - len(kept),
        steps=len(batches),
        seconds=seconds,
        losses=losses,
        adapter_sha256=adapter_sha256(out),
    )


def portable_config(path: Path) -> None:
    """Rewrite a saved adapter config so that the same training gives the same bytes anywhere:
    no machine-specific fields (none are needed to load it), and ``target_modules`` sorted
    (peft keeps them as a set, whose order follows Python's per-process string hashing)."""
    import json

    config = json.loads(path.read_text(encoding="utf-8"))
    config.pop("revision", None)
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_loss_csv(path: Path, losses: Sequence[float]) -> None:
    """``step,loss`` rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "loss"])
        writer.writerows((k, f"{loss:.6f}") for k, loss in enumerate(losses, start=1))


def settings_dict(settings: LoraSettings) -> dict[str, Any]:
    """The settings as a plain mapping (for the model card)."""
    return asdict(settings)


def weights_sha256(folder: Path) -> str:
    """SHA-256 over a model folder's ``*.safetensors`` files, each named, in name order: the
    weights a fine-tune starts from (for the embedded model, its GGUF dequantized here)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.safetensors")):
        digest.update(f"{path.name}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def machine_type() -> dict[str, str]:
    """What "the same machine type" means for bit-identical training on CPU: the processor
    model and the instruction set torch's kernels dispatch to."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    return {"cpu": cpu, "isa": str(torch.backends.cpu.get_cpu_capability())}


@dataclass(frozen=True)
class AdapterComparison:
    """A retrained adapter against another (e.g. the committed one)."""

    same: bool
    """Byte-identical weights and config (``adapter_sha256`` equal)."""
    tensors: int
    differing_tensors: int
    max_relative_difference: float
    """Largest ``max |a - b| / max |a|`` over the tensors; 0.0 when ``same``."""


def compare_adapters(reference: Path, other: Path) -> AdapterComparison:
    """How far ``other``'s weights are from ``reference``'s, tensor by tensor."""
    import numpy as np
    from safetensors.numpy import load_file

    ref = load_file(str(reference / ADAPTER_WEIGHTS))
    new = load_file(str(other / ADAPTER_WEIGHTS))
    if ref.keys() != new.keys():
        raise ValueError(f"{other} holds other tensors than {reference}")
    differing, largest = 0, 0.0
    for key, a in ref.items():
        b = new[key]
        if a.shape != b.shape:
            raise ValueError(f"{other}: tensor {key} has shape {b.shape}, not {a.shape}")
        if np.array_equal(a, b):
            continue
        differing += 1
        scale = float(np.abs(a).max()) or 1.0
        largest = max(largest, float(np.abs(a.astype(np.float64) - b).max()) / scale)
    return AdapterComparison(
        same=adapter_sha256(reference) == adapter_sha256(other),
        tensors=len(ref),
        differing_tensors=differing,
        max_relative_difference=largest,
    )
