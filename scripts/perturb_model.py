"""Make a degraded fine-tune for gate tests: a model folder with seeded Gaussian noise added to
every weight, scaled to each tensor's own standard deviation.

Usage: ``python scripts/perturb_model.py [SOURCE] OUT [--noise 0.3] [--seed 0]``; SOURCE defaults
to the embedded model (its GGUF converted once into the cache). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def perturb(source: Path, out: Path, noise: float, seed: int) -> Path:
    """Write ``source`` with noise ~ N(0, (noise·std)²) added to each floating-point tensor."""
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, param in sorted(model.named_parameters()):
            if param.dtype.is_floating_point and param.numel() > 1:
                scale = noise * float(param.std())
                param.add_(torch.randn(param.shape, generator=generator) * scale)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(source).save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+", help="[SOURCE] OUT")
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if len(args.paths) == 1:
        from evals.models.gguf import converted_folder
        from evals.models.spec import embedded_model_path

        source, out = converted_folder(embedded_model_path()), Path(args.paths[0])
    else:
        source, out = Path(args.paths[0]), Path(args.paths[1])
    print(perturb(source, out, args.noise, args.seed))


if __name__ == "__main__":
    main()
