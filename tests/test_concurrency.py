"""Runs, conversions and reports started at the same time: unique folders, locks, whole files,
and I/O errors named as such (not as a failing model backend)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evals.cli import main
from evals.runs.folder import RESULTS_FILE, RunFolder
from tests.helpers import REPO, only_partial, only_run, run_folders

LIMIT = "4"


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _blocked_on_flock(pid: int) -> bool:
    """Whether process ``pid`` waits for an flock held by someone else (Linux /proc/locks)."""
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "->" and fields[2] == "FLOCK" and fields[5] == str(pid):
            return True
    return False


def _all_json_parses(root: Path) -> int:
    """Parse every JSON and JSONL file under ``root``; returns how many were read."""
    count = 0
    for path in root.rglob("*"):
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
            count += 1
        elif path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
            count += 1
    return count


# --- (a) two runs of one model and a report, started together ------------------------------


@pytest.mark.simulation
@pytest.mark.slow
def test_two_runs_of_one_model_and_a_report_at_once(tiny_chat_model: Path, tmp_path: Path) -> None:
    """Two ``evals eval`` of the same model into the same runs folder, sharing one cache, and an
    ``evals report`` on the same reports folder, all started together: every one exits 0, the
    runs get two distinct complete folders, and every JSON file written parses."""
    runs, reports, families = tmp_path / "runs", tmp_path / "reports", tmp_path / "families"
    families.mkdir()
    (families / "tiny.yaml").write_text(
        f"name: tiny\ntitle: Tiny\ntasks: sentiment,qa\nlimit: {LIMIT}\n"
        f"variants:\n  - name: tiny-gpt2-instruct\n    model: {tiny_chat_model}\n"
        "    prompt_modes: [chat]\n"
    )
    evals = [sys.executable, "-m", "evals"]
    run = [
        *evals,
        "eval",
        "--model",
        str(tiny_chat_model),
        "--tasks",
        "sentiment,qa",
        "--limit",
        LIMIT,
        "--output",
        str(runs),
    ]
    report = [
        *evals,
        "report",
        "--reports",
        str(reports),
        "--families",
        str(families),
        "--output",
        str(runs),
    ]
    procs = [
        subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for cmd in (run, run, report)
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (proc.args, out, err)

    folders = run_folders(runs)
    assert len(folders) == 2 and run_folders(runs, partial=True) == [], list(runs.glob("*/*"))
    for folder in folders:
        results = json.loads((folder / RESULTS_FILE).read_text())
        assert results["complete"] is True
        assert set(results["use_cases"]) == {"sentiment", "qa"}
        for entry in results["use_cases"].values():
            for name in entry["samples_files"]:
                assert len((folder / name).read_text().splitlines()) == int(LIMIT)
    printed = sorted(out.strip().splitlines()[-1] for out, _ in outputs[:2])
    assert printed == sorted(f"run folder: {p}" for p in folders)

    # The matrix after both reuses one of the two runs (a report never resolves a family
    # file against models: it publishes stored matrices), and nothing is half written.
    assert (
        main(
            [
                "matrix",
                "--family",
                str(families / "tiny.yaml"),
                "--reports",
                str(reports),
                "--output",
                str(runs),
                "--families",
                str(families),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "report",
                "--reports",
                str(reports),
                "--families",
                str(families),
                "--output",
                str(runs),
            ]
        )
        == 0
    )
    matrix = json.loads((reports / "families" / "tiny" / "matrix.json").read_text())
    assert [c["key"] for c in matrix["columns"]] == ["tiny-gpt2-instruct|chat"]
    assert (reports / "site" / "index.html").read_text().rstrip().endswith("</html>")
    assert _all_json_parses(tmp_path) >= 2 * 3 + 3
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


# --- (b) many run folders in the same second ---------------------------------------------------


def test_run_folders_created_at_once_are_distinct(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """48 threads create run folders of one variant at the same moment, on a filesystem whose
    lookups are slow (as on a network share) and with thread switches as frequent as Python
    allows, so any check-then-create races: none raises, all differ, and each is named by its
    UTC second first, so names sort by time."""
    count = 48
    exists = Path.exists

    def slow_exists(self: Path) -> bool:
        time.sleep(0.002)
        return exists(self)

    monkeypatch.setattr(Path, "exists", slow_exists)
    barrier = threading.Barrier(count)
    made: list[RunFolder] = []
    errors: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            made.append(RunFolder(tmp_path, "same model"))
        except BaseException as err:  # the test reports any
            errors.append(err)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=create) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len({f.path for f in made}) == count
    assert len({f.final_path for f in made}) == count
    assert sorted(p.name for p in (tmp_path / "same-model").iterdir()) == sorted(
        f.path.name for f in made
    )
    for folder in made:
        stamp, suffix = folder.final_path.name.split("-")
        assert time.strptime(stamp, "%Y%m%dT%H%M%SZ") and suffix.isdigit()
        assert folder.path.name == f"{folder.final_path.name}.partial"
    finished = made[0].finish({"complete": True})
    assert finished.is_dir() and (finished / RESULTS_FILE).is_file()


# --- (c) two processes converting one GGUF -----------------------------------------------------

_CONVERTER = """
import os, sys, time
from pathlib import Path
import evals.models.gguf as gguf

