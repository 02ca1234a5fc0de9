"""`export -f parquet`: a Hive-partitioned dataset, read back with DuckDB value by value."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from newscat import parquet
from newscat.store.index import Index
from newscat.store.state import STATE_FILE
from tests.conftest import run, write_article

duckdb = pytest.importorskip("duckdb")
pq = pytest.importorskip("pyarrow.parquet")


def _catalogue(folder: Path) -> Path:
    """Shapes seen in real catalogues: dates in several forms and none, quoted and
    fractional scores, a topic as a single string, a provider as a plain string,
    nested front matter, non-ASCII text, bodies and none."""
    write_article(
        folder,
        "2024/a.md",
        "Body of A, with ünïcode and 中文.\n",
        title="Alpha",
        publishedDateTime="2024-05-03T10:00:00Z",
        topics=["AI Ethics", "Policy"],
        provider={"name": "BBC", "domain": "bbc.co.uk"},
        quality="71",
        heat=12,
        published=True,
        webUrl="https://example.org/a",
        images=[{"url": "https://example.org/a.png", "width": 10}],
    )
    write_article(
        folder,
        "2024/b.md",
        title="Beta",
        publishedDateTime="May 19, 2024 9:13 AM",
        topics="Climate",
        provider="Plain Provider",
        quality=7.5,
        category="news",
        type="video",
    )
    write_article(
        folder,
        "2023/c.markdown",
        "## A heading\n\ntext\n",
        title="Gamma",
        publishedDateTime="2023-12-31T23:30:00-02:00",  # 2024-01-01 in UTC
        tags=["x"],
        draft=True,
    )
    write_article(folder, "undated.md", "no date at all\n", title="Undated", extra={"k": [1, 2]})
    write_article(folder, "leap.md", title=None, publishedDateTime="2024-02-29", excerpt="")
    return folder


def _articles(root: Path, cache: Path) -> list[Any]:
    """The articles as the index holds them, with their arrival from the state database
    the command used (``isolated_env`` keeps it beside the cache)."""
    index = Index.open([str(root)], cache, state=cache.parent / "state" / STATE_FILE)
    try:
        index.refresh()
        return list(index.select(order="a.id"))
    finally:
        index.close()


def _read(folder: Path) -> list[dict[str, Any]]:
    glob = str(folder / "**" / "*.parquet")
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY id")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def _instant(date: str | None) -> datetime | None:
    if date is None:
        return None
    return datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def test_duckdb_reads_back_every_value(tmp_path: Path, isolated_env: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "dataset"

    result = run("export", "-C", str(root), "-f", "parquet", "-o", str(out))

    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == f"exported 5 articles to {out}\n"
    rows = _read(out)
    articles = _articles(root, isolated_env)
    assert [r["id"] for r in rows] == [a.id for a in articles]
    for row, article in zip(rows, articles, strict=True):
        year, month = parquet.partition(article.date)
        when = row.pop("date")
        assert when == _instant(article.date)
        front_matter = json.loads(row.pop("front_matter"))
        assert front_matter == article.front_matter
        assert list(front_matter) == list(article.front_matter)  # file order kept
        assert row == {
            "id": article.id,
            "path": article.path,
            "path_bytes": article.path_bytes,
            "title": article.title,
            "excerpt": article.excerpt,
            "url": article.url,
            "provider": article.provider,
            "domain": article.domain,
            "topics": list(article.topics),
            "category": article.category,
            "type": article.type,
            "quality": article.quality,
            "heat": article.heat,
            "published": article.published,
            "story": article.story,
            "coverage": article.coverage,
            "canonical_url": article.canonical_url,
            "arrived": _instant(article.arrived),
            "body": article.text() or None,
            "year": year,
            "month": month,
        }


def test_partitions_are_year_and_month_of_the_utc_date(tmp_path: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "dataset"
    run("export", "-C", str(root), "-f", "parquet", "-o", str(out))

    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())

    assert files == [
        "_newscat_dataset.json",
        "year=2024/month=01/part-0.parquet",  # 23:30 at -02:00 on New Year's Eve
        "year=2024/month=02/part-0.parquet",
        "year=2024/month=05/part-0.parquet",
        "year=unknown/month=unknown/part-0.parquet",
    ]
    ids = {
        str(p.parent.relative_to(out)): pq.read_table(p).column("id").to_pylist()
        for p in out.rglob("*.parquet")
    }
    assert ids["year=2024/month=05"] == ["2024/b", "2024/a"]  # newest first
    assert ids["year=unknown/month=unknown"] == ["undated"]
    assert json.loads((out / "_newscat_dataset.json").read_text())["articles"] == 5


def test_rows_stream_in_bounded_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cat"
    for i in range(25):
        write_article(
            root,
            f"{i:02}.md",
            "body\n" * i,
            title=f"t{i}",
            publishedDateTime=f"2020-0{1 + i % 2}-{1 + i:02}",
        )
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 4)
    out = tmp_path / "dataset"

    assert run("export", "-C", str(root), "-f", "parquet", "-o", str(out)).exit_code == 0

    groups = {
        p.parent.name: [
            pq.ParquetFile(p).metadata.row_group(i).num_rows
            for i in range(pq.ParquetFile(p).metadata.num_row_groups)
        ]
        for p in out.rglob("*.parquet")
    }
    assert groups == {"month=01": [4, 4, 4, 1], "month=02": [4, 4, 4]}
    assert len(_read(out)) == 25


def test_filters_sort_and_limit_choose_the_articles(tmp_path: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "dataset"

    result = run(
        "export", "-C", str(root), "-f", "parquet", "-o", str(out), "--sort=-quality", "-n", "2"
    )

    assert result.exit_code == 0
    assert sorted(r["title"] for r in _read(out)) == ["Alpha", "Beta"]
    run("export", "-C", str(root), "-f", "parquet", "-o", str(out), "-t", "climate")
    assert [r["title"] for r in _read(out)] == ["Beta"]  # the earlier dataset was replaced


def test_an_existing_folder_that_is_not_a_dataset_is_refused(tmp_path: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    a_file = tmp_path / "file.parquet"
    a_file.write_text("x")

    refused = run("export", "-C", str(root), "-f", "parquet", "-o", str(out))
    onto_file = run("export", "-C", str(root), "-f", "parquet", "-o", str(a_file))

    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"Error: {out} is not empty and holds no newscat dataset; give a new or empty folder\n"
    )
    assert os.listdir(out) == ["notes.txt"]
    assert onto_file.exit_code == 2
    assert onto_file.stderr == f"Error: -f parquet writes a folder, and {a_file} is a file\n"


@pytest.mark.parametrize(
    ("mine", "named"),
    [("NOTES.txt", "NOTES.txt"), ("analysis/query.sql", "analysis"),
     ("year=2024/notes.md", "year=2024/notes.md")],
)  # fmt: skip
def test_a_dataset_folder_holding_the_users_files_is_refused(
    tmp_path: Path, mine: str, named: str
) -> None:
    """A re-export replaces the dataset's whole folder: one that also holds something of
    the user's is refused, and nothing of it is lost; a dataset alone is replaced."""
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "pq"
    assert run("export", "-C", str(root), "-f", "parquet", "-o", str(out)).exit_code == 0
    again = run("export", "-C", str(root), "-f", "parquet", "-o", str(out))
    assert (again.exit_code, again.stderr) == (0, f"exported 5 articles to {out}\n")
    (out / mine).parent.mkdir(parents=True, exist_ok=True)
    (out / mine).write_text("keep me", encoding="utf-8")

    refused = run("export", "-C", str(root), "-f", "parquet", "-o", str(out))

    assert (refused.exit_code, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"Error: {out} holds a newscat dataset and {out / named}, which a new export would remove; "
        "move it, or give a new or empty folder\n"
    )
    assert (out / mine).read_text(encoding="utf-8") == "keep me"


def test_nothing_matched_with_fail_empty_leaves_no_folder(tmp_path: Path) -> None:
    root = _catalogue(tmp_path / "cat")
    out = tmp_path / "dataset"

    result = run("export", "-C", str(root), "-f", "parquet", "-o", str(out), "-t", "nope", "-e")

    assert result.exit_code == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cache",
        "cat",
        "state",
    ]  # no temporary folder


def test_usage_errors(tmp_path: Path) -> None:
    no_dir = run("export", "-f", "parquet")
    with_fields = run("export", "-f", "parquet", "-o", str(tmp_path / "d"), "-F", "id")
    assert (no_dir.exit_code, no_dir.stderr) == (2, "Error: -f parquet needs -o DIR\n")
    assert (with_fields.exit_code, with_fields.stderr) == (
        2,
        "Error: --fields does not apply to -f parquet\n",
    )


def test_without_pyarrow_one_line_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # what an absent package looks like
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)

    result = run("export", "-f", "parquet", "-o", str(tmp_path / "d"))

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == 'Error: -f parquet needs pyarrow: pip install "newscat[parquet]"\n'
    assert not (tmp_path / "d").exists()
