"""A small catalogue with every shape the query language must handle, and helpers."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from newscat.fields import CataloguePaths, catalogue_paths, path_type
from newscat.query import Filters, Query, compile_query
from newscat.store.index import Index

NOW = "2023-02-01T12:00:00Z"

ARTICLES = {
    "a01": """
        category: news
        title: "AI ethics in the NHS"
        excerpt: "Frontline staff need support to use AI safely."
        publishedDateTime: 2022-05-19T09:13:00Z
        webUrl: "https://www.hee.nhs.uk/news/ai"
        type: article
        quality: 58
        heat: 68
        published: false
        provider: {name: NHS HEE, domain: hee.nhs.uk}
        topics: [AI Ethics, AI]
        images:
          - {url: "https://hee.nhs.uk/a.png", width: 454, height: 431, isCached: true}
        ---
        Staff need training in machine learning.
    """,
    "a02": """
        category: news
        title: "NHS report calls for AI training"
        publishedDateTime: 2022-11-02T08:30:00Z
        webUrl: "https://www.digitalhealth.net/2022/11/report"
        type: article
        quality: 56
        heat: 66
        published: true
        provider: {name: Digital Health, domain: digitalhealth.net}
        topics: [AI Ethics, AI Policy]
        related:
          - title: "All NHS staff should have basic AI training"
            publishedDateTime: 2022-11-03T07:53:00Z
            provider: {name: Computer Weekly, domain: computerweekly.com}
            quality: 41
    """,
    "a03": """
        category: news
        title: "Video: the ethics of machines"
        publishedDateTime: "May 19, 2022 9:13 AM"
        webUrl: "https://www.bbc.co.uk/news/x"
        type: video
        quality: "72"
        heat: 40
        published: true
        provider: BBC News
        topics: ai ethics
    """,
    "a04": """
        category: opinion
        title: "Heatwave strains hospitals"
        publishedDateTime: 2021-12-31T23:30:00Z
        webUrl: "https://www.england.nhs.uk/heat"
        type: article
        quality: 30
        heat: 90
        published: false
        provider: {name: NHS England, domain: england.nhs.uk}
        topics: [Climate]
    """,
    "a05": """
        category: news
        title: "Straße und Café — Über KI"
        publishedDateTime: 2022-05-19T23:59:59Z
        webUrl: "https://www.sueddeutsche.de/ki"
        type: article
        quality: 80
        heat: 20
        published: true
        provider: {name: Süddeutsche, domain: sueddeutsche.de}
        topics: [KI, Ethik]
        region: Bayern
        tags: [eins, zwei]
        ---
        Über künstliche Intelligenz und die Straße.
    """,
    "a06": """
        category: science
        title: "Protein folding, solved"
        publishedDateTime: 2023-01-15T12:00:00+02:00
        webUrl: "https://www.nature.com/articles/1"
        type: article
        provider: {name: Nature, domain: nature.com}
        score: 12
        meta: {editor: {name: "Ann O'Neil"}, score: 7}
    """,
    "a07": """
        category: news
        title: "'); DROP TABLE articles; --"
        publishedDateTime: 2022-02-01T00:00:00Z
        webUrl: "https://evil.example/x"
        type: article
        quality: 50
        heat: 61
        published: false
        provider: {name: 'Evil "Corp"', domain: evil.example}
        topics: ["Robert'); DROP TABLE students;--", AI Ethics]
        "it's": 1
        select: "from"
        ---
        SELECT * FROM articles; -- comment
    """,
    "a08": """
        category: news
        title: "Wired on AI"
        publishedDateTime: 2022-06-01T00:00:00Z
        webUrl: "https://www.wired.com/ai"
        type: article
        quality: 49
        heat: 99
        published: true
        provider: {name: Wired, domain: wired.com}
        topics: [AI Ethics, AI]
    """,
    "a09": """
        category: news
        title: "NHS Digital guidance"
        publishedDateTime: 2021-06-01T00:00:00Z
        webUrl: "https://digital.nhs.uk/guidance"
        type: article
        quality: 65
        heat: 10
        published: false
        provider: {name: NHS Digital, domain: digital.nhs.uk}
        topics: [AI Ethics]
    """,
    "a10": """
        category: news
        title: "Reuters: regulators and AI"
        publishedDateTime: 2022-08-08T08:08:08Z
        webUrl: "https://www.reuters.com/ai"
        type: video
        quality: 90
        heat: 95
        published: true
        provider: {name: Reuters, domain: reuters.com}
        topics: [AI Policy]
        images:
          - {url: "https://reuters.com/big.jpg", width: 1600, height: 900, isCached: false}
          - {url: "https://reuters.com/small.jpg", width: 300, height: 200, isCached: true}
    """,
    "a11": """
        category: news
        title: "The Lancet on AI and health"
        publishedDateTime: 2022-03-03T00:00:00Z
        webUrl: "https://www.thelancet.com/ai"
        type: article
        quality: 75
        heat: 30
        published: true
        provider: {name: Lancet, domain: thelancet.com}
        topics: [AI Ethics, Health]
    """,
    "sub/a12": """
        category: News
        title: "Vaccine rollout and AI"
        publishedDateTime: 2022-09-09T00:00:00Z
        webUrl: "https://blog.nhs.uk/vaccine"
        type: article
        quality: 51
        heat: 12
        published: false
        provider: {name: NHS Blog, domain: blog.nhs.uk}
        topics: [AI ETHICS]
        ---
        The vaccine rollout used machine-learning forecasts.
    """,
}

ALL = sorted(ARTICLES)


def write_catalogue(root: Path, articles: dict[str, str] = ARTICLES) -> Path:
    for name, text in articles.items():
        front, _, body = textwrap.dedent(text).strip("\n").partition("\n---\n")
        path = root / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return root


def open_index(root: Path, cache: Path | None) -> Index:
    index = Index.open([str(root)], cache)
    index.refresh()
    return index


def known_paths(index: Index) -> CataloguePaths:
    return {
        path: path_type(stats, path)
        for path, stats in catalogue_paths(index.front_matters()).items()
    }


def select_ids(
    index: Index,
    where: Sequence[str] = (),
    sort: Sequence[str] = ("id",),
    limit: int | None = None,
    offset: int = 0,
    **filters: object,
) -> list[str]:
    query = Query(
        filters=Filters(where=tuple(where), now=str(filters.pop("now", NOW)), **filters),  # type: ignore[arg-type]
        sort=tuple(sort),
        limit=limit,
        offset=offset,
    )
    compiled = compile_query(query, lambda: known_paths(index))
    rows = index.select(
        compiled.where, compiled.params + compiled.order_params, compiled.order, limit, offset
    )
    return [article.id for article in rows]