log, release = Path(sys.argv[2]), Path(sys.argv[3])

def fake_convert(gguf_path, out):
    with log.open("a") as handle:
        handle.write(f"start {os.getpid()} {out.name}\\n")
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.safetensors").write_bytes(b"w" * 4096)
    deadline = time.monotonic() + 120
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (out / "config.json").write_text("{}")
    with log.open("a") as handle:
        handle.write(f"end {os.getpid()}\\n")

gguf._convert = fake_convert
print(gguf.converted_folder(Path(sys.argv[1])))
"""


def test_two_first_loads_of_one_gguf_convert_it_once(tmp_path: Path) -> None:
    """The first process converts (slowly); the second starts meanwhile, waits for it instead
    of wiping its half-made folder, and then finds the finished conversion. The locking and
    renaming are the real ones; only transformers' conversion is replaced by a fake."""
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + os.urandom(256))
    log, release = tmp_path / "log.txt", tmp_path / "release"
    log.touch()
    command = [sys.executable, "-c", _CONVERTER, str(gguf), str(log), str(release)]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = start()
    _wait_for(
        lambda: "start" in log.read_text() or first.poll() is not None,
        120,
        "the first conversion to start",
    )
    second = start()
    # The second one either waits on the lock (right) or starts converting too (wrong).
    _wait_for(
        lambda: (
            _blocked_on_flock(second.pid)
            or log.read_text().count("start") > 1
            or second.poll() is not None
        ),
        120,
        "the second process to reach the conversion",
    )
    release.touch()
    results = [proc.communicate(timeout=120) for proc in (first, second)]
    for proc, (_out, err) in zip((first, second), results, strict=True):
        assert proc.returncode == 0, err
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["start", "end"]
    target = Path(results[0][0].strip())
    assert Path(results[1][0].strip()) == target
    assert (target / "config.json").read_text() == "{}"
    assert (target / "model.safetensors").stat().st_size == 4096
    assert "sha256=" in (target / "SOURCE").read_text()
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".partial")]


# --- shared report files -----------------------------------------------------------------------


def test_report_writers_wait_for_the_reports_lock(tiny_chat_model: Path, tmp_path: Path) -> None:
    """While another writer holds the reports lock, building a family's matrix writes no
    shared report file; it writes them all once the lock is released."""
    from evals.files import reports_lock
    from evals.matrix.build import build_family
    from evals.matrix.family import family_from_dict
    from evals.site.build import publish_build

    reports = tmp_path / "reports"
    variants = [{"model": str(tiny_chat_model)}]
    family = family_from_dict(
        {"name": "fam", "title": "Fam", "tasks": "sentiment", "variants": variants}
    )
    done: list[object] = []

    def build() -> None:
        built = build_family(
            family, runs_root=tmp_path / "runs", tasks_dir=REPO / "tasks", evaluate=False
        )
        done.append(publish_build(built, reports_root=reports, runs_root=tmp_path / "runs"))

    with reports_lock(reports):
        thread = threading.Thread(target=build)
        thread.start()
        _wait_for(
            lambda: _blocked_on_flock(os.getpid()) or not thread.is_alive(),
            60,
            "the build to reach the reports lock",
        )
        assert thread.is_alive()
        assert not (reports / "matrix.json").exists()
        assert not (reports / "site" / "index.html").exists()
    thread.join(timeout=120)
    assert done
    for name in ("matrix.json", "families/fam/matrix.json"):
        assert json.loads((reports / name).read_text())["family"]["name"] == "fam"
    assert (reports / "site" / "index.html").is_file()


