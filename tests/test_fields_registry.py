"""One module names the fields: ``newscat/fields.py``.

A mechanical check of that contract. Every string literal in the package (docstrings
aside) that equals the name of a field is found by walking each module's syntax tree.
Outside ``fields.py`` a field is named through the registry: a ``Field`` attribute, a
table derived from ``FIELDS`` (``DROP_ORDER``, ``SEARCHED_FIELDS`` …), or a checked
look-up ``REGISTRY["name"]``, which fails loudly when the field is renamed. The literals
left are listed below, each with its reason: most are not fields at all but words that
happen to be spelled the same (an Atom element, a command option, a JSON key of another
report, a field type). A new spelling fails this test: name the field through the
registry, or add it here with its reason. An entry no longer needed fails it too, so
the list stays exact.

SQL reads the index's columns by name; a second check holds every ``a.column`` that
any SQL in the package reads to the columns the registry stores.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from newscat import fields
from tests.conftest import ROOT

PACKAGE = ROOT / "newscat"
NAMES = frozenset(spec.name for spec in fields.FIELDS)

#: (module, the field names it still spells, why).
SPELLED: tuple[tuple[str, frozenset[str], str], ...] = (
    ("cli.py", frozenset({"title", "more"}),
     "list --collapse puts its `more` column right after the title"),
    ("cli.py", frozenset({"id", "path"}),
     "index -f json names each changed file by its id and path (a report's own keys)"),
    ("cli.py", frozenset({"type"}),
     "the columns of the `fields` listing: name, type, articles, example"),
    ("commands/common.py", frozenset({"ref", "snippet"}),
     "the computed columns: handles only when `ref` is shown, the -m passage only when "
     "`snippet` is"),
    ("commands/common.py", frozenset({"date", "topics", "provider", "topic"}),
     "nothing matched: the wording for a field no article has, and the filter kinds"),
    ("commands/configuring.py", frozenset({"path"}),
     "config -f json: where each settings file is (not a field)"),
    ("commands/stories.py", frozenset({"topic", "provider"}),
     "trends --by: the kinds of trend"),
    ("commands/stories.py", frozenset({"date", "topics"}),
     "trends count dated articles by topic: the fields to say no article has"),
    ("commands/views.py", frozenset({"topic", "provider"}),
     "topics and providers: the kinds of group"),
    ("commands/views.py", frozenset({"topics"}),
     "topics counts topics: the field to say no article has"),
    ("complete.py", frozenset({"id"}),
     "the parts of an id a REF may start with (the id itself first)"),
    ("config.py", frozenset({"topic", "provider", "category", "type", "published"}),
     "saved searches hold command-line options by their long names"),
    ("options.py", frozenset({"topic", "provider", "category", "type", "published"}),
     "command-line options by their long names"),
    ("dates.py", frozenset({"date"}),
     "the word an unreadable date is called in an error"),
    ("export.py", frozenset({"snippet"}),
     "machine formats write the -m passage with its marks as plain text"),
    ("feeds.py", frozenset({"title", "id", "published", "category"}),
     "Atom and RSS element names"),
    ("store/index.py", frozenset({"id", "canonical_url"}),
     "check's duplicate-id and duplicate-URL queries"),
    ("store/schema.py", frozenset({"id"}),
     "the parts of an id a REF names"),
    ("store/writes.py", frozenset({"title", "excerpt"}),
     "the full-text index's columns kept from each row (the schema the store owns)"),
    ("store/writes.py", frozenset({"topics"}),
     "the index's topics table, emptied with the others"),
    ("listing.py", frozenset({"date", "title"}),
     "the sort orders browse steps through"),
    ("listing.py", frozenset({"topic", "provider"}),
     "browse's t: and p: search prefixes"),
    ("model.py", frozenset({"quality", "heat"}),
     "topics and providers --sort: a group's average score"),
    ("parse.py", frozenset({"title", "date", "url", "provider"}),
     "fields read by rules of their own: a missing title or url is a warning, a date "
     "falls back to the file name, a provider mapping gives the domain"),
    ("parse.py", frozenset({"id", "path", "front_matter", "body", "domain"}),
     "the Article's attributes _article puts in their places itself, one store each "
     "(keyword arguments, which this scan does not see, cost a dictionary more a file)"),
    ("parquet.py", frozenset({"body"}),
     "a body read from its file counts toward a row group's bytes"),
    ("parquet.py", frozenset({"date"}),
     "the field type date (an Arrow timestamp), not the field"),
    ("query.py", frozenset({"date"}),
     "the field type date (sorted as an instant), not the field"),
    ("where.py", frozenset({"date"}),
     "the field type date (compared as an instant), not the field"),
    ("render.py", frozenset({"snippet", "date", "arrived", "ref", "title"}),
     "how an article table shows a cell: the -m passage highlighted, dates in local "
     "time, the ref in colour, the title linked"),
    ("render.py", frozenset({"id", "story", "url", "published", "topics"}),
     "labels of the show and stats pages"),
    ("render.py", frozenset({"type"}),
     "the columns of the `fields` listing: name, type, articles, example"),
    ("render.py", frozenset({"url", "path"}),
     "how the show page gives a value: the url linked, the path dimmed"),
    ("store/reads.py", frozenset({"topic", "quality", "heat"}),
     "the --sort orders of the topics and providers reports, and the kind of trend"),
    ("render.py", frozenset({"date", "provider", "quality", "title", "url"}),
     "the columns of a story's members and of a related list, read from each entry by "
     "the registry's keys"),
    ("render.py", frozenset({"topic", "provider", "domain", "quality", "heat", "story",
                             "title"}),
     "the columns of the topics, providers, stories and trends reports (averages, "
     "counts, a story's title), not article fields"),
    ("stories/grouping.py", frozenset({"more"}),
     "a stopword"),
    ("stories/report.py", frozenset({"story", "coverage", "title"}),
     "the stories report's own keys"),
    ("store/stories.py", frozenset({"story", "canonical_url", "url"}),
     "columns of the stories' own tables"),
    ("stories/urls.py", frozenset({"ref"}),
     "a tracking parameter of URLs"),
    ("suggest.py", frozenset({"topic", "provider", "category", "type"}),
     "the filter options whose unknown values get a did-you-mean"),
    ("suggest.py", frozenset({"date", "topics"}),
     "the fields --since, --until and -t need, to say when no article has one"),
    ("summary.py", frozenset({"published", "topics", "quality", "heat", "category", "type"}),
     "the stats report's keys (counts and score summaries), not the fields"),
    ("summary.py", frozenset({"topic", "provider", "domain", "quality", "heat"}),
     "the topics and providers reports: group kinds and --sort orders"),
    ("trends.py", frozenset({"topic", "provider", "domain"}),
     "the kinds of trend and their report's columns"),
)  # fmt: skip


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name != "fields.py":
            yield name, path


def spelled(source: str) -> set[str]:
    """The field names a module's code spells as string literals, leaving out docstrings
    and checked look-ups (``REGISTRY["title"]``)."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, (ast.Name, ast.Attribute))
            and (node.value.id if isinstance(node.value, ast.Name) else node.value.attr)
            == "REGISTRY"
        ):
            skip.add(id(node.slice))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in NAMES
        and id(node) not in skip
    }


