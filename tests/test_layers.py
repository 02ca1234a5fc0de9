"""The import layering is a checked contract: data flows one way.

Every import counts, at the top of a module, inside a function, or for type
checking only, because each one is a dependency a reader must follow. The rules:
every module sits in one layer of LAYERS and imports only from its own layer or
those below; no two modules depend on each other (directly or round a loop); only
the command line layer imports click; only the terminal output layer (and the
command line above it) imports Rich; an import inside a function says why it is
there (a comment on or just above it: start-up time, an optional dependency); and
only the store (``newscat/store/``) opens a database, runs SQL or spells out a
statement.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "newscat"

#: Every module's layer, bottom to top. A module imports from its own layer and those
#: below it, never from one above; a new module must be given its place here.
LAYERS: list[tuple[str, set[str]]] = [
    (
        "inert text, records, errors and small helpers",
        {
            "newscat.text", "newscat.model", "newscat.errors", "newscat.signals",
            "newscat.store.transactions", "newscat.handles", "newscat.ignore", "newscat.launch",
            "newscat.pager", "newscat.dates", "newscat.stories.urls", "newscat.split",
            "newscat.plainyaml", "newscat.forked",
        },
    ),
    # The state database's schema sits with the registry: the field 'arrived' reads it.
    (
        "fields, parsing, configuration files",
        {"newscat.fields", "newscat.parse", "newscat.config", "newscat.store.state"},
    ),
    ("finding files", {"newscat.catalog"}),
    (
        "the store (schema, every statement) and the refresh",
        {"newscat.store", "newscat.refresh", "newscat.stories", "newscat.stories.grouping", "newscat.watch"},
    ),
    ("REFs", {"newscat.refs"}),
    (
        "filters, -m and the query language to SQL",
        {"newscat.query", "newscat.where", "newscat.where_syntax", "newscat.match"},
    ),
    (
        "summaries and listings over a query",
        {"newscat.summary", "newscat.trends", "newscat.stories.report", "newscat.suggest", "newscat.listing"},
    ),
    (
        "output: machine formats and the terminal",
        {"newscat.formats", "newscat.feeds", "newscat.parquet", "newscat.export", "newscat.render", "newscat.browse"},
    ),
    (
        "the command line",
        {
            "newscat", "newscat.__main__", "newscat._help", "newscat.entry", "newscat.starting", "newscat.starter", "newscat.cli",
            "newscat.settings", "newscat.app", "newscat.options", "newscat.complete",
            "newscat.shells", "newscat.commands",
        },
    ),
]  # fmt: skip

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

#: The store: the one place that opens a database, runs SQL and spells out a statement.
#: Elsewhere SQL appears only as conditions and orders over ``articles AS a`` (what
#: the query layer compiles) and columns, handed to the store's functions.
STORE = {"newscat.store"}
#: Modules outside the store that still open a database, run or spell a statement,
#: each with its reason. Exact: an entry that no longer does so fails too.
SQL_OUTSIDE_THE_STORE: dict[str, str] = {}

_STATEMENT = re.compile(
    r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WITH|BEGIN|COMMIT"
    r"|ROLLBACK|SAVEPOINT|RELEASE|ATTACH|DETACH|VACUUM|ANALYZE|REINDEX)\b"
)
_RUNS = {"execute", "executemany", "executescript"}


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


def _layer(name: str) -> int:
    """The layer a module sits in: its own entry, else its package's (``newscat.commands.x``)."""
    for position, (_, members) in enumerate(LAYERS):
        if name in members:
            return position
    for position, (_, members) in enumerate(LAYERS):
        if any(name.startswith(member + ".") for member in members if member != "newscat"):
            return position
    raise KeyError(name)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a lower layer to a higher one, as ``importer -> imported``."""
    return sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(name)
    )


def _reasonless_imports(path: Path) -> Iterator[int]:
    """The line of each run of imports inside a function with no comment on or above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for body in _bodies(function):
            run: list[ast.stmt] = []
            for statement in [*body, None]:
                if isinstance(statement, (ast.Import, ast.ImportFrom)):
                    run.append(statement)
                    continue
                if run:
                    first, last = run[0].lineno, run[-1].end_lineno or run[-1].lineno
                    if not any("#" in line for line in lines[first - 2 : last]):
                        yield first
                    run = []


