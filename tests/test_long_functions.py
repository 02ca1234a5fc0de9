"""No function over about 50 lines without a reason.

A function is measured from its ``def`` to its last line, less its docstring (a
command's help text is the user's, not code to read). One that is longer says why
in LONG, exactly: an entry whose function is gone or has become short fails too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tests.conftest import ROOT

PACKAGE = ROOT / "newscat"
MOST = 50

#: (module, function): why it is longer than MOST lines.
LONG: dict[tuple[str, str], str] = {
    ("parquet.py", "_write"): "one writer's state (the open partition, its pending row group) "
    "across the loop over articles",
    ("parse.py", "_parse"): "a file's checks in the order they apply (empty, UTF-16, binary, "
    "front matter), on the parser's hot path",
    ("settings.py", "effective"): "a table: one pick per setting, in the order `config` shows them",
    ("store/reads.py", "trend_rows"): "its two statements written out whole, one per kind of trend",
}


def _lengths(source: str) -> Iterator[tuple[str, int]]:
    """(name, lines) of every function, nested ones included."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            first = node.body[0]
            if (
                len(node.body) > 1
                and isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines -= (first.end_lineno or first.lineno) - first.lineno + 1
            yield node.name, lines


def _long() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        for name, lines in _lengths(path.read_text(encoding="utf-8")):
            if lines > MOST:
                found[(module, name)] = lines
    return found


def test_long_functions_say_why() -> None:
    long = _long()
    assert sorted(set(long) - set(LONG)) == []
    assert sorted(set(LONG) - set(long)) == []  # shortened, or gone: drop its entry


def test_the_measure_leaves_out_docstrings() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(3))
    source = (
        f'def f():\n    """Help.\n\n    More help.\n    """\n{body}\n\ndef g():\n    """Only."""\n'
    )
    assert dict(_lengths(source)) == {"f": 4, "g": 2}
