"""PEFT adapters as variants: a local base model plus an adapter folder (LoRA and the like).

Two ways to name one (both give the same variant):

- the adapter folder itself as the model spec (``--model families/smollm2-lora/sentiment``):
  the base is the ``base_model_name_or_path`` of its ``adapter_config.json``, read as a model
  spec (``default`` is the embedded model; a relative path is read from the adapter folder);
- any ``hf`` spec with ``peft=FOLDER`` in its model arguments (``--model default
  --model-args peft=families/smollm2-lora/sentiment``), as lm-eval's ``hf`` backend takes it.

The adapter's weights and config are hashed into the variant's model hash (``BASE+peft:SHA``),
so the run spec and the fingerprint change whenever the adapter is retrained; its path is not
part of either. The variant's name is ``<base name>+<adapter name>``, the adapter name being the
model card's ``model_name:`` (front matter of the folder's ``README.md``) or the folder's name.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from evals.errors import ModelSpecError
from evals.fingerprint import sha256_file, sha256_text

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PEFT_ARG = "peft"


def is_adapter_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding a PEFT adapter (``adapter_config.json``)."""
    return path.is_dir() and (path / ADAPTER_CONFIG).is_file()


def check_adapter(folder: Path) -> None:
    """One clear error when the folder is not a loadable adapter."""
    for name in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        if not (folder / name).is_file():
            raise ModelSpecError(f"{folder} is not a PEFT adapter folder: {name} is missing")


def adapter_sha256(folder: Path) -> str:
    """SHA-256 over the adapter's weights and config (names and contents)."""
    check_adapter(folder)
    return sha256_text(
        "".join(
            f"{name}:{sha256_file(folder / name)}" for name in (ADAPTER_WEIGHTS, ADAPTER_CONFIG)
        )
    )


def _config(folder: Path) -> dict[str, object]:
    try:
        config = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelSpecError(f"{folder / ADAPTER_CONFIG}: unreadable ({err})") from None
    if not isinstance(config, dict):
        raise ModelSpecError(f"{folder / ADAPTER_CONFIG}: not a JSON object")
    return config


def adapter_base(folder: Path) -> str:
    """The base model spec an adapter folder names (``default`` when it names none); a
    relative path is taken from the adapter folder."""
    base = str(_config(folder).get("base_model_name_or_path") or "default").strip()
    if base.startswith("."):
        return str((folder / base).resolve())
    return base


def card_field(folder: Path, key: str) -> str | None:
    """A field of the model card's YAML front matter (``README.md``), or None."""
    card = folder / "README.md"
    if not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return None
    front, _, _ = text[4:].partition("\n---")
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError:
        return None
    value = meta.get(key) if isinstance(meta, dict) else None
    return str(value) if value is not None else None


def adapter_name(folder: Path) -> str:
    """The adapter's display name: the card's ``model_name``, else the folder's name."""
    return card_field(folder, "model_name") or folder.resolve().name


def peft_folder(value: object) -> Path | None:
    """The local adapter folder a ``peft=`` argument names (None: a hub id, left to lm-eval)."""
    path = Path(str(value)).expanduser()
    if path.is_dir():
        return path
    if str(value).startswith((".", "/", "~")):
        raise ModelSpecError(f"peft adapter folder not found: {value}")
    return None
