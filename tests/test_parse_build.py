"""What the parser builds without the general constructors is what they build: an
Article and its warnings made without the frozen dataclasses' ``__init__`` (every
attribute, in the same order), and the front matter's JSON made by an encoder kept
from file to file (the text ``json.dumps`` gives)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat import parse
from newscat.model import Article, Problem, attributes_in_order
from tests.conftest import python_calls

_REQUIRED = ("id", "path", "front_matter")
_OPTIONAL = [spec for spec in dataclasses.fields(Article) if spec.name not in _REQUIRED]
_SAMPLES: dict[str, st.SearchStrategy[Any]] = {
    "topics": st.lists(st.text(max_size=5), max_size=3).map(tuple),
    "provider_names": st.lists(st.text(max_size=5), max_size=3).map(tuple),
    "warnings": st.lists(
        st.builds(Problem.warning, st.text(), st.text(), st.text(), st.none(), st.none()),
        max_size=2,
    ).map(tuple),
    "published": st.none() | st.booleans(),
    "quality": st.none() | st.integers() | st.floats(allow_nan=False),
    "heat": st.none() | st.integers(),
    "coverage": st.none() | st.integers(),
    "body_in_file": st.booleans(),
}
articles = st.fixed_dictionaries(
    {
        "id": st.text(max_size=8),
        "path": st.text(max_size=8),
        "front_matter": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    },
    optional={
        spec.name: _SAMPLES.get(spec.name, st.none() | st.text(max_size=8)) for spec in _OPTIONAL
    },
)


def _attributes(value: Any) -> list[tuple[str, Any]]:
    """Every attribute, those left out of ``==`` too, in the order the object holds them."""
    return list(vars(value).items())


@settings(max_examples=200, deadline=None)
@given(articles)
def test_an_article_parsed_is_the_article_init_makes(values: dict[str, Any]) -> None:
    made = Article.parsed(dict(values))
    expected = Article(**values)
    assert _attributes(made) == _attributes(expected)
    assert made == expected
    assert type(made) is Article
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(articles)
def test_an_article_of_attributes_in_order_is_the_article_init_makes(
    values: dict[str, Any],
) -> None:
    """The parser's way: the attributes in order, the values set in their places, kept
    by the article as they are."""
    attributes = attributes_in_order(values.items())
    made = Article.of_attributes(attributes)
    expected = Article(**values)
    assert _attributes(made) == _attributes(expected)
    assert made == expected and type(made) is Article
    assert vars(made) is attributes
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"  # type: ignore[misc]


@given(st.text(), st.text(), st.text(), st.none() | st.integers(), st.none() | st.integers())
def test_a_warning_is_the_problem_init_makes(
    path: str, code: str, message: str, line: int | None, column: int | None
) -> None:
    made = Problem.warning(path, code, message, line, column)
    expected = Problem(path, code, message, line, column, "warning")
    assert _attributes(made) == _attributes(expected)
    assert made == expected
    assert hash(made) == hash(expected)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_the_front_matter_json_is_what_json_dumps_gives(value: dict[str, Any]) -> None:
    expected = json.dumps(value, ensure_ascii=False, allow_nan=False)
    assert "".join(parse._FRONT_JSON(value, 0)) == expected
    assert "".join(parse._FRONT_JSON(value, 0)) == expected  # the kept encoder, once more


def test_the_front_matter_json_refuses_what_json_dumps_refuses() -> None:
    """The parser falls back on ``_json_safe`` when the encoder refuses a value, as
    ``json.dumps`` would: a float JSON cannot hold, or a value of no JSON type."""
    for value, error in (
        ({"x": [math.nan]}, ValueError),
        ({"x": {"y": math.inf}}, ValueError),
        ({"x": (1, {2})}, TypeError),
    ):
        with pytest.raises(error):
            json.dumps(value, ensure_ascii=False, allow_nan=False)
        with pytest.raises(error):
            "".join(parse._FRONT_JSON(value, 0))
        assert "".join(parse._FRONT_JSON({"after": [1, "é"]}, 0)) == '{"after": [1, "é"]}'


CORPUS = sorted(path for path in (Path(__file__).parent / "corpus").rglob("*") if path.is_file())


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_each_article_of_the_corpus_is_one_init_would_make(path: Path) -> None:
    """The parser gives ``Article.parsed`` every attribute by its name and no other."""
    result = parse.parse_article(path.read_bytes(), str(path), path.stem)
    if not isinstance(result, Article):
        pytest.skip(f"not an article: {result.code}")
    values = {spec.name: getattr(result, spec.name) for spec in dataclasses.fields(Article)}
    assert _attributes(result) == _attributes(Article(**values))
    assert all(_attributes(w) == _attributes(Problem(**vars(w))) for w in result.warnings)


def test_without_derivable_warnings_an_article_leaves_out_only_those() -> None:
    """The index's workers parse without the warnings it derives (no date, no url):
    every corpus file gives the same article less exactly those, and the same row."""
    from newscat.fields import MISSING_WARNINGS
    from newscat.store.schema import article_row

    corpus = sorted(p for p in (Path(__file__).parent / "corpus").rglob("*") if p.is_file())
    left_out = 0
    for path in corpus:
        data = path.read_bytes()
        whole = parse.parse_article(data, str(path), path.stem)
        lean = parse.parse_article(data, str(path), path.stem, derivable=False)
        if not isinstance(whole, Article):
            assert lean == whole
            continue
        kept = tuple(w for w in whole.warnings if w.code not in MISSING_WARNINGS)
        left_out += len(whole.warnings) - len(kept)
        assert isinstance(lean, Article)
        assert lean.warnings == kept, path  # (== leaves warnings out)
        assert _attributes(lean) == _attributes(dataclasses.replace(whole, warnings=kept))
        assert article_row(lean) == article_row(whole), path
    assert left_out >= 5  # the corpus has files without a date or a url


def test_the_front_matter_json_is_made_by_the_encoder_itself(monkeypatch: Any) -> None:
    """The parser joins the kept C encoder's pieces itself: no Python call between
    (no ``<lambda>``); without json's C encoder, json's own way gives the same text."""
    data = b"---\ntitle: T\nlayout: post\n---\n"
    parse.parse_article(data, "a.md", "a")  # its layout worked out
    found, calls = python_calls(parse.parse_article, data, "a.md", "a")
    assert "<lambda>" not in calls
    assert (
        isinstance(found, Article) and found.front_matter_json == '{"title": "T", "layout": "post"}'
    )
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    value = {"é": [1, 2.5, None, True, "\u2028"]}
    assert "".join(parse._front_json()(value, 0)) == json.dumps(value, ensure_ascii=False)
    with pytest.raises(ValueError):
        parse._front_json()({"x": math.nan}, 0)
