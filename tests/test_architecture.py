"""The shape of the package: no import circle, no private name used outside its module.

Every import counts, at module level, inside a function or under ``TYPE_CHECKING``: an import
moved into a function to dodge a loop is still a loop in the design."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

PACKAGE = REPO / "evals"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p, package.parent): p for p in sorted(package.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import in one module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the project modules it imports (its own enclosing packages excepted)."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(name, path):
            for target in (module, *(f"{module}.{n}" for n in names)):
                found = _resolve(target, modules) if target.startswith("evals") else None
                if found and found != name and not name.startswith(found + "."):
                    graph[name].add(found)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "evals"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from evals.sub.leaf import x\n")
    (package / "sub" / "leaf.py").write_text("x = 1\n")
    (package / "top.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from evals.low import T\n"
        "def f():\n    from . import sub\n    from .sub.leaf import x\n"
    )
    (package / "low.py").write_text("import evals.top\nT = int\n")
    graph = import_graph(package)
    assert graph["evals.top"] == {"evals.low", "evals.sub", "evals.sub.leaf"}
    assert graph["evals.sub"] == {"evals.sub.leaf"}
    assert graph["evals.sub.leaf"] == set()  # a module's own package is no edge
    assert circles(graph) == [["evals.low", "evals.top"]]


def test_no_import_circle() -> None:
    found = circles(import_graph())
    assert found == [], "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        for module, names in _imports(name, path):
            if module.startswith("evals") and _resolve(module, modules) != name:
                offenders += [f"{name} takes {module}.{n}" for n in names if n.startswith("_")]
    assert offenders == []


def test_the_readme_layout_names_every_package_and_loose_module() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout") :]
    block = layout[layout.index("```\n") + 4 :]
    block = block[: block.index("```")]
    named = {word.strip(",") for line in block.splitlines() for word in line.split()[:4]}
    rooms = {f"{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    loose = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("__")}
    assert sorted((rooms | loose) - named) == []


def rooms(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between rooms: a top-level package of ``evals`` or a module left loose."""

    def room(module: str) -> str:
        return ".".join(module.split(".")[:2])

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(room(module), set()).update(room(t) for t in targets)
    for name, targets in out.items():
        targets.discard(name)
        targets.discard("evals")  # the package's lazy __init__ (public API) sits above no one
    return out


def test_no_circle_between_rooms() -> None:
    """Packages import each other downward only: no package reaches back into one above it."""
    found = circles(rooms(import_graph()))
    assert found == [], "room circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_at_most_a_dozen_modules_are_loose() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__"))
    assert len(loose) <= 12, loose


def test_test_folders_mirror_the_packages() -> None:
    """A package's tests live in the folder of its name (``tests/gate/`` for ``evals/gate/``);
    besides those, only the README's acceptance tier and the fixture files have a folder."""
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    folders = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - packages <= {"acceptance", "fixtures"}, sorted(folders - packages)
    for folder in folders & packages:
        assert (REPO / "tests" / folder / "__init__.py").is_file(), folder
