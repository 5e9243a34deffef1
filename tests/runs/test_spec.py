"""The run spec: one definition of comparability, written before the first request, that the
request cache, the matrix's reuse and the gate all derive from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from evals.models.identity import answer_args, model_fingerprint
from evals.models.loading import VariantIdentity, pin_hub_revision, predicted_spec_part
from evals.models.objective import Objective
from evals.models.spec import parse_model_spec
from evals.runs.spec import RunSpec, build_run_spec, first_difference
from evals.secrets import is_secret
from evals.usecases import discover_use_cases, load_folder
from evals.versions import code_sha256, normalized_source
from tests.helpers import REPO


def _identity(**changes: Any) -> VariantIdentity:
    values: dict[str, Any] = {
        "name": "m",
        "objective": Objective.BASE,
        "objective_source": "name",
        "has_chat_template": False,
        "spec": "m.gguf",
        "backend": "hf",
        "model_args": {"pretrained": "/cache/a/gguf/x", "dtype": "float32"},
        "model_hash": "f" * 64,
        "local": True,
    }
    return VariantIdentity(**(values | changes))


def test_local_identity_depends_on_the_files_not_their_location() -> None:
    """Before: the converted GGUF folder's path entered the fingerprint (4 fingerprints for 1
    model); a model folder's path did too."""
    a = _identity()
    b = _identity(model_args={"pretrained": "/elsewhere/gguf/x", "dtype": "float32"})
    assert a.fingerprint == b.fingerprint
    assert "pretrained" not in a.spec_part["model_args"]
    assert _identity(model_args={"pretrained": "/x", "dtype": "bfloat16"}).fingerprint != (
        a.fingerprint
    )


def test_secrets_and_operational_arguments_never_enter_the_spec() -> None:
    args = {
        "api_key": "K",
        "openai_api_key": "K",
        "auth_token": "K",
        "password": "K",
        "Authorization": "K",
        "headers": {"x": "K"},
        "max_retries": 3,
        "timeout": 9,
        "batch_size": 8,
        "temperature": 0.0,
        "pretrained": "p",
    }
    assert answer_args(args) == {"pretrained": "p", "temperature": 0.0}
    assert all(is_secret(k) for k in ("api_key", "hf_token", "PASSWORD", "client_secret"))
    assert not any(
        is_secret(k) for k in ("tokenizer", "max_tokens", "tokenized_requests", "keyword", "monkey")
    )
    assert is_secret("apiKey") and is_secret("X-Api-Key")


def test_scorer_code_is_part_of_a_result_identity(tmp_path: Path) -> None:
    """Before: config_sha256 hashed the YAML only; fixing a scorer left old runs comparable."""
    tasks = tmp_path / "tasks"
    shutil.copytree(REPO / "tasks" / "qa", tasks / "qa")
    before = code_sha256(tasks / "qa", "lm-eval")
    hooks = tasks / "qa" / "usecase.py"
    hooks.write_text(hooks.read_text() + "\n# a comment, nothing run\n")
    assert code_sha256(tasks / "qa", "lm-eval") == before
    hooks.write_text(hooks.read_text() + "\nSCORER_FIX = 1\n")
    assert code_sha256(tasks / "qa", "lm-eval") != before


MODULE = '''"""A scorer."""
from evals.models.loading import LoadedModel, PromptMode
from evals.benchmarks.sources import records
import json

WEIGHT = 1
"""An attribute's docstring."""


def score(x: int) -> float:
    """One item's score."""
    from evals.engine.judge import Judge  # lazy
    return json.loads(x) + WEIGHT  # plus one
'''


def test_a_moved_reformatted_or_recommented_module_keeps_its_hash() -> None:
    """The code hash is of what the code does: a move into a package changes its own imports'
    module paths (and their order), a formatter its layout; neither changes a score."""
    moved = (
        "from evals.benchmarks.sources import records\n"
        "from evals.models.loading import PromptMode, LoadedModel\n"
        "import json\n"
        "WEIGHT = 1\n"
        "def score(x: int) -> float:\n"
        "    from ..engine.judge import Judge\n"
        "    return (json.loads(x)\n"
        "            + WEIGHT)\n"
    )
    assert normalized_source(moved) == normalized_source(MODULE)


@pytest.mark.parametrize(
    "change",
    [
        ("WEIGHT = 1", "WEIGHT = 2"),  # a constant
        ("json.loads(x)", "json.loads(x.strip())"),  # a call
        ("import Judge", "import Judge, load_judge_prompts"),  # one more name of our own
        ("import json", "import ujson as json"),  # another library's module
        ("x: int", "y: int"),  # a parameter
        ("-> float", "-> int"),  # an annotation (a dataclass's fields are made of them)
    ],
)
def test_a_change_in_what_a_module_does_changes_its_hash(change: tuple[str, str]) -> None:
    changed = MODULE.replace(*change)
    assert changed != MODULE and normalized_source(changed) != normalized_source(MODULE)


def _spec(**changes: Any) -> dict[str, Any]:
    units = discover_use_cases()
    model = {
        "backend": "hf",
        "model_hash": "h",
        "pinned": True,
        "model_args": {},
        "chat_template_sha256": None,
    }
    spec = build_run_spec(
        model,
        [units["qa"], units["sentiment"]],
        prompt_mode="completion",
        limit=changes.pop("limit", 8),
    )
    return spec.to_dict()


