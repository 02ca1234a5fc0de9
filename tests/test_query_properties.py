"""Property tests: newscat's answer equals a plain-Python oracle's, for random articles
and random combinations of filter flags, --where expressions and sort keys."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.query_support import open_index, select_ids

TOPICS = ["AI", "AI Ethics", "Health", "Ünïcode", "x'y", "Straße", "STRASSE"]
PROVIDERS = [("NHS HEE", "hee.nhs.uk"), ("NHS", "nhs.uk"), ("Wired", "wired.com"),
             ("Süd", "sueddeutsche.de"), None]  # fmt: skip
START = datetime(2021, 1, 1, tzinfo=timezone.utc)
NOW = "2023-01-01T00:00:00Z"


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    topics: tuple[str, ...]
    quality: int | None
    heat: int | None
    published: bool | None
    provider: tuple[str, str] | None
    category: str | None
    date: datetime

    def front_matter(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "title": self.title,
            "publishedDateTime": self.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "webUrl": "https://example.org/" + self.id,
            "topics": list(self.topics),
        }
        for key in ("quality", "heat", "published", "category"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        if self.provider:
            record["provider"] = {"name": self.provider[0], "domain": self.provider[1]}
        return record

    @property
    def domain(self) -> str:
        return self.provider[1] if self.provider else "example.org"

    @property
    def topic_keys(self) -> list[str]:
        seen: list[str] = []
        for topic in self.topics:
            if topic.casefold() not in seen:
                seen.append(topic.casefold())
        return seen


@st.composite
def docs(draw: st.DrawFn) -> list[Doc]:
    count = draw(st.integers(0, 12))
    score = st.none() | st.integers(0, 100)
    return [
        Doc(
            id=f"d{i:02d}",
            title=draw(st.sampled_from(["Alpha", "Über", "straße", "STRASSE", "zeta"])),
            topics=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3))),
            quality=draw(score),
            heat=draw(score),
            published=draw(st.none() | st.booleans()),
            provider=draw(st.sampled_from(PROVIDERS)),
            category=draw(st.sampled_from(["news", "News", "opinion", None])),
            date=START + timedelta(seconds=draw(st.integers(0, 730 * 86400))),
        )
        for i in range(count)
    ]


Pred = Callable[[Doc], bool]


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def day(n: int) -> tuple[str, datetime]:
    moment = START + timedelta(days=n)
    return moment.strftime("%Y-%m-%d"), moment


@st.composite
def atoms(draw: st.DrawFn) -> tuple[str, Pred]:
    kind = draw(st.integers(0, 8))
    n = draw(st.integers(0, 100))
    if kind == 0:
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        field = draw(st.sampled_from(["quality", "heat"]))
        compare: dict[str, Callable[[int, int], bool]] = {
            "=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        }  # fmt: skip
        if op == "!=":
            return f"{field} != {n}", lambda d: getattr(d, field) != n
        test = compare[op]
        return (
            f"{field} {op} {n}",
            lambda d: getattr(d, field) is not None and test(getattr(d, field), n),
        )
    if kind == 1:
        low, high = sorted((n, draw(st.integers(0, 100))))
        return (
            f"heat between {low} and {high}",
            lambda d: d.heat is not None and (low <= d.heat <= high),
        )
    if kind == 2:
        topic = draw(st.sampled_from([*TOPICS, "ai ethics", "strasse"]))
        negate = draw(st.booleans())
        has: Pred = lambda d: topic.casefold() in d.topic_keys  # noqa: E731
        if negate:
            return f"topics != {lit(topic)}", lambda d: not has(d)
        return f"topic = {lit(topic)}", has
    if kind == 3:
        part = draw(st.sampled_from(["ai", "AI", "Ai", "eth", "ü", "Ü", "ss", "'"]))
        if any(char.isupper() for char in part):
            return f"topics ~ {lit(part)}", lambda d: any(part in t for t in d.topics)
        return f"topics ~ {lit(part)}", lambda d: any(
            part.casefold() in t.casefold() for t in d.topics
        )
    if kind == 4:
        part = draw(st.sampled_from(["nhs", "uk", "wired", "sued", ".", "hee.nhs"]))
        return f"domain ~ {lit(part)}", lambda d: part in d.domain
    if kind == 5:
        if draw(st.booleans()):
            return "published", lambda d: d.published is True
        return "published = false", lambda d: d.published is False
    if kind == 6:
        text, moment = day(draw(st.integers(0, 730)))
        if draw(st.booleans()):
            return f"date >= {text}", lambda d: d.date >= moment
        return f"date = {text}", lambda d: moment <= d.date < moment + timedelta(days=1)
    if kind == 7:
        words = draw(st.lists(st.sampled_from(["news", "OPINION", "Opinion"]), min_size=1))
        folded = {word.casefold() for word in words}
        return (
            f"category in ({', '.join(words)})",
            lambda d: (d.category or "").casefold() in folded,
        )
    title = draw(st.sampled_from(["alpha", "STRASSE", "strasse", "über"]))
    if any(char.isupper() for char in title):
        return f"title ~ {lit(title)}", lambda d: title in d.title
    return f"title ~ {lit(title)}", lambda d: title.casefold() in d.title.casefold()


def expressions() -> st.SearchStrategy[tuple[str, Pred]]:
    def extend(inner: st.SearchStrategy[tuple[str, Pred]]) -> st.SearchStrategy[tuple[str, Pred]]:
        def both(pair: tuple[tuple[str, Pred], tuple[str, Pred], str]) -> tuple[str, Pred]:
            (left, p), (right, q), joiner = pair
            if joiner == "and":
                return f"({left}) and ({right})", lambda d: p(d) and q(d)
            return f"({left}) OR ({right})", lambda d: p(d) or q(d)

        def negated(pair: tuple[str, Pred]) -> tuple[str, Pred]:
            text, p = pair
            return f"not ({text})", lambda d: not p(d)

        return st.tuples(inner, inner, st.sampled_from(["and", "or"])).map(both) | inner.map(
            negated
        )

    return st.recursive(atoms(), extend, max_leaves=4)


@dataclass(frozen=True)
class Flags:
    kwargs: dict[str, Any]
    where: list[str]
    test: Pred


def sometimes(draw: st.DrawFn) -> bool:
    """Each flag is given about one time in four, so that results are seldom empty."""
    return draw(st.integers(0, 3)) == 0


@st.composite
def flags(draw: st.DrawFn) -> Flags:
    tests: list[Pred] = []
    kwargs: dict[str, Any] = {}
    topic_values = draw(
        st.lists(st.lists(st.sampled_from([*TOPICS, "ai"]), min_size=1, max_size=2), max_size=2)
    )
    if topic_values and sometimes(draw):
        kwargs["topics"] = tuple(",".join(value) for value in topic_values)
        for value in topic_values:
            keys = {topic.casefold() for topic in value}
            tests.append(lambda d, keys=keys: bool(keys & set(d.topic_keys)))
    providers = draw(
        st.lists(st.sampled_from(["nhs.uk", "NHS HEE", "wired.com", "süd", "hs.uk"]), max_size=2)
    )
    if providers and sometimes(draw):
        kwargs["providers"] = tuple(providers)

        def provider_matches(d: Doc) -> bool:
            for value in providers:
                if d.provider and d.provider[0].casefold() == value.casefold():
                    return True
                if d.domain == value.lower() or d.domain.endswith("." + value.lower()):
                    return True
            return False

        tests.append(provider_matches)
    for name, attr, op in (
        ("min_quality", "quality", 1), ("max_quality", "quality", -1),
        ("min_heat", "heat", 1), ("max_heat", "heat", -1),
    ):  # fmt: skip
        bound = draw(st.none() | st.integers(0, 100))
        if bound is not None and sometimes(draw):
            kwargs[name] = bound
            tests.append(
                lambda d, attr=attr, op=op, bound=bound: (
                    getattr(d, attr) is not None and (getattr(d, attr) - bound) * op >= 0
                )
            )
    since = draw(st.none() | st.integers(0, 730))
    if since is not None and sometimes(draw):
        text, moment = day(since)
        kwargs["since"] = text
        tests.append(lambda d, moment=moment: d.date >= moment)
    until = draw(st.none() | st.integers(0, 730))
    if until is not None and sometimes(draw):
        text, moment = day(until)
        kwargs["until"] = text
        tests.append(lambda d, moment=moment: d.date < moment + timedelta(days=1))
    published = draw(st.none() | st.booleans())
    if published is not None and sometimes(draw):
        kwargs["published"] = published
        tests.append(lambda d, published=published: (d.published is True) == published)
    where = draw(st.lists(expressions(), max_size=2)) if sometimes(draw) else []
    tests += [test for _, test in where]
    return Flags(kwargs, [text for text, _ in where], lambda d: all(t(d) for t in tests))


SORTS = ["quality", "-quality", "heat", "-heat", "date", "-date", "title", "-title", "id", "-id"]


def oracle_sort(found: list[Doc], keys: list[str]) -> list[str]:
    """Missing values last whichever the direction; ties on id."""
    ordered = sorted(found, key=lambda d: d.id)
    for key in reversed(keys):
        name = key.lstrip("-")

        def value(d: Doc, name: str = name) -> Any:
            got = getattr(d, name)
            return got.casefold() if isinstance(got, str) else got

        present = [d for d in ordered if value(d) is not None]
        missing = [d for d in ordered if value(d) is None]
        present.sort(key=value, reverse=key.startswith("-"))
        ordered = present + missing
    return [d.id for d in ordered]


def write(root: Path, articles: list[Doc]) -> None:
    for doc in articles:
        text = yaml.safe_dump(doc.front_matter(), allow_unicode=True, sort_keys=False)
        (root / f"{doc.id}.md").write_text(f"---\n{text}---\n", encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(docs(), expressions())
def test_where_matches_the_oracle(articles: list[Doc], expression: tuple[str, Pred]) -> None:
    text, test = expression
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), articles)
        index = open_index(Path(folder), None)
        try:
            got = select_ids(index, [text], now=NOW)
        finally:
            index.close()
    assert got == [d.id for d in articles if test(d)], text


@settings(max_examples=150, deadline=None)
@given(
    docs(),
    flags(),
    st.lists(st.sampled_from(SORTS), min_size=1, max_size=2, unique_by=lambda k: k.lstrip("-")),
)
def test_matches_the_oracle(articles: list[Doc], chosen: Flags, sort: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), articles)
        index = open_index(Path(folder), None)
        try:
            got = select_ids(index, chosen.where, sort=sort, now=NOW, **chosen.kwargs)
        finally:
            index.close()
    expected = oracle_sort([d for d in articles if chosen.test(d)], sort)
    assert got == expected, (chosen.where, chosen.kwargs)
