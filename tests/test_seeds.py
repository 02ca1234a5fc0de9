"""The two real seed articles, field by field, through the core API and the CLI."""

from __future__ import annotations

import json

import yaml

from newscat.model import Article
from newscat.parse import parse_article
from tests.conftest import SEED_IDS, SEEDS, run


def _parse(seed_id: str) -> Article:
    path = SEEDS / f"{seed_id}.txt"
    result = parse_article(path.read_bytes(), str(path), seed_id)
    assert isinstance(result, Article), result
    return result


def test_first_seed_normalised_views() -> None:
    article = _parse("000_50e039b255de019a")
    assert article.id == "000_50e039b255de019a"
    assert article.title == "New report finds healthcare staff need support to use AI safely"
    assert article.date == "2022-05-19T09:13:00Z"
    assert article.category == "news"
    assert article.type == "article"
    assert article.quality == 58
    assert article.heat == 68
    assert article.published is False
    assert article.provider == "NHS HEE"
    assert article.domain == "hee.nhs.uk"
    assert article.url == (
        "https://www.hee.nhs.uk/news-blogs-events/news/"
        "new-report-finds-healthcare-staff-need-support-use-ai-safely"
    )
    assert article.topics == ("AI Ethics", "AI", "AI in Healthcare", "Facebook AI")
    assert article.body == ""
    assert article.warnings == ()


def test_second_seed_normalised_views() -> None:
    article = _parse("002_6ef551387f7f8ea7")
    assert article.title == "NHS report calls for artificial intelligence training for all staff"
    assert article.date == "2022-11-02T08:30:00Z"
    assert (article.quality, article.heat, article.published) == (56, 66, False)
    assert (article.provider, article.domain) == ("Digital Health", "digitalhealth.net")
    assert article.topics == ("AI Ethics", "AI", "AI in Healthcare")


def test_records_keep_every_key_as_written() -> None:
    for seed_id in SEED_IDS:
        path = SEEDS / f"{seed_id}.txt"
        article = _parse(seed_id)
        expected = yaml.load(path.read_text(encoding="utf-8").split("---\n")[1], yaml.BaseLoader)
        # BaseLoader keeps every scalar as text: compare key order and text forms.
        assert list(article.front_matter) == list(expected)
        assert article.front_matter["publishedDateTime"] == expected["publishedDateTime"]
        assert isinstance(article.front_matter["publishedDateTime"], str)
        assert article.front_matter["secured"] == expected["secured"]
        assert (
            article.front_matter["related"][0]["publishedDateTime"]
            == (expected["related"][0]["publishedDateTime"])
        )
        assert article.front_matter["images"][0]["isCached"] is True


def test_list_json_gives_both_full_records_losslessly() -> None:
    result = run("list", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["002_6ef551387f7f8ea7", "000_50e039b255de019a"]
    for record in records:
        path = SEEDS / f"{record['id']}.txt"
        assert record["path"] == str(path)
        source = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        source["publishedDateTime"] = source["publishedDateTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
        for item in source["related"]:
            item["publishedDateTime"] = item["publishedDateTime"].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert record["path_bytes"] is None
        assert record["front_matter"] == source
        assert list(record["front_matter"]) == list(source)
        assert record["date"] == source["publishedDateTime"]
        assert list(record)[:4] == ["id", "path", "path_bytes", "date"]
        assert list(record)[-1] == "front_matter"  # no body