# --- the gate's default output folder ----------------------------------------------------------


@pytest.fixture(scope="module")
def one_run(tiny_chat_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("one-run")
    args = ["eval", "--model", str(tiny_chat_model), "--tasks", "sentiment", "--limit", LIMIT]
    assert main([*args, "--output", str(runs)]) == 0
    return only_run(runs)


def test_gate_default_output_folder_is_unique_per_invocation(
    one_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["gate", "--candidate", str(one_run), "--baseline", str(one_run)]) in (0, 1)
    outs = sorted((tmp_path / "reports" / "gate").iterdir())
    assert len(outs) == 2
    for out in outs:
        assert out.name.startswith(f"{one_run.name}-vs-{one_run.name}")
        assert json.loads((out / "gate-verdict.json").read_text())["candidate"]["folder"]


# --- (d) I/O errors during a use case ----------------------------------------------------------


def _eval_failing_at_qa(model: Path, runs: Path, failure, monkeypatch, capsys) -> tuple[int, str]:
    """Run sentiment then qa, with ``failure(folder, path)`` called where qa's samples are
    written; returns the exit status and the one error line."""
    original = RunFolder.write_samples

    def write_samples(self: RunFolder, task: str, records):
        if task == "qa":
            failure(self, self.path / f"samples_{task}.jsonl")
        return original(self, task, records)

    monkeypatch.setattr(RunFolder, "write_samples", write_samples)
    code = main(
        [
            "eval",
            "--model",
            str(model),
            "--tasks",
            "sentiment,qa",
            "--limit",
            LIMIT,
            "--output",
            str(runs),
        ]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == err[-1], err
    return code, errors[0]


def _directory_in_the_way(folder: RunFolder, path: Path) -> None:
    path.mkdir()  # the real writer then fails on the real path: Is a directory


def _disk_full(folder: RunFolder, path: Path) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _permission_denied(folder: RunFolder, path: Path) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


@pytest.mark.simulation
@pytest.mark.parametrize(
    ("failure", "named", "reason"),
    [
        (_directory_in_the_way, "samples", "Is a directory"),
        (_disk_full, "folder", "No space left on device"),
        (_permission_denied, "samples", "Permission denied"),
    ],
)
def test_unwritable_output_is_an_output_error_not_a_backend_failure(
    failure,
    named: str,
    reason: str,
    tiny_chat_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, line = _eval_failing_at_qa(tiny_chat_model, tmp_path, failure, monkeypatch, capsys)
    partial = only_partial(tmp_path)
    path = partial / "samples_qa.jsonl" if named == "samples" else partial
    assert code == 2
    assert line.startswith(f"error: cannot write {path}: {reason}"), line
    assert line.endswith(f"(finished use cases kept in {partial})")
    assert "backend" not in line
    assert len((partial / "samples_sentiment.jsonl").read_text().splitlines()) == int(LIMIT)


@pytest.mark.simulation
def test_a_dropped_connection_is_still_a_backend_failure(
    tiny_chat_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def reset(folder: RunFolder, path: Path) -> None:
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")

    code, line = _eval_failing_at_qa(tiny_chat_model, tmp_path, reset, monkeypatch, capsys)
    assert code == 2
    assert line.startswith("error: model backend failed during qa: "), line


def test_runs_folder_that_is_a_file_is_one_line(
    tiny_chat_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--output`` names a file: exit 2 and one line naming the path, not an internal error."""
    runs = tmp_path / "runs"
    runs.write_text("not a folder\n")
    code = main(
        [
            "eval",
            "--model",
            str(tiny_chat_model),
            "--tasks",
            "sentiment",
            "--limit",
            LIMIT,
            "--output",
            str(runs),
        ]
    )
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in err if "error" in line]
    assert code == 2, err
    assert errors == [err[-1]] and err[-1].startswith(f"error: cannot write {runs}"), err
