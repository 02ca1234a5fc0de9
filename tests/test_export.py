"""list's formats and fields, and the export command: every format parsed back with the
standard library and compared with the source files."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from newscat.cli import LIST_FORMATS, cli
from newscat.export import WRITERS, OutputSpec, write_jsonl

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
A = "000_50e039b255de019a"
B = "002_6ef551387f7f8ea7"


class _TextDates(yaml.SafeLoader):
    """Safe YAML with timestamps left as the strings they were written as."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def front_matter(path: Path) -> dict[str, Any]:
    """Re-read a source file the plain way: the YAML between the two '---' lines."""
    text = path.read_text(encoding="utf-8")
    _, front, _ = text.split("---\n", 2)
    loaded = yaml.load(front, Loader=_TextDates)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def run(tmp_path: Path, catalog: Path) -> Iterator[Any]:
    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        full = [args[0], "-C", str(catalog), "--cache-dir", str(tmp_path / "cache"), *args[1:]]
        return CliRunner().invoke(cli, full, env=env, catch_exceptions=False)

    yield invoke


def test_every_list_format_has_a_writer() -> None:
    assert set(LIST_FORMATS) == set(WRITERS)


# --- exact outputs of list on the seeds -------------------------------------------------------

TITLE_A = "New report finds healthcare staff need support to use AI safely"
TITLE_B = "NHS report calls for artificial intelligence training for all staff"


def test_list_csv(run: Any) -> None:
    result = run("list", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "id,date,title,provider,quality,heat,topics\n"
        f"{B},2022-11-02T08:30:00Z,{TITLE_B},Digital Health,56,66,AI Ethics; AI; AI in Healthcare\n"
        f"{A},2022-05-19T09:13:00Z,{TITLE_A},NHS HEE,58,68,"
        "AI Ethics; AI; AI in Healthcare; Facebook AI\n"
    )
    assert result.stderr == ""


def test_list_tsv_is_the_default_in_a_pipe(run: Any) -> None:
    result = run("list")
    assert result.exit_code == 0
    assert result.stdout == (
        "id\tdate\ttitle\tprovider\tquality\theat\ttopics\n"
        f"{B}\t2022-11-02T08:30:00Z\t{TITLE_B}\tDigital Health\t56\t66\tAI Ethics; AI; AI in Healthcare\n"
        f"{A}\t2022-05-19T09:13:00Z\t{TITLE_A}\tNHS HEE\t58\t68\t"
        "AI Ethics; AI; AI in Healthcare; Facebook AI\n"
    )
    assert run("list", "-f", "tsv").stdout == result.stdout


def test_list_ids_and_paths(run: Any, catalog: Path) -> None:
    assert run("list", "-f", "ids").stdout == f"{B}\n{A}\n"
    assert run("list", "-f", "paths").stdout == f"{catalog / B}.txt\n{catalog / A}.txt\n"
    assert run("list", "-f", "ids", "-0").stdout == f"{B}\0{A}\0"
    assert run("list", "-0").stdout == f"{B}\0{A}\0"  # -0 alone means ids
    assert run("list", "-f", "paths", "--null").stdout == f"{catalog / B}.txt\0{catalog / A}.txt\0"


def test_list_markdown(run: Any) -> None:
    result = run("list", "-f", "markdown", "-F", "id,title,quality")
    assert result.stdout == (
        "| id | title | quality |\n"
        "| --- | --- | ---: |\n"
        f"| {B} | {TITLE_B} | 56 |\n"
        f"| {A} | {TITLE_A} | 58 |\n"
    )
    rows = run("list", "-f", "markdown", "-F", "id", "--no-header").stdout
    assert rows == f"| {B} |\n| {A} |\n"


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    from newscat.formats import markdown_cell

    assert markdown_cell("a|b\nc") == "a\\|b<br>c"


