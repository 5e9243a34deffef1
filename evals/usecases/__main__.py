"""``python -m evals.usecases [TASKS_DIR]`` (``make tasks``): write every use case's lm-eval YAML
from its definition, and remove YAML files no definition generates."""

from __future__ import annotations

import sys
from pathlib import Path

from evals.usecases.discovery import load_definition, use_case_folders
from evals.usecases.lm_eval_yaml import write_folder
from evals.usecases.unit import DEFAULT_TASKS_DIR


def main(argv: list[str]) -> int:
    tasks_dir = Path(argv[0]) if argv else DEFAULT_TASKS_DIR
    for folder in use_case_folders(tasks_dir):
        definition, module = load_definition(folder)
        for path in write_folder(definition, module, folder):
            print(f"{'wrote' if path.exists() else 'removed'} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
