"""``-p NAME`` finds an article one of whose several authors is NAME: the names of a
provider written as a list are kept in the index as written (a name may hold a comma),
beside the provider, which stays the names joined with ", "."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import pytest

from newscat.cli import cli
from newscat.complete import complete_providers
from tests.conftest import run

#: Two articles of several authors (YAML and TOML front matter), one with a name that
#: holds a comma, and one of a single author.
FILES = {
    "a.md": "---\ntitle: A\nurl: https://blog.example/a\nauthor: [Robert Smith, Jane Doe]\n---\n",
    "b.md": (
        '+++\ntitle = "B"\nurl = "https://blog.example/b"\nauthors = ["Jane Doe", "Ann Lee"]\n+++\n'
    ),
    "c.md": '---\ntitle: C\nurl: https://other.example/c\nauthor: ["Smith, Jr.", Ann]\n---\n',
    "d.md": "---\ntitle: D\nurl: https://news.other.example/d\nauthor: Smith\ntags: [X]\n---\n",
}


def _blog(tmp_path: Path) -> Path:
    root = tmp_path / "blog"
    root.mkdir()
    for name, text in FILES.items():
        (root / name).write_text(text)
    return root


def _ids(root: Path, *args: str) -> str:
    result = run("list", "-C", str(root), "-f", "ids", "--sort", "id", "-q", *args)
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def _name_rows(cache: Path) -> list[tuple[str, str]]:
    """(article id, key) of every row of the index's provider_names table."""
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT a.id, n.key FROM provider_names AS n "
            "LEFT JOIN articles AS a ON a.rowid = n.article ORDER BY a.id, n.key"
        ).fetchall()
    return [(str(article), str(key)) for article, key in rows]