def test_every_record_format_streams_and_writes_nothing_a_terminal_acts_on() -> None:
    import io

    from newscat.formats import WRITERS, Shape

    records = [
        {"name": "a\x1b[31mb\u202e", "n": 2.0, "tags": ["x", "y"]},
        {"name": None, "n": 1, "tags": None},
    ]
    expected = {
        "tsv": "name\tn\ttags\na\\x1b[31mb\\u202e\t2\tx; y\n\t1\t\n",
        "csv": "name,n,tags\na\\x1b[31mb\\u202e,2,x; y\n,1,\n",
        "markdown": "| name | n | tags |\n| --- | ---: | --- |\n"
        "| a\\\\x1b[31mb\\\\u202e | 2 | x; y |\n|  | 1 |  |\n",
        "json": '[\n  {"name": "a\\u001b[31mb\\u202e", "n": 2.0, "tags": ["x", "y"]},\n'
        '  {"name": null, "n": 1, "tags": null}\n]\n',
        "jsonl": '{"name": "a\\u001b[31mb\\u202e", "n": 2.0, "tags": ["x", "y"]}\n'
        '{"name": null, "n": 1, "tags": null}\n',
    }
    for fmt, writer in WRITERS.items():
        out = io.StringIO()
        shape = Shape(("name", "n", "tags"), numeric={"n"})
        # A generator: every writer takes records as they come, and counts them.
        assert writer(out, (record for record in records), shape) == 2
        assert out.getvalue() == expected[fmt], fmt
    pretty = io.StringIO()
    WRITERS["json"](pretty, [], Shape(("name",), indent=2))
    assert pretty.getvalue() == "[]\n"


def test_no_header_and_count(run: Any) -> None:
    assert run("list", "-f", "csv", "-F", "id", "--no-header").stdout == f"{B}\n{A}\n"
    assert run("list", "-f", "tsv", "-F", "id", "--no-header").stdout == f"{B}\n{A}\n"
    result = run("list", "--count")
    assert (result.exit_code, result.stdout) == (0, "2\n")


def test_fail_empty(run: Any) -> None:
    result = run("list", "-n", "0", "-e")
    assert result.exit_code == 1
    assert result.stdout == "id\tdate\ttitle\tprovider\tquality\theat\ttopics\n"
    assert "no articles matched" in result.stderr
    assert run("list", "-n", "0").exit_code == 0
    assert run("list", "--count", "-n", "0", "-e").exit_code == 0  # --count ignores --limit
    assert run("list", "-e").exit_code == 0


def test_dotted_fields(run: Any) -> None:
    result = run("list", "-F", "id,provider.domain,images.url,images.width", "--sort", "id")
    assert result.stdout == (
        "id\tprovider.domain\timages.url\timages.width\n"
        f"{A}\thee.nhs.uk\thttps://www.hee.nhs.uk/sites/default/files/logos/NHSConstitution.png\t454\n"
        f"{B}\tdigitalhealth.net\t"
        "https://www.digitalhealth.net/wp-content/uploads/2022/10/AI-for-NHS-staff-1.jpg\t555\n"
    )
    data = json.loads(run("list", "-f", "json", "-F", "id,images.url,provider").stdout)
    assert data[1] == {
        "id": A,
        "images.url": ["https://www.hee.nhs.uk/sites/default/files/logos/NHSConstitution.png"],
        "provider": "NHS HEE",
    }


def test_mapping_fields_flatten_to_dotted_columns_in_csv(run: Any) -> None:
    result = run("list", "-f", "csv", "-F", "id,related", "--sort", "id")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:4] == [
        "id",
        "related.title",
        "related.excerpt",
        "related.publishedDateTime",
    ]
    assert "related.provider.name" in rows[0]
    assert rows[0]["related.provider.name"] == "Medical Xpress"
    assert rows[1]["related.quality"] == "41"
    assert rows[1]["related.images.url"] == ""


