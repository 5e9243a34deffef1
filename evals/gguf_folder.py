"""GGUF files become a cached Hugging Face folder on first load, so later runs reload in seconds.

transformers can read a GGUF directly (``from_pretrained(dir, gguf_file=...)``) but converts the
tokenizer and dequantizes every tensor each time (20-60 s for a 135-270M model on 2 cores). The
first load saves the converted model to ``<cache>/gguf/<sha256 of the file>/``; the key is the
file's content, so a changed file never reuses a stale folder.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from evals.errors import ModelSpecError
from evals.fingerprint import cache_root, sha256_file

log = logging.getLogger(__name__)


def converted_folder(gguf_path: Path) -> Path:
    """Return the folder holding ``gguf_path`` converted to transformers format, making it once."""
    digest = sha256_file(gguf_path)
    target = cache_root() / "gguf" / digest[:24]
    if (target / "config.json").is_file():
        return target
    log.info("converting %s once (cached as %s)", gguf_path.name, target)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _convert(gguf_path, tmp)
    except (OSError, ValueError, RuntimeError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelSpecError(f"cannot load GGUF {gguf_path}: {err}") from None
    (tmp / "SOURCE").write_text(f"{gguf_path}\nsha256={digest}\n")
    tmp.replace(target)
    return target


def _convert(gguf_path: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # The dequantized weights are plain float tensors; drop the GGUF quantizer so they save.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
