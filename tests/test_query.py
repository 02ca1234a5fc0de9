"""Filters, --where expressions and sorting against a real index of a fixture catalogue."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from newscat.errors import UsageError
from newscat.query import Filters, Query, compile_query, known_paths
from newscat.store.index import Index
from tests.query_support import ALL, NOW, open_index, select_ids, write_catalogue


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    base = tmp_path_factory.mktemp("catalogue")
    return open_index(write_catalogue(base / "articles"), base / "cache")


def but(*ids: str) -> list[str]:
    return [name for name in ALL if name not in ids]


WHERE_CASES = [
    ("quality >= 60", ["a03", "a05", "a09", "a10", "a11"]),
    ("quality > 3 and heat < 20", ["a09", "sub/a12"]),
    ("quality between 50 and 60", ["a01", "a02", "a07", "sub/a12"]),
    ("quality in (58, 90)", ["a01", "a10"]),
    ("quality != 58", but("a01")),
    ('quality = "72"', ["a03"]),
    ("quality is empty", ["a06"]),
    ("heat is not empty", but("a06")),
    ("heat", but("a06")),
    ('topics = "ai ethics"', ["a01", "a02", "a03", "a07", "a08", "a09", "a11", "sub/a12"]),
    ('topic != "AI Ethics"', ["a04", "a05", "a06", "a10"]),
    ("topics ~ policy", ["a02", "a10"]),
    ("topics ~ Policy", ["a02", "a10"]),
    ("topics ~ POLICY", []),
    ("topics =~ '^ai (ethics|policy)$'", but("a04", "a05", "a06")),
    ("topics is empty", ["a06"]),
    ("topics in (climate, ki)", ["a04", "a05"]),
    ("topics not in (climate, ki, 'ai ethics', 'ai policy')", ["a06"]),
    ("title ~ nhs", ["a01", "a02", "a09"]),
    ("title ~ NHS", ["a01", "a02", "a09"]),
    ("title ~ Nhs", []),
    ("title !~ ai", ["a03", "a05", "a06", "a07", "a09"]),
    ('title !=~ "ai"', ["a03", "a05", "a06", "a07", "a09"]),
    ('title =~ "^(AI|NHS)"', ["a01", "a02", "a09"]),
    ('title =~ "^the"', ["a11"]),
    ('title = "straße und café — über ki"', ["a05"]),
    ("title ~ strasse", ["a05"]),
    ("title ~ STRASSE", []),
    ('provider = "nhs hee"', ["a01"]),
    ('provider = "BBC News"', ["a03"]),
    ("provider.name = reuters", ["a10"]),
    ("domain ~ nhs.uk", ["a01", "a04", "a09", "sub/a12"]),
    ("provider.domain in (wired.com, reuters.com)", ["a08", "a10"]),
    ("provider.domain not in (wired.com, reuters.com)", but("a08", "a10")),
    ("category = news", but("a04", "a06")),
    ("type = VIDEO", ["a03", "a10"]),
    ("published", ["a02", "a03", "a05", "a08", "a10", "a11"]),
    ("not published", ["a01", "a04", "a06", "a07", "a09", "sub/a12"]),
    ("published = false", ["a01", "a04", "a07", "a09", "sub/a12"]),
    ("published != true", ["a01", "a04", "a06", "a07", "a09", "sub/a12"]),
    ("date = 2022-05-19", ["a01", "a03", "a05"]),
    ("publishedDateTime = 2022-05-19T09:13:00Z", ["a01", "a03"]),
    ("date < 2022-01-01", ["a04", "a09"]),
    ("date <= 2022-05-19", ["a01", "a03", "a04", "a05", "a07", "a09", "a11"]),
    ("date > 2022-05-19", ["a02", "a06", "a08", "a10", "sub/a12"]),
    ("date between 2022-05-01 and 2022-06-01", ["a01", "a03", "a05", "a08"]),
    ('date >= "May 2022" and date < "June 2022"', ["a01", "a03", "a05"]),
    ("date >= 30d", ["a06"]),
    ("date ~ 2022-05", ["a01", "a03", "a05"]),
    ("age < 30d", ["a06"]),
    ("age > 1y", ["a04", "a07", "a09"]),
    ("images.width > 1000", ["a10"]),
    ("images.width < 400", ["a10"]),
    ("images.isCached = false", ["a10"]),
    ("images.isCached", ["a01", "a10"]),
    ("images is empty", but("a01", "a10")),
    ("images", ["a01", "a10"]),
    ("related.provider.domain = computerweekly.com", ["a02"]),
    ("related.quality < 50", ["a02"]),
    ("related.publishedDateTime >= 2022-11-03", ["a02"]),
    ("region = bayern", ["a05"]),
    ("tags = zwei", ["a05"]),
    ("tags != zwei", but("a05")),
    ("score > 10", ["a06"]),
    ("meta.score = 7", ["a06"]),
    ('meta.editor.name = "ann o\'neil"', ["a06"]),
    ('meta.editor.name ~ "O\'Neil"', ["a06"]),
    ("`it's` = 1", ["a07"]),
    ("select = from", ["a07"]),
    ("(quality > 70 or heat > 90) and not type = video", ["a05", "a08", "a11"]),
    ("heat > 90 or quality > 70 and type = video", ["a03", "a08", "a10"]),
    ("NOT published AND heat > 60 OR date >= 7d", ["a01", "a04", "a07"]),
    ("not not published and not (heat < 50)", ["a02", "a08", "a10"]),
    ("id = a01", ["a01"]),
    ("id ~ sub/", ["sub/a12"]),
    ('path ~ "a12.md"', ["sub/a12"]),
    ("url ~ reuters", ["a10"]),
    ("webUrl ~ reuters", ["a10"]),
    ("body ~ vaccine", ["sub/a12"]),
    ('body ~ "; --"', ["a07"]),
    ("Quality >= 80", ["a05", "a10"]),
]


@pytest.mark.parametrize(("expression", "expected"), WHERE_CASES)
def test_where(index: Index, expression: str, expected: list[str]) -> None:
    assert select_ids(index, [expression]) == expected


def test_repeated_where_means_and(index: Index) -> None:
    assert select_ids(index, ["quality >= 60", "heat > 50"]) == ["a10"]


FLAG_CASES: list[tuple[dict[str, object], list[str]]] = [
    ({"topics": ("AI Ethics,AI Policy",)}, but("a04", "a05", "a06")),
    ({"topics": ("AI Ethics", "AI")}, ["a01", "a08"]),
    ({"topics": ("ai ethics , ",)}, ["a01", "a02", "a03", "a07", "a08", "a09", "a11", "sub/a12"]),
    ({"providers": ("nhs.uk",)}, ["a01", "a04", "a09", "sub/a12"]),
    ({"providers": ("NHS HEE", "wired.com")}, ["a01", "a08"]),
    ({"providers": ("bbc news",)}, ["a03"]),
    ({"providers": ("BBC.co.uk",)}, ["a03"]),
    ({"providers": ("hs.uk",)}, []),
    ({"categories": ("NEWS",)}, but("a04", "a06")),
    ({"categories": ("opinion", "science")}, ["a04", "a06"]),
    ({"types": ("video",)}, ["a03", "a10"]),
    ({"min_heat": 90}, ["a04", "a08", "a10"]),
    ({"max_heat": 12}, ["a09", "sub/a12"]),
    ({"min_quality": 50, "max_quality": 60}, ["a01", "a02", "a07", "sub/a12"]),
    ({"since": "2022-11-01"}, ["a02", "a06"]),
    ({"until": "2021-12-31"}, ["a04", "a09"]),
    ({"until": "2021-12-31T12:00:00Z"}, ["a09"]),
    ({"since": "30d"}, ["a06"]),
    ({"since": "today", "now": "2023-01-15T23:00:00Z"}, ["a06"]),
    ({"until": "yesterday", "now": "2021-06-02T08:00:00Z"}, ["a09"]),
    ({"since": "May 2022", "until": "2022-05-19"}, ["a01", "a03", "a05"]),
    ({"published": True}, ["a02", "a03", "a05", "a08", "a10", "a11"]),
    ({"published": False}, ["a01", "a04", "a06", "a07", "a09", "sub/a12"]),
    ({"match": "vaccine"}, ["sub/a12"]),
    ({"match": "machine*"}, ["a01", "a03", "sub/a12"]),
    ({"match": '"machine learning"'}, ["a01", "sub/a12"]),
    ({"match": "ai NOT nhs"}, ["a08", "a10", "a11", "sub/a12"]),
    ({"match": "uber"}, ["a05"]),
    ({"match": "title:wired OR title:reuters"}, ["a08", "a10"]),
]


@pytest.mark.parametrize(("filters", "expected"), FLAG_CASES)
def test_flags(index: Index, filters: dict[str, object], expected: list[str]) -> None:
    assert select_ids(index, **filters) == expected


def test_acceptance_line(index: Index) -> None:
    """newscat list -t "AI Ethics" --min-quality 50 --since 2022-01-01
    -w 'heat > 60 or provider.domain ~ nhs' --sort=-quality -n 10"""
    got = select_ids(
        index,
        ["heat > 60 or provider.domain ~ nhs"],
        sort=["-quality"],
        limit=10,
        topics=("AI Ethics",),
        min_quality=50,
        since="2022-01-01",
    )
    assert got == ["a01", "a02", "sub/a12", "a07"]


SORT_CASES: list[tuple[list[str], list[str]]] = [
    (["quality"], ["a04", "a08", "a07", "sub/a12", "a02", "a01", "a09", "a03", "a11", "a05", "a10", "a06"]),
    (["-quality"], ["a10", "a05", "a11", "a03", "a09", "a01", "a02", "sub/a12", "a07", "a08", "a04", "a06"]),
    (["-date"], ["a06", "a02", "sub/a12", "a10", "a08", "a05", "a01", "a03", "a11", "a07", "a04", "a09"]),
    (["age"], ["a06", "a02", "sub/a12", "a10", "a08", "a05", "a01", "a03", "a11", "a07", "a04", "a09"]),
    (["-images.width"], ["a10", "a01", *but("a01", "a10")]),
    (["-score"], ["a06", *but("a06")]),
    (["category", "-quality"], ["a10", "a05", "a11", "a03", "a09", "a01", "a02", "sub/a12", "a07", "a08", "a04", "a06"]),
    (["-published", "id"], ["a02", "a03", "a05", "a08", "a10", "a11", "a01", "a04", "a07", "a09", "sub/a12", "a06"]),
    (["topics"], ["a01", "a02", "a03", "a08", "a09", "a11", "sub/a12", "a10", "a04", "a05", "a07", "a06"]),
]  # fmt: skip


@pytest.mark.parametrize(("sort", "expected"), SORT_CASES)
def test_sort(index: Index, sort: list[str], expected: list[str]) -> None:
    assert select_ids(index, sort=sort) == expected


@pytest.mark.parametrize(
    "topics",
    [("AI Ethics",), ("ai policy, AI Ethics",), ("AI Ethics", "AI Policy"), ("nothing",), ()],
)
@pytest.mark.parametrize("sort", [["-date"], ["quality"], ["id"]])
def test_a_short_page_is_the_start_of_the_whole_list(
    index: Index, topics: tuple[str, ...], sort: list[str]
) -> None:
    """A short page tests topics article by article, a whole list looks them up: the
    two ways agree, page by page."""
    query = Query(filters=Filters(topics=topics, now=NOW), sort=tuple(sort))
    compiled = compile_query(query, lambda: known_paths(index))
    assert bool(compiled.paged_where) == bool(topics)
    whole = [a.id for a in compiled.select(index, None, 0)]
    assert whole == select_ids(index, sort=sort, topics=topics)
    params = compiled.params + compiled.order_params
    for offset in range(len(whole) + 1):
        page = [a.id for a in compiled.select(index, 3, offset)]
        assert page == whole[offset : offset + 3]
        # the short page's form itself, whether or not the topic is common enough for it
        written = compiled.paged_where or compiled.where
        scanned = [a.id for a in index.select(written, params, compiled.order, 3, offset)]
        assert scanned == page


def test_a_short_page_tests_a_topic_article_by_article_only_when_it_is_common(
    index: Index,
) -> None:
    """A topic with at least the square root of (page rows x articles) articles is
    common: a page read in the sort's order ends soon. A rarer one, or one the
    catalogue lacks, is looked up (reading every article would find few or none)."""
    conn = index.conn
    last = conn.execute("SELECT max(rowid) FROM articles").fetchone()[0]
    counts = dict(conn.execute("SELECT key, count(*) FROM topics GROUP BY key").fetchall())
    common = max(counts, key=lambda key: counts[key])
    rare = min(counts, key=lambda key: counts[key])
    # the most rows a page may have for it to be common: isqrt(rows * last) <= count
    rows = ((counts[common] + 1) ** 2 - 1) // last
    assert counts[rare] < math.isqrt(rows * last)  # (the fixture has a topic rarer than that)
    assert index.topics_common([(common,)], rows)
    assert not index.topics_common([(common,)], rows + 1)
    assert not index.topics_common([(rare,)], rows)
    assert not index.topics_common([(common,), (rare,)], rows)
    assert not index.topics_common([("no such topic",)], 1)
    assert index.topics_common([(rare, common)], rows)  # alternatives count together
    assert index.topics_common([], rows)


def test_limit_and_offset(index: Index) -> None:
    assert select_ids(index, sort=["-date"], limit=2, offset=1) == ["a02", "sub/a12"]


def test_rank_orders_by_relevance(index: Index) -> None:
    by_bm25 = index.conn.execute(
        "SELECT a.id FROM fts JOIN articles AS a ON a.rowid = fts.rowid "
        "WHERE fts MATCH 'ai' ORDER BY bm25(fts), a.id"
    ).fetchall()
    assert select_ids(index, sort=["rank"], match="ai") == [row[0] for row in by_bm25]
    assert len(by_bm25) == 6


def test_rank_needs_match(index: Index) -> None:
    with pytest.raises(UsageError, match=r"^sort key 'rank' needs -m/--match$"):
        select_ids(index, sort=["rank"])


def test_unknown_sort_key(index: Index) -> None:
    with pytest.raises(UsageError, match=r"^unknown sort key 'qualty'\. Did you mean 'quality'\?$"):
        select_ids(index, sort=["-qualty"])


def test_sort_by_mapping_is_refused(index: Index) -> None:
    with pytest.raises(UsageError, match=r"^cannot sort by 'images': it is a list of mappings$"):
        select_ids(index, sort=["images"])


def test_bad_match_is_a_usage_error(index: Index) -> None:
    with pytest.raises(UsageError, match=r"^invalid --match query: AND needs a term after it"):
        select_ids(index, match="ai AND")


def test_no_filters_is_everything(index: Index, tmp_path: Path) -> None:
    assert select_ids(index) == ALL


def test_a_short_page_of_a_rare_topic_looks_it_up_and_of_a_common_one_scans(
    index: Index,
) -> None:
    """What runs for `list -n 3 -t TOPIC`: the topic tested on each article in date
    order when it is common, looked up in the topics' index when it is rare or absent
    (a scan would then read every article)."""
    counts = dict(index.conn.execute("SELECT key, count(*) FROM topics GROUP BY key").fetchall())
    last = index.conn.execute("SELECT max(rowid) FROM articles").fetchone()[0]
    ran: list[str] = []
    index.conn.set_trace_callback(ran.append)
    try:
        for topic, scans in (
            (max(counts, key=lambda key: counts[key]), True),
            (min(counts, key=lambda key: counts[key]), False),
            ("no such topic", False),
        ):
            rows = 1 if scans else 3
            assert index.topics_common([(topic,)], rows) == scans, (topic, counts, last)
            ran.clear()
            query = Query(filters=Filters(topics=(topic,), now=NOW), sort=("-date",))
            list(compile_query(query).select(index, rows, 0))
            (listing,) = [sql for sql in ran if sql.lstrip().startswith("SELECT a.id")]
            assert ("EXISTS (SELECT 1 FROM topics" in listing) == scans
            assert ("a.rowid IN (SELECT t.article FROM topics" in listing) == (not scans)
    finally:
        index.conn.set_trace_callback(None)