def test_p_finds_an_article_by_one_of_its_authors(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    assert _ids(root, "-p", "Jane Doe") == "a\nb\n"
    assert _ids(root, "-p", "jane doe") == "a\nb\n"
    assert _ids(root, "-p", "  JANE DOE ") == "a\nb\n"
    assert _ids(root, "-p", "Ann Lee") == "b\n"
    assert _ids(root, "-p", "Robert Smith") == "a\n"
    # The whole name, as before; a part of a name matches nothing.
    assert _ids(root, "-p", "Robert Smith, Jane Doe") == "a\n"
    assert _ids(root, "-p", "Robert") == ""
    # Repeated, OR; with a domain as before.
    assert _ids(root, "-p", "Ann Lee", "-p", "Robert Smith") == "a\nb\n"
    assert _ids(root, "-p", "blog.example") == "a\nb\n"
    assert _ids(root, "-p", "other.example") == "c\nd\n"
    # Counted alike.
    count = run("list", "-C", str(root), "--count", "-p", "jane doe", "-q")
    assert count.stdout == "2\n"


def test_a_name_holding_a_comma_is_one_name(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    assert _ids(root, "-p", "Smith, Jr.") == "c\n"
    assert _ids(root, "-p", "smith, jr.") == "c\n"
    assert _ids(root, "-p", "Smith, Jr., Ann") == "c\n"  # the whole name
    assert _ids(root, "-p", "Ann") == "c\n"
    assert _ids(root, "-p", "Smith") == "d\n"  # the single author, not a part of c's
    assert _ids(root, "-p", "Jr.") == ""
    assert _name_rows(tmp_path / "cache") == [
        ("a", "jane doe"), ("a", "robert smith"), ("b", "ann lee"), ("b", "jane doe"),
        ("c", "ann"), ("c", "smith, jr."),
    ]  # fmt: skip


def test_the_provider_and_its_summary_stay_the_names_joined(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    listed = run("list", "-C", str(root), "-F", "id,provider", "--sort", "id", "-q")
    assert listed.stdout == (
        "id\tprovider\na\tRobert Smith, Jane Doe\nb\tJane Doe, Ann Lee\nc\tSmith, Jr., Ann\nd\tSmith\n"
    )
    providers = run("providers", "-C", str(root), "-f", "tsv", "-q", "--sort", "name")
    assert (providers.exit_code, providers.stderr) == (0, "")
    assert [line.split("\t")[:3] for line in providers.stdout.splitlines()] == [
        ["provider", "domain", "articles"],
        ["Jane Doe, Ann Lee", "blog.example", "1"],
        ["Robert Smith, Jane Doe", "blog.example", "1"],
        ["Smith", "news.other.example", "1"],
        ["Smith, Jr., Ann", "other.example", "1"],
    ]
    # The query language compares the whole name, as before.
    assert _ids(root, "-w", "provider = 'Jane Doe'") == ""
    assert _ids(root, "-w", "provider = 'Robert Smith, Jane Doe'") == "a\n"


def test_a_name_no_article_has_is_named_and_one_an_author_has_is_not(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    found = run("list", "-C", str(root), "--count", "-p", "Jane Doe", "-t", "X")
    assert (found.exit_code, found.stdout, found.stderr) == (0, "0\n", "")
    missing = run("list", "-C", str(root), "--count", "-p", "Jane Do")
    assert missing.stdout == "0\n"
    assert missing.stderr.startswith("no provider 'Jane Do'")


def test_an_edit_to_one_author_and_a_removal_leave_no_old_names(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    cache = tmp_path / "cache"
    assert _ids(root, "-p", "Jane Doe") == "a\nb\n"
    (root / "a.md").write_text(
        "---\ntitle: A\nurl: https://blog.example/a\nauthor: [Robert Smith]\n---\nlonger\n"
    )
    refreshed = run("index", "-C", str(root))
    assert (refreshed.exit_code, refreshed.stderr) == (0, "")
    assert "1 changed" in refreshed.stdout and "rebuil" not in refreshed.stdout
    assert _ids(root, "-p", "Jane Doe") == "b\n"
    assert _ids(root, "-p", "Robert Smith") == "a\n"
    assert [row for row in _name_rows(cache) if row[0] == "a"] == []
    for name in ("b.md", "c.md"):
        (root / name).unlink()
    assert _ids(root, "-p", "Jane Doe") == ""
    assert _name_rows(cache) == []
    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM provider_names").fetchone() == (0,)


def test_a_rebuild_keeps_the_names_once(tmp_path: Path) -> None:
    root = _blog(tmp_path)
    assert run("index", "-C", str(root), "-q").exit_code == 0
    before = _name_rows(tmp_path / "cache")
    rebuilt = run("index", "--rebuild", "-C", str(root), "-q")
    assert (rebuilt.exit_code, rebuilt.stderr) == (0, "")
    assert _name_rows(tmp_path / "cache") == before
    assert len(before) == 6
    assert _ids(root, "-p", "Jane Doe") == "a\nb\n"


def _offered(incomplete: str) -> list[tuple[str, str | None]]:
    """What ``-p`` completion offers for ``incomplete``: (value, help) of each."""
    command = cli.commands["list"]
    ctx = click.Context(command, info_name="list")
    ctx.params = {"catalog": (), "cache_dir": None, "no_cache": False}
    param = next(p for p in command.params if p.name == "provider")
    return [(item.value, item.help) for item in complete_providers(ctx, param, incomplete)]


def test_completion_offers_each_name_of_several_as_first_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _blog(tmp_path)
    (root / "e.md").write_text(
        "---\ntitle: E\nurl: https://e.example/e\nauthor: [JANE DOE, Smith]\n---\n"
    )
    assert run("index", "-C", str(root), "-q").exit_code == 0
    monkeypatch.setenv("NEWSCAT_CATALOG", str(root))
    assert _offered("jane") == [
        ("Jane Doe", "one of several names, 3 articles"),  # a's spelling, first indexed
        ("JANE DOE, Smith", "e.example, 1 article"),
        ("Jane Doe, Ann Lee", "blog.example, 1 article"),
    ]
    assert _offered("ann") == [
        ("Ann", "one of several names, 1 article"),
        ("Ann Lee", "one of several names, 1 article"),
    ]
    # A name holding a comma is one name; one a provider has alone is offered once.
    assert [value for value, _ in _offered("SMITH")] == ["Smith", "Smith, Jr., Ann", "Smith, Jr."]
    assert [value for value, _ in _offered("ro")] == ["Robert Smith, Jane Doe", "Robert Smith"]
    offered = [value for value, _ in _offered("")]
    assert len(offered) == len(set(offered))
    assert offered[0] == "Jane Doe"  # most common first
