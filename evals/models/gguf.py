"""GGUF files become a cached Hugging Face folder on first load, so later runs reload in seconds.

transformers can read a GGUF directly (``from_pretrained(dir, gguf_file=...)``) but converts the
tokenizer and dequantizes every tensor each time (20-60 s for a 135-270M model on 2 cores). The
first load saves the converted model to ``<cache>/gguf/<sha256 of the file>/``; the key is the
file's content, so a changed file never reuses a stale folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from evals.errors import ModelSpecError
from evals.files import file_lock, output_error
from evals.fingerprint import cache_root, sha256_file

log = logging.getLogger(__name__)


def converted_folder(gguf_path: Path) -> Path:
    """Return the folder holding ``gguf_path`` converted to transformers format, making it once.

    Processes loading the same file at once convert it once: the conversion runs under a lock
    (``<digest>.lock``), into a ``.partial`` folder named by the process, renamed into place only
    when complete; a process that waited for the lock finds the finished folder and uses it."""
    digest = sha256_file(gguf_path)
    target = cache_root() / "gguf" / digest[:24]
    if _complete(target):
        return target
    with file_lock(target):
        if _complete(target):  # converted by another process while this one waited
            return target
        log.info("converting %s once (cached as %s)", gguf_path.name, target)
        # Under the lock nobody else converts this file: leftovers of a killed conversion go.
        for stale in target.parent.glob(f"{target.name}.*partial"):
            shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)  # incomplete (no config.json)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            _convert(gguf_path, tmp)
        except (OSError, ValueError, RuntimeError) as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelSpecError(f"cannot load GGUF {gguf_path}: {err}") from None
        try:
            (tmp / "SOURCE").write_text(f"{gguf_path}\nsha256={digest}\n")
            tmp.rename(target)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise output_error(err, target) from None
    return target


def _complete(target: Path) -> bool:
    return (target / "config.json").is_file()


def _convert(gguf_path: Path, out: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # The dequantized weights are plain float tensors; drop the GGUF quantizer so they save.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
