"""Data-driven parser tests: every file in tests/corpus runs through parse_article.

valid/NAME.md must give exactly valid/NAME.json: ``record`` is the full record
(``newscat.fields.record``) without ``path``; ``views`` the normalised values; ``warnings`` the warning codes.
invalid/expected.json maps each invalid file to its problem code, line, column
and message. Where the message quotes the YAML library's own explanation, which
differs between libyaml and PyYAML's pure-Python loader and between releases,
``message_parts`` lists the parts newscat itself writes instead. To add a case,
add the file and its expectation; nothing else.

Every case runs through both loaders: the same file gives the same result with
libyaml and without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newscat.fields import record as full_record
from newscat.model import Article, Problem
from newscat.parse import parse_article

CORPUS = Path(__file__).parent / "corpus"
VALID = sorted((CORPUS / "valid").glob("*.md"))
EXPECTED_INVALID: dict[str, dict[str, Any]] = json.loads(
    (CORPUS / "invalid" / "expected.json").read_text(encoding="utf-8")
)
VIEWS = ("date", "title", "quality", "heat", "published", "provider", "domain", "url", "topics")


pytestmark = pytest.mark.usefixtures("yaml_loader")


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    article = parse_article(path.read_bytes(), str(path), path.stem)
    assert isinstance(article, Article), article
    record = full_record(article)
    assert record.pop("path") == str(path)
    assert record.pop("path_bytes") is None  # a UTF-8 name
    assert record == expected["record"]
    assert list(record) == list(expected["record"])
    assert list(record["front_matter"]) == list(expected["record"]["front_matter"])  # as written
    views = {name: getattr(article, name) for name in VIEWS}
    views["topics"] = list(article.topics)
    assert views == expected["views"]
    assert [w.code for w in article.warnings] == expected["warnings"]


@pytest.mark.parametrize("name", sorted(EXPECTED_INVALID))
def test_invalid(name: str) -> None:
    path = CORPUS / "invalid" / name
    found = parse_article(path.read_bytes(), str(path), name)
    assert isinstance(found, Problem), found
    expected = dict(EXPECTED_INVALID[name])
    parts = expected.pop("message_parts", None)
    got = {"code": found.code, "line": found.line, "column": found.column}
    if parts is None:
        got["message"] = found.message
    else:
        assert found.message.startswith(parts[0])
        assert all(part in found.message for part in parts), found.message
    assert got == expected
    assert found.severity == "error"


def test_every_invalid_file_has_an_expectation() -> None:
    files = {p.name for p in (CORPUS / "invalid").iterdir() if p.name != "expected.json"}
    files.discard(".gitattributes")
    assert files == set(EXPECTED_INVALID)


def test_every_valid_file_has_its_json() -> None:
    assert all(p.with_suffix(".json").exists() for p in VALID)
