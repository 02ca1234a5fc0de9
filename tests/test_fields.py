"""The ``fields`` command and the one field registry: what it lists is exactly what
-F, --where and --sort accept."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat import fields
from newscat.cli import cli
from newscat.errors import UsageError
from newscat.export import resolve_fields
from newscat.query import Filters, compile_order, known_paths
from newscat.store.index import Index
from newscat.where import compile_where
from newscat.where_syntax import WhereError
from tests.query_support import open_index, write_catalogue

NORMALISED = [
    "id", "path", "path_bytes", "date", "title", "excerpt", "url", "provider", "domain", "topics",
    "category", "type", "quality", "heat", "published", "story", "coverage", "canonical_url",
    "arrived", "front_matter", "body", "age", "ref", "snippet", "more",
]  # fmt: skip
NOW = datetime(2023, 2, 1, tzinfo=timezone.utc)
#: Fields computed for output: -F takes them, --where and --sort say why not.
OUTPUT_ONLY = ("snippet", "more")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture(scope="module")
def index(root: Path) -> Index:
    return open_index(root, None)


def listing(root: Path, fmt: str) -> str:
    result = CliRunner().invoke(cli, ["fields", "--no-cache", "-C", str(root), "-f", fmt])
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def test_json_lists_normalised_fields_then_the_front_matter_the_catalogue_has(
    root: Path,
) -> None:
    rows = json.loads(listing(root, "json"))
    names = [row["name"] for row in rows]
    assert names[: len(NORMALISED)] == NORMALISED
    assert names[len(NORMALISED) :] == [
        "front_matter.category", "front_matter.title", "front_matter.excerpt",
        "publishedDateTime", "webUrl", "front_matter.type", "front_matter.quality",
        "front_matter.heat", "front_matter.published", "front_matter.provider",
        "front_matter.provider.name", "front_matter.provider.domain", "front_matter.topics",
        "images", "images.url", "images.width", "images.height", "images.isCached", "related",
        "related.title", "related.publishedDateTime", "related.provider",
        "related.provider.name", "related.provider.domain", "related.quality", "region", "tags",
        "score", "meta", "meta.editor", "meta.editor.name", "meta.score", "`it's`", "select",
    ]  # fmt: skip
    by_name = {row["name"]: (row["type"], row["articles"], row["example"]) for row in rows}
    assert by_name["quality"] == ("number", 11, 58)
    assert by_name["date"] == ("date", 12, "2022-05-19T09:13:00Z")
    assert by_name["published"] == ("bool", 11, False)
    assert by_name["topics"] == ("list of text", 11, ["AI Ethics", "AI"])
    assert by_name["excerpt"] == ("text", 1, "Frontline staff need support to use AI safely.")
    assert by_name["front_matter"] == ("mapping", 12, None)
    assert by_name["publishedDateTime"] == ("date", 12, "2022-05-19T09:13:00Z")
    assert by_name["front_matter.provider.domain"] == ("text", 11, "hee.nhs.uk")
    assert by_name["images.width"] == ("number", 2, 454)
    assert by_name["related.provider.name"] == ("text", 1, "Computer Weekly")
    assert by_name["tags"] == ("list of text", 1, ["eins", "zwei"])
    assert by_name["meta.editor.name"] == ("text", 1, "Ann O'Neil")
    assert by_name["`it's`"] == ("number", 1, 1)
    assert by_name["age"][:2] == ("duration", 12)


def test_a_catalogue_without_images_lists_none(tmp_path: Path) -> None:
    (tmp_path / "2024-03-01-hello.md").write_text(
        "---\ntitle: Hello\ntags: [a]\n---\nBody.\n", encoding="utf-8"
    )
    out = listing(tmp_path, "tsv").splitlines()
    assert out[0] == "name\ttype\tarticles\texample"
    assert [line.split("\t")[0] for line in out[1:]][len(NORMALISED) :] == [
        "front_matter.title", "tags",
    ]  # fmt: skip
    assert "date\tdate\t1\t2024-03-01T00:00:00Z" in out
    assert "topics\tlist of text\t1\ta" in out
    assert "quality\tnumber\t0\t" in out


def test_table(root: Path) -> None:
    out = listing(root, "table")
    assert out.splitlines()[0].split() == ["name", "type", "articles", "example"]
    assert "meta.editor.name" in out


def test_a_table_80_columns_wide_shows_every_name_whole(tmp_path: Path) -> None:
    """A name is what -F and --where take: at 80 columns the example gives way, never
    the name (a cut name looks valid and is not)."""
    key = "a_rather_long_front_matter_key_name_here"
    (tmp_path / "a.md").write_text(
        f"---\ntitle: T\nprovider:\n  name: NHS HEE\n  domain: hee.nhs.uk\n{key}: 1\n---\n",
        encoding="utf-8",
    )
    args = ["fields", "--no-cache", "-C", str(tmp_path), "-f", "table"]
    got = CliRunner().invoke(cli, args, env={"COLUMNS": "80"})
    assert got.exit_code == 0
    names = [line.split()[0] for line in got.stdout.splitlines()[1:] if line.strip()]
    assert {key, "front_matter.provider.name", "front_matter.provider.domain"} <= set(names)
    assert max(len(line) for line in got.stdout.splitlines()) <= 80


def test_every_listed_name_works_with_f_where_and_sort(root: Path) -> None:
    runner = CliRunner()
    base = ["--no-cache", "-C", str(root)]
    for row in json.loads(listing(root, "json")):
        name = row["name"]
        got = runner.invoke(cli, ["list", *base, "-f", "json", "-F", f"id,{name}"])
        assert (got.exit_code, got.stderr) == (0, ""), name
        assert all(name in record for record in json.loads(got.stdout)), name
        got = runner.invoke(cli, ["list", *base, "-w", f"{name} is not empty", "--count"])
        if name in OUTPUT_ONLY:
            assert "is computed for output only; it cannot be filtered" in got.stderr
            got = runner.invoke(cli, ["list", *base, "-s", name, "-f", "ids"])
            assert got.stderr == f"Error: cannot sort by {name!r}: it is computed for output only\n"
            continue
        assert (got.exit_code, got.stderr) == (0, ""), name
        assert int(got.stdout) == (row["articles"] if name not in ("age", "ref") else 12), name
        got = runner.invoke(cli, ["list", *base, "-s", name, "-f", "ids"])
        if row["type"] in ("mapping", "list of mappings"):
            assert got.stderr == f"Error: cannot sort by {name!r}: it is a {row['type']}\n"
        else:
            assert (got.exit_code, got.stderr) == (0, ""), name


def _accepted(index: Index, name: str) -> set[str]:
    """How each of -F, --where and --sort takes a name: 'ok' or 'unknown'."""
    known = known_paths(index)
    answers: set[str] = set()
    try:
        resolve_fields([name], index)
        answers.add("ok")
    except UsageError as exc:
        assert "unknown field" in str(exc)
        answers.add("unknown")
    try:
        compile_where(f"{name} is empty", NOW, known)
        answers.add("ok")
    except WhereError as exc:
        known_field = "computed for output only" in exc.reason
        assert known_field or exc.reason.startswith("unknown field"), exc.reason
        answers.add("ok" if known_field else "unknown")
    try:
        compile_order((name,), Filters(), known)
        answers.add("ok")
    except UsageError as exc:
        message = str(exc)
        assert message.startswith(("unknown sort key", "cannot sort by")), message
        answers.add("unknown" if message.startswith("unknown") else "ok")
    return answers


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fields_lists_exactly_the_names_f_where_and_sort_accept(
    index: Index, data: st.DataObject
) -> None:
    listed = [row.name for row in fields.field_rows(index.select(), NOW)]
    pool = [*listed, "front_matter.tags", "provider.name", "meta.editor.nom", "qualty",
            "images.size", "front_matter.nothing", "related.title.x", "Tags", "TITLE",
            "Meta.Editor", "front_matter.Tags"]  # fmt: skip
    name = data.draw(
        st.sampled_from(pool)
        | st.from_regex(r"[a-z]{1,6}(\.[a-z]{1,6}){0,2}", fullmatch=True).filter(
            lambda name: name.split(".")[0] not in fields.KEYWORDS  # --where needs `or` quoted
        ),
        label="name",
    )
    answers = _accepted(index, name)
    assert len(answers) == 1, (name, answers)  # the three agree
    segments, quoted = fields.parse_name(name)
    ref = fields.lookup(segments, quoted)
    canonical = ref.name
    if name in listed:
        assert answers == {"ok"}, name
    elif answers == {"ok"} and name.casefold() != canonical.casefold():
        assert canonical in listed, name  # another spelling of a listed field
    if canonical not in listed and name.casefold() not in {n.casefold() for n in listed}:
        assert answers == {"unknown"}, name


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["fields", "--help"])
    assert result.exit_code == 0
    assert "List every field: its type, how many articles have it" in result.stdout
    assert "newscat fields -f json" in result.stdout


def test_a_filter_on_a_field_no_article_has_says_why(tmp_path: Path) -> None:
    (tmp_path / "undated.md").write_text(
        "---\ntitle: Undated\nlabels: [security]\n---\n", encoding="utf-8"
    )
    base = ["list", "--no-cache", "-C", str(tmp_path), "--count"]
    runner = CliRunner()
    result = runner.invoke(cli, [*base, "--since", "2023-01-01"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "0\n",
        "no article has a date; newscat reads publishedDateTime, date, publishDate or "
        "pubDate, or a YYYY-MM-DD file name — see newscat.toml\n",
    )
    result = runner.invoke(cli, [*base, "-t", "security", "-w", "age < 2w"])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "0\n",
        "no article has a date; newscat reads publishedDateTime, date, publishDate or "
        "pubDate, or a YYYY-MM-DD file name — see newscat.toml\n"
        "no article has topics; newscat reads topics, tags or keywords — see newscat.toml\n",
    )
    (tmp_path / "2024-05-01-dated.md").write_text("---\ntitle: Dated\n---\n", encoding="utf-8")
    result = runner.invoke(cli, [*base, "--since", "2030-01-01"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "0\n", "")


def test_the_stored_columns_come_from_the_registry(root: Path, tmp_path: Path) -> None:
    """The index, a Parquet dataset and the SQLite export name their columns only
    through the registry, and an article comes back from the index as it was parsed."""
    import sqlite3

    from newscat import parquet
    from newscat.catalog import read_article
    from newscat.model import Article
    from newscat.store.index import article_from_row
    from newscat.store.schema import ID_PART_COLUMNS, article_row, id_parts

    index = open_index(root, tmp_path / "cache")
    declared = [row[1] for row in index.conn.execute("PRAGMA table_info(articles)")]
    stored_names = [spec.stored_name for spec in fields.STORED_FIELDS]
    assert declared == ["rowid", "root", *stored_names, *ID_PART_COLUMNS.split(", ")]
    assert [name for name, _ in parquet.COLUMNS] == [spec.name for spec in fields.RECORD_FIELDS]
    out = tmp_path / "out.sqlite"
    result = CliRunner().invoke(
        cli, ["export", "-q", "-C", str(root), "-f", "sqlite", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(out) as conn:
        exported = [row[1] for row in conn.execute("PRAGMA table_info(articles)")]
    assert exported == [spec.name for spec in fields.EXPORT_FIELDS]
    for stored in index.select():
        _, parsed, *_ = read_article(stored.path, stored.id)
        assert isinstance(parsed, Article), parsed
        row, _, _, body, _ = article_row(parsed)
        assert body is None  # bodies travel only for the full-text index
        assert row[len(stored_names) :] == id_parts(parsed.id)
        from_index = article_from_row(row[: len(stored_names)])
        assert from_index == dataclasses.replace(parsed, body="")  # the index keeps no body
        assert vars(from_index).keys() == {spec.name for spec in dataclasses.fields(Article)}
        assert from_index.body_in_file
        assert from_index.text() == parsed.body  # it is read from the file
        assert article_row(parsed, body=True)[3] == parsed.body


def test_what_an_output_of_some_fields_reads() -> None:
    """Story fields, the front matter as written and arrival times are each read only
    when the output shows them (None: the whole record shows everything)."""
    from newscat.fields import needs_arrived, needs_front_matter, needs_stories

    assert [needs(None) for needs in (needs_stories, needs_arrived, needs_front_matter)] == [
        True, True, True,
    ]  # fmt: skip
    plain = ["id", "date", "title", "provider", "quality", "heat", "topics"]
    assert [needs(plain) for needs in (needs_stories, needs_arrived, needs_front_matter)] == [
        False, False, False,
    ]  # fmt: skip
    assert needs_arrived([*plain, "arrived"]) and not needs_arrived(["arrivals"])
    assert needs_stories(["id", "story"]) and needs_front_matter(["id", "provider.name"])


def test_a_related_entrys_provider_is_read_as_an_articles() -> None:
    """The provider of a nested summary (``related``): a name, a mapping's name (else its
    domain), or a list's names joined; an empty list is no value and the next key is read."""
    entries = [
        ({"provider": "Site"}, "Site"),
        ({"provider": {"name": "Site", "domain": "site.example"}}, "Site"),
        ({"provider": {"domain": "site.example"}}, "site.example"),
        ({"author": ["Ann", {"name": "Bob"}, 3, "Ann"]}, "Ann, Bob"),
        ({"author": [{"domain": "d.example"}]}, "d.example"),
        ({"author": [], "authors": ["Cy"]}, "Cy"),
        ({"author": []}, None),
    ]
    for entry, provider in entries:
        assert fields.summary_value(entry, "provider") == provider, entry
    assert fields.summary_value({"topics": ["a", "b"]}, "topics") == ["a", "b"]