def test_the_scan_finds_a_field_spelled_and_not_a_checked_lookup() -> None:
    code = '''
"""title"""
def f(article):
    """date"""
    return REGISTRY["url"], fields.REGISTRY["type"], article["quality"], "heat" in x, "x"
'''
    assert spelled(code) == {"quality", "heat"}


def test_only_the_registry_spells_field_names() -> None:
    allowed: dict[str, set[str]] = {}
    for module, names, _ in SPELLED:
        allowed.setdefault(module, set()).update(names)
    found = {name: spelled(path.read_text(encoding="utf-8")) for name, path in _modules()}
    new = {name: sorted(names - allowed.get(name, set())) for name, names in found.items()}
    assert {name: names for name, names in new.items() if names} == {}, (
        "name these fields through newscat/fields.py, or list them in SPELLED with a reason"
    )
    stale = {name: sorted(names - found.get(name, set())) for name, names in allowed.items()}
    assert {name: names for name, names in stale.items() if names} == {}, (
        "these are no longer spelled: take them out of SPELLED"
    )


#: SQL's ``a.column`` over ``articles AS a`` (not a dotted word inside a longer name).
_COLUMN = re.compile(r"(?<![\w.])a\.([A-Za-z_]\w*)")
#: Columns of the index's articles table that are no field's (the parts of the id the
#: REF rules index, newscat.store.schema.id_parts).
_OWN_COLUMNS = {"rowid", "root", "id_suffix", "id_leaf"}


def test_sql_reads_only_the_columns_the_registry_stores() -> None:
    stored = {spec.stored_name for spec in fields.STORED_FIELDS} | _OWN_COLUMNS
    unknown: dict[str, set[str]] = {}
    for name, path in [*_modules(), ("fields.py", PACKAGE / "fields.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for column in set(_COLUMN.findall(node.value)) - stored:
                    unknown.setdefault(name, set()).add(column)
    assert unknown == {}


def test_the_front_matter_column_is_named_once() -> None:
    """The front matter's column is ``record`` in the index; SQL elsewhere reads it
    through the registry (``FRONT_MATTER_SQL``, ``REGISTRY[FRONT_MATTER].stored_name``)."""
    column = fields.REGISTRY[fields.FRONT_MATTER].stored_name
    assert f"a.{column}" == fields.FRONT_MATTER_SQL
    spelling = re.compile(rf"\b(?:a\.)?{column}\b")
    readers = set()
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.search(r"\b(?:SELECT|FROM|json_\w+)\b", node.value)
                and spelling.search(node.value)
            ):
                readers.add(name)
    # The store owns the table.
    assert sorted(name for name in readers if not name.startswith("store/")) == []


def test_the_table_layout_is_consistent() -> None:
    """Each flexible column's comfortable width is at least its least width, and each
    column that gives way has a turn of its own (a tie would make the order arbitrary)."""
    for spec in fields.FIELDS:
        assert spec.flex is None or spec.flex[0] >= spec.flex[1] > 0, spec.name
        assert spec.cap is None or spec.cap > 0, spec.name
    drops = [spec.drop for spec in fields.FIELDS if spec.drop]
    assert len(drops) == len(set(drops))
    assert (
        tuple(spec.name for spec in sorted(fields.FIELDS, key=lambda spec: spec.drop) if spec.drop)
        == fields.DROP_ORDER
    )