def _bodies(function: ast.AST) -> Iterator[list[ast.stmt]]:
    """Every statement list in a function, nested blocks included (not nested functions')."""
    for node in ast.walk(function):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body
        for handler in getattr(node, "handlers", ()):
            yield handler.body


def _sql(path: Path) -> Iterator[str]:
    """``line: what`` for each call that opens a database (``sqlite3.connect``) or runs SQL
    (``.execute``, ``.executemany``, ``.executescript``), and each string (f-strings'
    pieces included, docstrings not) that starts with an SQL statement's keyword."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called = node.func
            if called.attr in _RUNS or (
                called.attr == "connect"
                and isinstance(called.value, ast.Name)
                and called.value.id == "sqlite3"
            ):
                yield f"{node.lineno}: {called.attr}()"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and (statement := _STATEMENT.match(node.value))
        ):
            yield f"{node.lineno}: {statement.group(1)}"


def _importers(library: str) -> set[str]:
    return {
        name
        for name, path in MODULES.items()
        if any(t == library or t.startswith(library + ".") for t in _imports(name, path))
    }


def test_no_import_loops() -> None:
    assert _loops(_graph()) == []


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for name in MODULES:
        try:
            _layer(name)
        except KeyError:
            unplaced.append(name)
    assert unplaced == []


def test_no_import_reaches_up_a_layer() -> None:
    assert _upward(_graph()) == []


def test_an_upward_import_is_found() -> None:
    assert _upward({"newscat.model": {"newscat.render"}, "newscat.render": {"newscat.model"}}) == [
        "newscat.model -> newscat.render"
    ]


def test_imports_inside_functions_say_why() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in MODULES.values()
        for line in _reasonless_imports(path)
    ]
    assert found == []


def test_an_import_inside_a_function_without_a_reason_is_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f() -> None:\n"
        "    import json  # start-up time\n"
        "    import csv\n"
        "    x = 1\n"
        "    # optional dependency\n"
        "    import yaml\n"
        "    if x:\n"
        "        import sqlite3\n",
        encoding="utf-8",
    )
    assert list(_reasonless_imports(module)) == [8]


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
        "    from newscat.store.index import Index\n"
        "def f() -> None:\n"
        "    import newscat.render\n"
        "    from newscat import export\n",
        encoding="utf-8",
    )
    found = set(_imports("newscat.m", module))
    assert {"newscat.store.index", "newscat.render", "newscat.export"} <= found


def test_only_the_store_runs_or_spells_sql() -> None:
    found = {
        name: list(_sql(path))
        for name, path in MODULES.items()
        if not _in(name, STORE) and name not in SQL_OUTSIDE_THE_STORE
    }
    assert {name: uses for name, uses in found.items() if uses} == {}
    stale = [name for name in SQL_OUTSIDE_THE_STORE if not list(_sql(MODULES[name]))]
    assert stale == []


def test_sql_outside_the_store_is_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""SELECT in a docstring is prose."""\n'
        "import sqlite3\n"
        "def f(conn, table):\n"
        '    """DELETE here too."""\n'
        '    where = "a.id = ? AND a.rowid IN (SELECT article FROM topics)"\n'
        '    conn.execute(f"SELECT id FROM {table} WHERE {where}")\n'
        "    sqlite3.connect(':memory:')\n"
        '    return "  INSERT INTO t VALUES (1)", "Select a field", conn.executemany\n',
        encoding="utf-8",
    )
    assert sorted(_sql(module)) == ["6: SELECT", "6: execute()", "7: connect()", "8: INSERT"]
