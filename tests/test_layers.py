"""The import layering is a checked contract: data flows one way.

Every import counts, at the top of a module, inside a function, or for type
checking only, because each one is a dependency a reader must follow. The rules:
no two modules depend on each other (directly or round a loop); only the command
line layer imports click; only the terminal output layer (and the command line
above it) imports Rich.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "newscat"

#: The command-line layer: click options, commands, completion and the entry point.
CLI_LAYER = {
    "newscat.cli",
    "newscat.entry",
    "newscat.options",
    "newscat.app",
    "newscat.complete",
    "newscat.shells",
    "newscat.commands",
}
#: Terminal output: Rich tables, pages and the full-screen reader.
OUTPUT_LAYER = {"newscat.render", "newscat.browse"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module name an import statement in ``path`` names, at any depth."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                root = ".".join(base + ([node.module] if node.module else []))
            else:
                root = node.module or ""
            yield root
            yield from (f"{root}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        deps: set[str] = set()
        for target in _imports(name, path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target not in (name, "newscat"):
                deps.add(target)
        graph[name] = deps
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    loops.append(sorted(component))
    return loops


def _in(name: str, layer: set[str]) -> bool:
    return any(name == top or name.startswith(top + ".") for top in layer)


def _importers(library: str) -> set[str]:
    return {
        name
        for name, path in MODULES.items()
        if any(t == library or t.startswith(library + ".") for t in _imports(name, path))
    }


def test_no_import_loops() -> None:
    assert _loops(_graph()) == []


def test_the_loop_finder_finds_a_loop() -> None:
    assert _loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_command_line_imports_click() -> None:
    assert sorted(n for n in _importers("click") if not _in(n, CLI_LAYER)) == []


def test_only_terminal_output_and_the_command_line_import_rich() -> None:
    allowed = CLI_LAYER | OUTPUT_LAYER
    assert sorted(n for n in _importers("rich") if not _in(n, allowed)) == []


def test_imports_inside_functions_and_for_type_checking_count(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from newscat.index import Index\n"
        "def f() -> None:\n"
        "    import newscat.render\n"
        "    from newscat import export\n",
        encoding="utf-8",
    )
    found = set(_imports("newscat.m", module))
    assert {"newscat.index", "newscat.render", "newscat.export"} <= found