def test_unknown_field_is_a_usage_error_listing_valid_fields(run: Any) -> None:
    result = run("list", "-F", "id,qualty")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown field 'qualty' (did you mean 'quality'?)" in result.stderr
    for name in ("quality", "topics", "originalUrl", "provider.domain", "images.url"):
        assert name in result.stderr
    assert run("list", "-F", "provider.nope").exit_code == 2
    assert run("list", "-f", "json", "-F", "nope").exit_code == 2


def test_null_with_another_format_is_a_usage_error(run: Any) -> None:
    result = run("list", "-f", "csv", "-0")
    assert result.exit_code == 2
    assert "-0/--null works with -f ids or -f paths" in result.stderr


# --- export: each format read back and compared with the files ---------------------------------


def test_export_json_is_the_full_record_as_written(run: Any, catalog: Path) -> None:
    result = run("export", "-f", "json")
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == [B, A]
    for record in records:
        source = catalog / f"{record['id']}.txt"
        expected = front_matter(source)
        assert record["path"] == str(source)
        assert record["path_bytes"] is None
        assert record["front_matter"] == expected
        assert list(record["front_matter"]) == list(expected)  # in file order
        assert record["date"] == expected["publishedDateTime"]  # already UTC with Z
        assert (record["url"], record["provider"]) == (
            expected["webUrl"],
            expected["provider"]["name"],
        )
        assert "\\u" not in result.stdout  # not ASCII-escaped


def test_export_jsonl_round_trip(run: Any, catalog: Path, tmp_path: Path) -> None:
    """Write each exported record back as a file; exporting those gives the same records."""
    (catalog / f"{A}.txt").write_text(
        (catalog / f"{A}.txt").read_text(encoding="utf-8") + "\nA body with ünïcode.\n",
        encoding="utf-8",
    )
    first = [json.loads(line) for line in run("export").stdout.splitlines()]  # jsonl default
    assert first[1]["body"] == "A body with ünïcode."
    again = tmp_path / "again"
    again.mkdir()
    for record in first:
        front = record["front_matter"]
        text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n"
        if "body" in record:
            text += record["body"] + "\n"
        (again / f"{record['id']}.md").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["export", "-C", str(again), "--no-cache"], catch_exceptions=False
    )
    second = [json.loads(line) for line in result.stdout.splitlines()]
    # Not the file's content: where it is, and when newscat first saw it (another second).
    strip = lambda records: [  # noqa: E731
        {k: v for k, v in r.items() if k not in ("path", "arrived")} for r in records
    ]
    assert strip(second) == strip(first)


def test_export_csv_default_columns(run: Any, catalog: Path) -> None:
    result = run("export", "-f", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "id", "path", "path_bytes", "date", "title", "excerpt", "url", "provider", "domain",
        "topics", "category", "type", "quality", "heat", "published", "story", "coverage",
        "canonical_url", "arrived", "originalUrl",
    ]  # fmt: skip
    for row in rows:
        source = front_matter(catalog / f"{row['id']}.txt")
        assert row["title"] == source["title"]
        assert row["excerpt"] == source["excerpt"]
        assert row["quality"] == str(source["quality"])
        assert row["published"] == "false"
        assert row["provider"] == source["provider"]["name"]
        assert row["domain"] == source["provider"]["domain"]
        assert row["topics"] == "; ".join(source["topics"])
        assert row["url"] == source["webUrl"]
        assert row["date"] == source["publishedDateTime"]
    assert "secured" not in result.stdout


def test_export_csv_secured_only_when_named(run: Any, catalog: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "-f", "csv", "-F", "id,secured").stdout)))
    for row in rows:
        assert row["secured"] == front_matter(catalog / f"{row['id']}.txt")["secured"]


def test_export_tsv(run: Any, catalog: Path) -> None:
    lines = run("export", "-f", "tsv", "--sort", "id").stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].split("\t")[7:9] == ["provider", "domain"]
    assert lines[1].split("\t")[:4] == [A, f"{catalog / A}.txt", "", "2022-05-19T09:13:00Z"]
    assert lines[1].split("\t")[7:9] == ["NHS HEE", "hee.nhs.uk"]


