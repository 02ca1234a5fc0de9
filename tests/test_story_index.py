"""Stories in the index: kept by the refresh, the same as grouping everything afresh."""

from __future__ import annotations

import dataclasses
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newscat.cli import cli
from newscat.store import stories as store
from newscat.store.index import Index
from tests.conftest import article_text


def write(root: Path, name: str, title: str, date: str, provider: str, url: str,
          related: list[str] | None = None, excerpt: str = "") -> None:  # fmt: skip
    front: dict[str, object] = {
        "title": title, "excerpt": excerpt, "publishedDateTime": date,
        "webUrl": url, "provider": {"name": provider},
    }  # fmt: skip
    if related:
        front["related"] = [{"title": "x", "webUrl": u} for u in related]
    path = root / f"{name}.md"
    path.write_text(article_text(**front), encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000  # a new stamp even within one tick
    os.utime(path, ns=(stamp, stamp))


def stories(root: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli, ["list", "-C", str(root), *extra, "-F", "id,story,coverage", "--sort", "id"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


RATES = "Central bank raises interest rates to record high as inflation soars"


def test_the_refresh_keeps_stories_as_files_come_change_and_go(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "c-other", "Football club signs new striker", "2024-03-01T11:00:00Z", "Beta",
          "https://beta.example/football")  # fmt: skip
    assert stories(root) == ("id\tstory\tcoverage\nb-rates\tb-rates\t1\nc-other\tc-other\t1\n")
    # Later coverage joins by its words; the story keeps its earliest article's id.
    write(root, "a-rates", RATES + " | Gamma News", "2024-03-02T09:00:00Z", "Gamma",
          "https://gamma.example/rates")  # fmt: skip
    # A related link joins whatever the words.
    write(root, "d-link", "Striker deal done", "2024-03-05T09:00:00Z", "Delta",
          "https://delta.example/d", related=["https://www.beta.example/football/?utm_source=x"])  # fmt: skip
    assert stories(root) == (
        "id\tstory\tcoverage\na-rates\tb-rates\t2\nb-rates\tb-rates\t2\n"
        "c-other\tc-other\t2\nd-link\tc-other\t2\n"
    )
    assert stories(root, "-w", "coverage >= 2 and story = 'b-rates'") == (
        "id\tstory\tcoverage\na-rates\tb-rates\t2\nb-rates\tb-rates\t2\n"
    )
    # The earliest article goes: the story takes the next one's id.
    (root / "b-rates.md").unlink()
    # An edit that breaks the only link splits the story.
    write(
        root,
        "d-link",
        "Striker deal done",
        "2024-03-05T09:00:00Z",
        "Delta",
        "https://delta.example/d",
    )
    assert stories(root) == (
        "id\tstory\tcoverage\na-rates\ta-rates\t1\nc-other\tc-other\t1\nd-link\td-link\t1\n"
    )


def test_sort_and_fields_see_the_story(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "one", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "two", RATES, "2024-03-01T12:00:00Z", "Beta", "https://beta.example/rates")
    write(
        root,
        "three",
        "Something else entirely",
        "2024-03-01T12:00:00Z",
        "Beta",
        "https://b.example/x",
    )
    result = CliRunner().invoke(
        cli, ["list", "-C", str(root), "--sort=-coverage,id", "-F", "id,coverage,canonical_url"]
    )
    assert result.stdout == (
        "id\tcoverage\tcanonical_url\n"
        "one\t2\thttps://alpha.example/rates\n"
        "two\t2\thttps://beta.example/rates\n"
        "three\t1\thttps://b.example/x\n"
    )


WORDS = [
    "storm",
    "flood",
    "river",
    "city",
    "mayor",
    "budget",
    "vote",
    "court",
    "judge",
    "strike",
    "rail",
    "union",
]


def test_incremental_upkeep_matches_grouping_afresh(tmp_path: Path) -> None:
    """Random edits, one refresh after each batch; the stored stories always equal a rebuild."""
    rng = random.Random(7)
    root = tmp_path / "cat"
    root.mkdir()
    cache = tmp_path / "cache"
    names: list[str] = []

    def random_article(name: str) -> None:
        title = " ".join(rng.sample(WORDS, 5))
        day = rng.randint(1, 9)
        url = f"https://site{rng.randint(0, 2)}.example/{rng.randint(0, 12)}"
        related = (
            [f"https://www.site{rng.randint(0, 2)}.example/{rng.randint(0, 12)}"]
            if rng.random() < 0.2
            else None
        )
        write(root, name, title, f"2024-03-0{day}T10:00:00Z", rng.choice("ABC"), url, related)  # fmt: skip

    for step in range(12):
        for _ in range(rng.randint(1, 6)):
            action = rng.random()
            if names and action < 0.3:
                gone = names.pop(rng.randrange(len(names)))
                (root / f"{gone}.md").unlink()
            elif names and action < 0.6:
                random_article(rng.choice(names))
            else:
                names.append(f"n{step}-{rng.randint(0, 10**6)}")
                random_article(names[-1])
        index = Index.open([str(root)], cache)
        try:
            index.refresh()
            index.ensure_stories()  # grouped once, on the first step; kept in step after
            kept = _stored(index)
            store.rebuild(index.conn)
            assert kept == _stored(index), f"step {step}"
        finally:
            index.close()


def _stored(index: Index) -> dict[str, tuple[str, int, int]]:
    rows = index.conn.execute(
        "SELECT a.id, s.story, s.coverage, s.size FROM articles AS a "
        "JOIN story_items AS s ON s.article = a.rowid"
    )
    found = {id_: (story, coverage, size) for id_, story, coverage, size in rows}
    assert len(found) == index.count()
    return found


TEMPLATES = [
    "Storm floods river city as mayor orders evacuation of homes",
    "Court blocks rail union strike vote over budget dispute",
    "Mayor unveils budget for river city flood defences",
]

#: One provider's release notes: look-alike headlines of different versions (never one
#: story), and one that names none (near-duplicate of all of them).
RELEASES = [
    "Node.js 17.0.0 (Current) release notes, changes and downloads",
    "Node.js 17.0.1 (Current) release notes, changes and downloads",
    "Node.js 16.12.0 (Current) release notes, changes and downloads",
    "Node.js (Current) release notes, changes and downloads this week",
]


@pytest.mark.parametrize("templates", [TEMPLATES, RELEASES], ids=["news", "releases"])
def test_placement_after_a_change_agrees_with_placing_everything_afresh(
    tmp_path: Path, templates: list[str]
) -> None:
    """Look-alike headlines every few hours for weeks: clusters close after three days,
    so a change re-places the articles after it; the stored result always equals a
    rebuild, whether the change moves a date, a headline, or removes a cluster's first."""
    rng = random.Random(11)
    root = tmp_path / "cat"
    root.mkdir()
    cache = tmp_path / "cache"
    titles: dict[str, str] = {}

    def random_article(name: str) -> None:
        words = rng.choice(templates).split()
        if rng.random() < 0.5:  # a reworded one: near-duplicate of its template, or not
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        hour = rng.randint(0, 24 * 20)
        date = f"2024-03-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z"
        titles[name] = " ".join(words)
        write(root, name, titles[name], date, rng.choice("ABC"), f"https://s.example/{name}")

    names = [f"n{i:03d}" for i in range(120)]
    for name in names:
        random_article(name)
    sizes: set[int] = set()
    for step in range(15):
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                gone = names.pop(rng.randrange(len(names)))
                (root / f"{gone}.md").unlink()
            else:
                random_article(rng.choice(names))
        index = Index.open([str(root)], cache)
        try:
            index.refresh()
            index.ensure_stories()  # grouped once, on the first step; kept in step after
            kept = _stored(index)
            store.rebuild(index.conn)
            assert kept == _stored(index), f"step {step}"
            sizes.update(size for _, _, size in kept.values())
            assert _versions_by_story(kept, titles) == {}
        finally:
            index.close()
    assert 3 < max(sizes) < 40  # stories form, and none runs for the whole month


def _versions_by_story(
    stored: dict[str, tuple[str, int, int]], titles: dict[str, str]
) -> dict[str, set[str]]:
    """The stories whose articles' titles name more than one version of RELEASES."""
    found: dict[str, set[str]] = {}
    for id_, (story, _, _) in stored.items():
        found.setdefault(story, set()).update(
            word for word in titles[id_].split() if word[0].isdigit()
        )
    return {story: named for story, named in found.items() if len(named) > 1}


def test_an_index_with_stories_of_an_older_grouping_is_regrouped(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "one", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "two", RATES, "2024-03-01T12:00:00Z", "Beta", "https://beta.example/rates")
    cache = tmp_path / "cache"
    index = Index.open([str(root)], cache)
    index.refresh()
    # The tables as the first grouping left them: no clusters, its own version mark.
    with index.conn:
        for table in ("story_items", "story_links", "story_changes"):
            index.conn.execute(f"DROP TABLE {table}")
        index.conn.execute(
            "CREATE TABLE story_items (article INTEGER PRIMARY KEY, id TEXT NOT NULL, "
            "story TEXT NOT NULL, coverage INTEGER NOT NULL, size INTEGER NOT NULL)"
        )
        index.conn.execute("CREATE TABLE story_links (url TEXT NOT NULL, article INTEGER)")
        index.conn.execute("UPDATE meta SET value = '1' WHERE key = 'stories'")
    index.close()
    assert stories(root, "--cache-dir", str(cache)) == (
        "id\tstory\tcoverage\none\tone\t2\ntwo\tone\t2\n"
    )


def _grouped(cache: Path) -> bool:
    """Whether the index in ``cache`` holds stories (its meta row says so)."""
    import sqlite3

    (db,) = cache.glob("catalog-*.sqlite3")
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'stories'").fetchone()
    conn.close()
    return row is not None


@pytest.mark.parametrize(
    ("command", "groups"),
    [
        (["list", "-F", "id,title", "--sort", "id"], False),
        (["list", "-f", "csv", "-w", "heat >= 0"], False),
        (["list", "-f", "ids"], False),
        (["list", "-F", "id,coverage", "--sort", "id"], True),
        (["list", "-f", "jsonl"], True),
        (["list", "-w", "coverage >= 2", "-F", "id"], True),
        (["list", "--collapse", "-F", "id,more"], True),
        (["stories", "-f", "tsv"], True),
        (["show", "b-rates", "-f", "json"], True),
        (["check"], True),
    ],
)
def test_a_cold_index_groups_stories_when_a_command_first_needs_them(
    tmp_path: Path, command: list[str], groups: bool
) -> None:
    """Grouping is left out of a cold index (it is serial and costs seconds at tens of
    thousands of articles); the first command that shows a story field groups, and
    its answer is the same as if the index had grouped from the start."""
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    write(root, "a-rates", RATES, "2024-03-02T09:00:00Z", "Gamma", "https://gamma.example/rates")
    cache = tmp_path / "cache"
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["index", "-q", "-C", str(root), "--cache-dir", str(cache)]).exit_code
        == 0
    )
    assert not _grouped(cache)
    lazy = runner.invoke(cli, [*command, "-C", str(root), "--cache-dir", str(cache)])
    assert _grouped(cache) == groups
    # The same command against an index that grouped first gives the same answer.
    eager_cache = tmp_path / "eager"
    assert (
        runner.invoke(cli, ["stories", "-C", str(root), "--cache-dir", str(eager_cache)]).exit_code
        == 0
    )
    eager = runner.invoke(cli, [*command, "-C", str(root), "--cache-dir", str(eager_cache)])
    assert (lazy.exit_code, lazy.stdout) == (eager.exit_code, eager.stdout)
    assert lazy.exit_code in (0, 1), lazy.output  # check exits 1 when it finds problems


def test_a_grouped_index_keeps_its_stories_in_step_without_regrouping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    assert stories(root) == "id\tstory\tcoverage\nb-rates\tb-rates\t1\n"
    write(root, "a-rates", RATES, "2024-03-02T09:00:00Z", "Gamma", "https://gamma.example/rates")
    calls: list[int] = []
    original = store.rebuild

    def counted(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        original(*args, **kwargs)

    monkeypatch.setattr(store, "rebuild", counted)
    assert stories(root) == "id\tstory\tcoverage\na-rates\tb-rates\t2\nb-rates\tb-rates\t2\n"
    assert calls == []  # placed incrementally by the refresh


def test_index_full_groups_and_builds_what_commands_otherwise_build_later(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    cache = tmp_path / "cache"
    base = ["-C", str(root), "--cache-dir", str(cache)]
    runner = CliRunner()

    def status() -> list[str]:
        result = runner.invoke(cli, ["index", "--status", *base])
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()[-3:-1]

    assert runner.invoke(cli, ["index", "-q", *base]).exit_code == 0
    assert status() == [
        "stories       not yet (on first need)",
        "full text     not yet (on first -m)",
    ]
    result = runner.invoke(cli, ["index", "--full", *base])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith("0 added, 0 changed, 0 removed, 1 unchanged")
    assert _grouped(cache)
    assert status() == ["stories       grouped", "full text     built"]


@pytest.mark.parametrize(
    "fields",
    ["id,title", "id,front_matter.provider.name", "id,provider,excerpt", "ref,topics,age"],
)
def test_output_without_the_front_matter_reads_the_same_values(tmp_path: Path, fields: str) -> None:
    """A list that shows no front-matter path leaves the front matter unread; its values
    are the same as those read from whole records."""
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates",
          excerpt="Rates rise")  # fmt: skip
    write(root, "a-rates", RATES, "2024-03-02T09:00:00Z", "Gamma", "https://gamma.example/rates")
    runner = CliRunner()
    base = ["-C", str(root), "--sort", "id"]
    shown = runner.invoke(cli, ["list", *base, "-F", fields, "-f", "json"])
    assert shown.exit_code == 0, shown.output
    whole = runner.invoke(cli, ["list", *base, "-F", f"{fields},front_matter", "-f", "json"])
    assert whole.exit_code == 0, whole.output
    expected = [
        {key: value for key, value in row.items() if key != "front_matter"}
        for row in json.loads(whole.stdout)
    ]
    assert json.loads(shown.stdout) == expected
    assert len(expected) == 2 and all(expected)


def test_the_store_leaves_the_front_matter_unread_when_asked(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    root.mkdir()
    write(root, "b-rates", RATES, "2024-03-01T10:00:00Z", "Alpha", "https://alpha.example/rates")
    index = Index.open([str(root)], tmp_path / "cache")
    try:
        index.refresh()
        (full,) = index.select()
        (lean,) = index.select(front_matter=False, stories=False)
    finally:
        index.close()
    assert full.front_matter["provider"] == {"name": "Alpha"}
    assert lean.front_matter == {}
    assert (lean.story, full.story) == (None, "b-rates")
    assert dataclasses.replace(lean, front_matter=full.front_matter, story=full.story,
                               coverage=full.coverage, canonical_url=full.canonical_url) == full  # fmt: skip


def test_grouping_everything_in_passes_agrees_with_grouping_in_memory(tmp_path: Path) -> None:
    """The index groups a whole catalogue in passes over its tables (memory of about a
    window); ``grouping.clusters`` and ``grouping.join`` do it over a list in memory.
    Look-alike headlines for two months, shared URLs, related links, undated articles
    and providers: every article's cluster and story agree."""
    from newscat.stories import grouping

    rng = random.Random(5)
    root = tmp_path / "cat"
    root.mkdir()
    for number in range(400):
        words = rng.choice(TEMPLATES).split()
        if rng.random() < 0.5:
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        hour = rng.randint(0, 24 * 60)
        day, time_of_day = divmod(hour, 24)
        date = f"2024-{3 + day // 30:02d}-{1 + day % 30:02d}T{time_of_day:02d}:00:00Z"
        if rng.random() < 0.05:
            date = ""  # undated: a story of its own
        url = f"https://s{rng.randint(0, 3)}.example/{rng.randint(0, 300)}"
        related = [f"https://s0.example/{rng.randint(0, 300)}"] if rng.random() < 0.1 else None
        write(root, f"n{number:03d}", " ".join(words), date, rng.choice("ABCD"), url, related)
    index = Index.open([str(root)], tmp_path / "cache")
    try:
        index.refresh()
        index.ensure_stories()
        items = list(store._read_articles(index.conn, "", []))
        placed = grouping.clusters(items)
        joined = grouping.join(items, placed)
        expected = {
            item.key: (
                placed[item.key].cluster,
                placed[item.key].start,
                *dataclasses.astuple(joined[item.key]),
            )
            for item in items
        }
        stored = {
            row[0]: tuple(row[1:])
            for row in index.conn.execute(
                "SELECT article, cluster, cluster_date, story, coverage, size FROM story_items"
            )
        }
    finally:
        index.close()
    assert stored == expected
    sizes = [size for *_, size in stored.values()]
    assert len(stored) == 400 and max(sizes) > 3  # stories formed


def test_the_clusterer_holds_about_a_window_of_articles() -> None:
    """Placing a year of articles in date order, what it keeps is a window's worth."""
    from datetime import datetime, timedelta, timezone

    from newscat.stories import grouping

    rng = random.Random(3)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = []
    for number in range(365 * 30):
        moment = start + timedelta(minutes=48 * number)  # 30 a day
        title = " ".join(rng.sample(WORDS, 6))
        items.append(
            grouping.story_item(
                number, f"a{number:05d}", date=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                title=title, excerpt=None, provider=None, domain=None, url=None,
            )
        )  # fmt: skip
    clusterer = grouping.Clusterer(items)
    for item in items:
        clusterer.place(item)
    window_of_articles = 30 * 3
    assert len(clusterer._items) <= 3 * window_of_articles  # two windows, and a day
    assert len(clusterer._entries) <= (grouping._SWEEP_EVERY + 3 * window_of_articles) * 6


def placements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the articles the clusterer places from now on, in order."""
    from newscat.stories import grouping

    placed: list[str] = []
    real = grouping.Clusterer.place

    def counted(self: grouping.Clusterer, item: grouping.StoryItem) -> grouping.Placed:
        placed.append(item.id)
        return real(self, item)

    monkeypatch.setattr(grouping.Clusterer, "place", counted)
    return placed


def test_changes_far_apart_are_placed_apart_and_agree_with_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two changes two months apart in a catalogue of three months: each is placed
    again with about a window around it, not everything between them."""

    rng = random.Random(8)
    root = tmp_path / "cat"
    root.mkdir()

    def article(number: int, day: int) -> None:
        words = rng.choice(TEMPLATES).split()
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        date = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}:00:00Z"
        write(root, f"n{number:04d}", " ".join(words), date, rng.choice("ABC"),
              f"https://s.example/{number}")  # fmt: skip

    for number in range(84 * 6):
        article(number, number // 6)
    cache = tmp_path / "cache"
    index = Index.open([str(root)], cache)
    try:
        index.refresh()
        index.ensure_stories()
    finally:
        index.close()
    article(10_000, 5)
    article(10_001, 70)
    placed = placements(monkeypatch)
    index = Index.open([str(root)], cache)
    try:
        index.refresh()
        kept = _stored(index)
        assert 0 < len(placed) < 84 * 6 // 2  # around each change, not the span between
        store.rebuild(index.conn)
        assert kept == _stored(index)
    finally:
        index.close()


def test_an_article_back_with_a_new_body_keeps_its_place_unplaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grouping reads the title, excerpt, date, provider and links, not the body: an
    article whose body changed is stored again with its old place and story (nothing
    is placed again), and the result still equals a rebuild; a changed title is placed."""

    rng = random.Random(9)
    root = tmp_path / "cat"
    root.mkdir()
    for number in range(120):
        words = rng.choice(TEMPLATES).split()
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        date = f"2024-03-{1 + number // 6:02d}T{rng.randint(0, 23):02d}:00:00Z"
        write(root, f"n{number:03d}", " ".join(words), date, rng.choice("ABC"),
              f"https://s.example/{number}")  # fmt: skip
    cache = tmp_path / "cache"
    index = Index.open([str(root)], cache)
    try:
        index.refresh()
        index.ensure_stories()
        before = _stored(index)
    finally:
        index.close()
    for number in range(0, 120, 10):
        path = root / f"n{number:03d}.md"
        path.write_text(path.read_text(encoding="utf-8") + "\nA new paragraph.\n", "utf-8")
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    placed = placements(monkeypatch)
    index = Index.open([str(root)], cache)
    try:
        report = index.refresh()
        assert report.changed == 12
        assert placed == []
        assert _stored(index) == before
    finally:
        index.close()
    write(root, "n050", "Court blocks rail union strike vote over budget dispute",
          "2024-03-09T12:00:00Z", "A", "https://s.example/50")  # fmt: skip
    index = Index.open([str(root)], cache)
    try:
        index.refresh()
        assert "n050" in placed
        kept = _stored(index)
        store.rebuild(index.conn)
        assert kept == _stored(index)
    finally:
        index.close()
