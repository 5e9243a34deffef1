"""The tiny family's matrix on a local Ray cluster (``ray.init(num_cpus=2)``, one per session).

Ray is an optional extra: without it these tests skip, except in CI (``CI`` set), where the
install path (``make install``) installs it, so a missing Ray is a failure there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals.cli import main
from tests.helpers import REPO, require
from tests.matrix.test_scale import comparable, local_build, matrix_args, tiny_family

pytestmark = pytest.mark.ray

__all__ = ["local_build"]  # the local executor's matrix, the reference


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        require(
            False,
            "Ray is not installed (pip install 'objective-evals[ray]'; `make install` "
            "installs the ray extra)",
        )
    return ray


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    ray = _ray()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield ray
    ray.shutdown()


def test_ray_matrix_equals_local_and_a_failing_cell_is_reported(
    ray_cluster: Any,
    local_build: dict[str, Any],
    tiny_chat_model: Path,
    tiny_base_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = (
        f"  - model: {tiny_base_model}\n    name: broken\n"
        "    model_args: {dtype: not-a-dtype}\n    prompt_modes: [completion]\n"
        f"  - model: {tiny_chat_model}\n    name: on-a-gpu\n"
        "    resources: {num_gpus: 1}\n    prompt_modes: [completion]\n"
    )
    family = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, extra=broken)
    assert main(matrix_args(family, tmp_path, "--executor", "ray", "--retries", "0")) == 1
    captured = capsys.readouterr()
    assert "cell broken|completion failed after 1 attempt(s)" in captured.err
    assert "not-a-dtype" in captured.err and "is incomplete" in captured.err
    # a cell no node can hold fails at once instead of waiting for a GPU forever
    assert "cell on-a-gpu|completion failed after 1 attempt(s)" in captured.err
    assert "1 GPU wanted, 0 in the cluster" in captured.err
    assert "evaluated: 2, reused: 0" in captured.out
    assert ray_cluster.is_initialized()  # a cluster the caller started is left running
    good = tiny_family(tmp_path, tiny_chat_model, tiny_base_model, name="tiny")
    assert main(matrix_args(good, tmp_path, "--executor", "ray")) == 0
    assert "evaluated: 0, reused: 2" in capsys.readouterr().out
    matrix = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    assert comparable(matrix) == comparable(local_build["matrix"])
    # every run came back through the task's return value into the driver's run store
    assert len(list((tmp_path / "runs").glob("*/*/results.json"))) == 2
    assert not list((tmp_path / "runs").glob("*/*.partial"))


def test_without_ray_the_tests_skip_only_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _ray()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Ray is not installed"):
        _ray()