def test_export_sqlite(run: Any, catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "news.sqlite"
    result = run("export", "-o", str(out))  # format from the suffix
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"exported 2 articles to {out}\n"
    db = sqlite3.connect(out)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"articles", "article_topics"}
    keys = db.execute("PRAGMA foreign_key_list(article_topics)").fetchall()
    assert [(k[2], k[3], k[4]) for k in keys] == [("articles", "article_id", "id")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    columns = [row[1] for row in db.execute("PRAGMA table_info(articles)")]
    assert columns == [
        "id", "path", "path_bytes", "date", "title", "excerpt", "url", "provider", "domain",
        "category", "type", "quality", "heat", "published", "story", "coverage", "canonical_url", "arrived",
        "front_matter", "body",
    ]  # fmt: skip
    for id_, front, date, quality, provider, domain, published in db.execute(
        "SELECT id, front_matter, date, quality, provider, domain, published FROM articles"
    ):
        source = front_matter(catalog / f"{id_}.txt")
        assert json.loads(front) == source
        assert date == source["publishedDateTime"]
        assert quality == source["quality"]
        assert (provider, domain) == (source["provider"]["name"], source["provider"]["domain"])
        assert published == 0
        topics = [t for (t,) in db.execute(
            "SELECT topic FROM article_topics WHERE article_id = ? ORDER BY position", (id_,)
        )]  # fmt: skip
        assert topics == source["topics"]
        widths = db.execute(
            "SELECT json_extract(i.value, '$.width') FROM articles AS a, "
            "json_each(a.front_matter, '$.images') AS i WHERE a.id = ?",
            (id_,),
        ).fetchall()
        assert widths == [(i["width"],) for i in source["images"]]
    db.close()
    assert sorted(os.listdir(tmp_path)) == [
        "cache",
        "catalog",
        "news.sqlite",
        "state",
    ]  # no temp left


def test_export_sqlite_needs_output(run: Any) -> None:
    result = run("export", "-f", "sqlite")
    assert result.exit_code == 2
    assert "needs -o FILE" in result.stderr
    assert run("export", "-f", "sqlite", "-o", "-").exit_code == 2


def test_export_format_from_suffix_and_to_stdout_dash(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    assert run("export", "-o", str(out), "-F", "id").exit_code == 0
    assert out.read_text(encoding="utf-8") == f"id\n{B}\n{A}\n"
    assert run("export", "-o", "-", "-f", "csv", "-F", "id").stdout == f"id\n{B}\n{A}\n"


def test_export_limit_and_sort(run: Any) -> None:
    result = run("export", "-f", "csv", "-F", "id,quality", "--sort=-quality", "-n", "1")
    assert result.stdout == f"id,quality\n{A},58\n"


# --- safe writes -----------------------------------------------------------------------------


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    target = tmp_path / "out" / "existing.jsonl"
    target.parent.mkdir()
    target.write_text("precious\n", encoding="utf-8")
    return target


def _only(path: Path) -> list[str]:
    return sorted(os.listdir(path.parent))


def test_bad_query_leaves_existing_output_intact(run: Any, existing: Path) -> None:
    result = run("export", "-o", str(existing), "--sort", "nonsense")
    assert result.exit_code == 2
    assert existing.read_text(encoding="utf-8") == "precious\n"
    assert _only(existing) == ["existing.jsonl"]


def test_bad_where_leaves_existing_output_intact(run: Any, existing: Path) -> None:
    from newscat.errors import UsageError
    from newscat.query import Filters, Query, compile_query

    try:
        compile_query(Query(Filters(where=("quality >",))))
    except UsageError:
        pass
    else:
        pytest.skip("--where is not compiled on this branch yet")
    result = run("export", "-o", str(existing), "-w", "quality >")
    assert result.exit_code == 2
    assert existing.read_text(encoding="utf-8") == "precious\n"
    assert _only(existing) == ["existing.jsonl"]


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite"])
def test_fail_empty_leaves_existing_output_intact(run: Any, existing: Path, fmt: str) -> None:
    result = run("export", "-f", fmt, "-o", str(existing), "-n", "0", "-e")
    assert result.exit_code == 1
    assert "no articles matched" in result.stderr
    assert existing.read_text(encoding="utf-8") == "precious\n"
    assert _only(existing) == ["existing.jsonl"]


def test_unwritable_destination_is_a_one_line_error(run: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for target in (tmp_path / "missing" / "x.csv", blocker / "x.csv", tmp_path):
        result = run("export", "-f", "csv", "-o", str(target))
        assert result.exit_code == 1, target
        assert result.stderr.startswith(f"Error: cannot write {target}: ")
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["csv", "sqlite"])
def test_a_write_failing_midway_keeps_the_old_file(
    run: Any, existing: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk halfway through: the old file survives and no temp file is left."""
    import newscat.store.index

    real = newscat.store.index.article_from_row
    seen = []

    def failing(row: Any) -> Any:
        seen.append(row)
        if len(seen) == 2:
            raise OSError(28, "No space left on device")
        return real(row)

    monkeypatch.setattr(newscat.store.index, "article_from_row", failing)
    result = run("export", "-f", fmt, "-o", str(existing))
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {existing}: No space left on device\n"
    assert existing.read_text(encoding="utf-8") == "precious\n"
    assert _only(existing) == ["existing.jsonl"]


def test_new_file_gets_normal_permissions_and_old_ones_are_kept(
    run: Any, tmp_path: Path, existing: Path
) -> None:
    fresh = tmp_path / "fresh.csv"
    run("export", "-o", str(fresh))
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    existing.chmod(0o640)
    run("export", "-o", str(existing))
    assert existing.stat().st_mode & 0o777 == 0o640
    assert existing.read_text(encoding="utf-8").startswith('{"id": ')


# --- streaming -------------------------------------------------------------------------------


def test_writers_write_each_article_as_it_arrives(run: Any, catalog: Path) -> None:
    from newscat.catalog import resolve_roots
    from newscat.store.index import Index

    index = Index.open(resolve_roots([str(catalog)]), None)
    index.refresh()
    articles = list(index.select())
    for name, writer in WRITERS.items():
        if name == "table":
            continue
        out = io.StringIO()
        sizes: list[int] = []

        def lazily(out: io.StringIO = out, sizes: list[int] = sizes) -> Iterator[Any]:
            for article in articles:
                sizes.append(len(out.getvalue()))
                yield article

        spec = OutputSpec(fields=("id", "title") if name not in ("json", "jsonl") else None)
        assert writer(out, lazily(), spec) == 2
        assert sizes[1] > sizes[0], name  # the first article was written before the second was read
    assert write_jsonl(io.StringIO(), iter(()), OutputSpec()) == 0


def test_export_csv_columns_follow_the_catalogue(run: Any, catalog: Path) -> None:
    """Other top-level keys become columns (mappings flattened); a plain-string provider
    is the provider; lists of mappings stay out."""
    (catalog / "odd.md").write_text(
        "---\n"
        "title: Odd one\n"
        "publishedDateTime: May 19, 2022 9:13 AM\n"
        "webUrl: https://example.org/odd\n"
        "provider: Example Daily\n"
        "topics: Solo\n"
        "labels: [x, y]\n"
        "meta: {source: feed, rank: 3}\n"
        "attachments: [{name: a.pdf}]\n"
        "---\n"
        "Body text.\n",
        encoding="utf-8",
    )
    rows = list(csv.DictReader(io.StringIO(run("export", "-f", "csv", "--sort", "id").stdout)))
    assert list(rows[0])[19:] == ["originalUrl", "labels", "meta.source", "meta.rank"]
    odd = rows[-1]
    assert odd["id"] == "odd"
    assert odd["date"] == "2022-05-19T09:13:00Z"
    assert odd["provider"] == "Example Daily"
    assert odd["domain"] == "example.org"  # the url's host
    assert (odd["topics"], odd["labels"], odd["meta.rank"]) == ("Solo", "x; y", "3")
    assert rows[0]["meta.source"] == ""
    records = [json.loads(line) for line in run("export").stdout.splitlines()]
    odd_record = next(r for r in records if r["id"] == "odd")
    assert odd_record["front_matter"]["attachments"] == [{"name": "a.pdf"}]
    assert odd_record["body"] == "Body text."
    assert odd_record["date"] == "2022-05-19T09:13:00Z"
    assert odd_record["front_matter"]["publishedDateTime"] == "May 19, 2022 9:13 AM"


# --- what is at the output path -------------------------------------------------------------


def test_export_through_a_symlink_replaces_the_file_it_names(run: Any, tmp_path: Path) -> None:
    real = tmp_path / "t.csv"
    real.write_text("OLD\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real.name)
    result = run("export", "-f", "csv", "-F", "id", "-o", str(link))
    assert (result.exit_code, result.stdout) == (0, "")
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_bytes() == f"id\n{B}\n{A}\n".encode()


def test_export_to_a_named_pipe_writes_into_it(run: Any, tmp_path: Path) -> None:
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("export", "-f", "jsonl", "-F", "id", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0
    assert got == [f'{{"id": "{B}"}}\n{{"id": "{A}"}}\n'.encode()]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    refused = run("export", "-f", "sqlite", "-o", str(fifo))  # a database cannot be streamed
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: cannot write {fifo}: not a regular file\n",
    )
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.skipif(
    os.geteuid() != 0, reason="making a device file and giving a file away need root"
)
def test_export_never_replaces_a_device_nor_takes_a_file_from_its_owner(
    run: Any, tmp_path: Path
) -> None:
    import stat

    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert run("export", "-f", "csv", "-o", str(null)).exit_code == 0
    assert stat.S_ISCHR(os.stat(null).st_mode)
    theirs = tmp_path / "theirs.csv"
    theirs.write_text("OLD\n", encoding="utf-8")
    os.chown(theirs, 65534, 65534)
    os.chmod(theirs, 0o640)
    assert run("export", "-f", "csv", "-F", "id", "-o", str(theirs)).exit_code == 0
    info = os.stat(theirs)
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (65534, 65534, 0o640)
    assert theirs.read_text(encoding="utf-8").startswith("id")


def test_export_to_dev_stdout_writes_through_the_open_file(catalog: Path, tmp_path: Path) -> None:
    """``-o /dev/stdout`` is the caller's own open file: appended to when the shell opened
    it so (``>>``), never truncated or replaced; a database is refused there."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    log = tmp_path / "log.txt"
    log.write_text("OLD\n", encoding="utf-8")
    inode = os.stat(log).st_ino
    command = [sys.executable, "-m", "newscat", "export", "-C", str(catalog), "-f", "csv", "-F",
               "id", "-o", "/dev/stdout"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8") == f"OLD\nid\n{B}\n{A}\n"
    assert os.stat(log).st_ino == inode
    command[command.index("csv")] = "sqlite"
    del command[command.index("-F") : command.index("-F") + 2]
    with open(log, "a", encoding="utf-8") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr == b"Error: cannot write /dev/stdout: not a regular file\n"
    assert log.read_text(encoding="utf-8") == f"OLD\nid\n{B}\n{A}\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="a link someone else owns needs root to make")
def test_a_link_someone_else_planted_in_a_shared_folder_is_not_followed(
    run: Any, tmp_path: Path
) -> None:
    """As the kernel's fs.protected_symlinks: a link in a sticky, world-writable folder
    (/tmp) that another user owns is not followed to replace its target."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0\n", encoding="utf-8")
    link = shared / "x.json"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    result = run("export", "-f", "json", "-o", str(link))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: cannot write {link}: a link in a shared folder that someone else owns\n"
    )
    assert victim.read_text(encoding="utf-8") == "root:x:0:0\n"
    assert link.is_symlink()
