"""Static check of GitHub Actions workflow files where actionlint is not installable: a JSON
schema of the parts these workflows use, plus the cross-references a schema cannot express
(``needs`` names a job, ``steps.<id>`` names an earlier step, ``${{ }}`` balanced, actions
pinned to a version). Prints one line per problem and exits 1 when there is any.

Usage: python scripts/check_workflows.py .github/workflows/*.yml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

EVENTS = [
    "push",
    "pull_request",
    "pull_request_target",
    "workflow_dispatch",
    "schedule",
    "workflow_call",
    "workflow_run",
    "release",
    "merge_group",
]
_STEP = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "id": {"type": "string", "pattern": r"^[A-Za-z_][\w-]*$"},
        "if": {"type": ["string", "boolean"]},
        "uses": {"type": "string", "pattern": r"^(\./|docker://|[\w.-]+/[\w./-]+@[\w.-]+$)"},
        "run": {"type": "string"},
        "shell": {"type": "string"},
        "with": {"type": "object"},
        "env": {"type": "object"},
        "working-directory": {"type": "string"},
        "continue-on-error": {"type": "boolean"},
        "timeout-minutes": {"type": "number"},
    },
    "additionalProperties": False,
    "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
}
_JOB = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "runs-on": {"type": ["string", "array"]},
        "needs": {"type": ["string", "array"]},
        "if": {"type": ["string", "boolean"]},
        "steps": {"type": "array", "items": _STEP, "minItems": 1},
        "timeout-minutes": {"type": "number"},
        "env": {"type": "object"},
        "permissions": {},
        "environment": {"type": ["string", "object"]},
        "outputs": {"type": "object"},
        "strategy": {"type": "object"},
        "concurrency": {},
        "defaults": {"type": "object"},
        "services": {"type": "object"},
        "container": {},
        "continue-on-error": {"type": "boolean"},
    },
    "additionalProperties": False,
    "required": ["runs-on", "steps"],
}
_ACCESS = {"enum": ["read", "write", "none"]}
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "on": {
            "anyOf": [
                {"enum": EVENTS},
                {"type": "array", "items": {"enum": EVENTS}},
                {"type": "object", "propertyNames": {"enum": EVENTS}},
            ]
        },
        "permissions": {
            "anyOf": [
                {"enum": ["read-all", "write-all"]},
                {"type": "object", "additionalProperties": _ACCESS},
            ]
        },
        "env": {"type": "object"},
        "concurrency": {},
        "defaults": {"type": "object"},
        "run-name": {"type": "string"},
        "jobs": {"type": "object", "minProperties": 1, "additionalProperties": _JOB},
    },
    "additionalProperties": False,
    "required": ["on", "jobs"],
}
_EXPRESSION_STEP = re.compile(r"steps\.([A-Za-z_][\w-]*)\.")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def check_workflow(path: Path) -> list[str]:
    """Problems of one workflow file, each a line naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        return [f"{path}: not readable YAML ({err})"]
    if not isinstance(raw, dict):
        return [f"{path}: a workflow must be a mapping"]
    if True in raw:  # YAML 1.1 reads the key `on` as a boolean
        raw["on"] = raw.pop(True)
    problems = [
        f"{path}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(raw)
    ]
    jobs = raw.get("jobs") if isinstance(raw.get("jobs"), dict) else {}
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        needs = job.get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in jobs:
                problems.append(f"{path}: jobs/{name}/needs: no job {need!r}")
        seen: set[str] = set()
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        for number, step in enumerate(steps, start=1):
            if not isinstance(step, dict):
                continue
            for text in _strings(step):
                if text.count("${{") != text.count("}}"):
                    problems.append(f"{path}: jobs/{name}/steps/{number}: unbalanced ${{{{ }}}}")
                for ref in _EXPRESSION_STEP.findall(text):
                    if ref not in seen:
                        problems.append(
                            f"{path}: jobs/{name}/steps/{number}: steps.{ref} is "
                            "not an earlier step id"
                        )
            if "id" in step:
                if step["id"] in seen:
                    problems.append(f"{path}: jobs/{name}: step id {step['id']!r} twice")
                seen.add(step["id"])
        environment = job.get("environment")
        for text in _strings(environment):
            for ref in _EXPRESSION_STEP.findall(text):
                if ref not in seen:
                    problems.append(f"{path}: jobs/{name}/environment: no step {ref!r}")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: check_workflows.py WORKFLOW.yml ...", file=sys.stderr)
        return 2
    problems = [p for arg in argv for p in check_workflow(Path(arg))]
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"workflows ok: {', '.join(argv)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