def _diff(a: dict[str, Any], b: dict[str, Any], **kw: Any) -> tuple[str, Any, Any] | None:
    return first_difference(RunSpec.from_dict(a), RunSpec.from_dict(b), **kw)


def test_specs_differ_only_where_something_that_matters_differs() -> None:
    a, b = _spec(), _spec()
    assert _diff(a, b) is None
    b["model"]["model_hash"] = "other"  # a different model is the point of a comparison
    assert _diff(a, b) is None
    b["versions"]["git_commit"] = "abc"  # the code hashes cover the suite's own code
    assert _diff(a, b) is None
    c = _spec(limit=9)
    assert _diff(a, c) == ("tasks.qa.limit", 8, 9)
    d = _spec()
    d["tasks"]["sentiment"]["generation"]["max_gen_toks"] = 4
    assert _diff(a, d)[0] == "tasks.sentiment.generation.max_gen_toks"
    assert _diff(a, d, allow=["generation"]) is None
    assert _diff(a, d, tasks=["qa"]) is None
    e = _spec()
    e["versions"]["lm_eval"] = "0.4.0"
    assert _diff(a, e)[0] == "versions.lm_eval"


def test_a_run_spec_reads_back_what_it_wrote_and_refuses_what_it_is_not() -> None:
    spec = _spec()
    assert RunSpec.from_dict(spec).to_dict() == spec
    assert RunSpec.from_dict(json.loads(json.dumps(spec))) == RunSpec.from_dict(spec)
    # A spec written before a field existed reads it as None, as comparisons always did.
    del spec["tasks"]["qa"]["sampling"]
    assert RunSpec.from_dict(spec).tasks["qa"].sampling is None
    for broken in (
        {},
        {"model": {}, "tasks": []},
        {"model": 1, "tasks": {}},
        {"model": {}, "tasks": {"qa": 3}},
    ):
        with pytest.raises(ValueError, match="not a run spec"):
            RunSpec.from_dict(broken)


def test_completion_mode_records_the_few_shot_pool() -> None:
    spec = _spec()
    qa = spec["tasks"]["qa"]
    assert qa["num_fewshot"] == 3 and qa["fewshot_seed"] == 1234
    assert len(qa["fewshot_pool_sha256"]) == 64
    assert spec["fingerprint"] == model_fingerprint(spec["model"])


def test_unpinned_hub_models_are_pinned_when_the_hub_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the network boundary is replaced: the hub's model_info call."""
    import huggingface_hub

    calls: list[str] = []

    class Info:
        sha = "0123456789abcdef0123456789abcdef01234567"

    def model_info(self: Any, repo: str, timeout: float = 0) -> Info:
        calls.append(repo)
        return Info()

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    spec = pin_hub_revision(parse_model_spec("org/x-7b"))
    assert spec.model_args["revision"] == Info.sha and calls == ["org/x-7b"]
    part = predicted_spec_part(parse_model_spec("org/x-7b"))
    assert part["pinned"] is True and part["model_hash"] == f"org/x-7b@{Info.sha}"
    given = pin_hub_revision(parse_model_spec("org/x-7b@v1"))
    assert given.model_args["revision"] == "v1" and calls == ["org/x-7b"] * 2


def test_without_the_hub_a_model_stays_unpinned_and_is_never_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import huggingface_hub

    def offline(self: Any, repo: str, timeout: float = 0) -> None:
        raise OSError("no network")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", offline)
    part = predicted_spec_part(parse_model_spec("org/x-7b"))
    assert part["pinned"] is False and part["model_hash"] == "org/x-7b@unpinned"


def test_run_spec_is_written_before_the_first_request(
    tiny_chat_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evals.engine.runner as runner
    from evals.engine.runner import RunSettings, run_evaluation
    from evals.models.loading import load_model

    seen: list[dict] = []

    def first_use_case(
        model: Any, use_case: Any, mode: Any, limit: Any, folder: Any, judge: Any = None
    ) -> Any:
        seen.append(json.loads((folder.path / "run_spec.json").read_text()))
        raise KeyboardInterrupt  # stop before any request

    monkeypatch.setattr(runner, "evaluate_use_case", first_use_case)
    model = load_model(parse_model_spec(str(tiny_chat_model)))
    units = load_folder(REPO / "tasks" / "qa")
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(model, units[:1], RunSettings(limit=4, runs_root=tmp_path))
    (spec,) = seen
    assert spec["fingerprint"] == model.identity.fingerprint
    assert spec["tasks"]["qa"]["limit"] == 4 and spec["tasks"]["qa"]["prompt_mode"] == "chat"


def test_a_file_that_does_not_parse_still_counts_and_does_not_crash(tmp_path: Path) -> None:
    """A task folder may hold Python that is not this Python's (a scratch file, another
    version's syntax): it is hashed by its text, as before the hash read syntax trees."""
    shutil.copytree(REPO / "tasks" / "qa", tmp_path / "qa")
    scratch = tmp_path / "qa" / "scratch.py"
    scratch.write_text("def (\n")
    before = code_sha256(tmp_path / "qa", "lm-eval")
    scratch.write_text("def (  # edited\n")
    assert code_sha256(tmp_path / "qa", "lm-eval") != before
    assert normalized_source("def (\n") != normalized_source("def (  \n")
