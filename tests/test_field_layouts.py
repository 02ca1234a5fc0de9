"""Reading the fields through a layout (each key chain cut, once per set of top-level
keys, to the keys that may give a value) gives exactly what the whole chains give: the
same Article, every attribute and warning included."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from newscat import parse
from newscat.fields import DEFAULT_KEYS, FieldKeys
from newscat.model import Article, Problem, attributes_in_order

CORPUS = sorted(path for path in (Path(__file__).parent / "corpus").rglob("*") if path.is_file())

#: Keys read through a mapping (``extra.team``) or negated (``!draft``), beside plain ones.
ODD_KEYS = FieldKeys(
    {
        **DEFAULT_KEYS,
        "title": ("extra.title", "title"),
        "date": ("extra.date", "date", "!when"),
        "url": ("!link", "url", "extra.url"),
        "provider": ("extra.team", "author"),
        "topics": ("extra.tags", "tags", "!tags"),
        "quality": ("extra.quality", "quality"),
        "published": ("published", "!draft", "!extra.draft"),
        "category": ("!category", "extra.category"),
    }
)


def _both(data: bytes, path: str, keys: FieldKeys) -> tuple[Any, Any]:
    """What the parser gives through the layouts and through the whole chains."""

    def read(by_layout: bool) -> Any:
        result = parse._parse(data, path, "a", keys, by_layout=by_layout)
        return type(result), vars(result)

    return read(True), read(False)


@pytest.mark.usefixtures("yaml_loader")
@pytest.mark.parametrize("keys", [DEFAULT_KEYS, ODD_KEYS], ids=["default", "odd"])
def test_every_corpus_file_reads_the_same_through_its_layout(keys: FieldKeys) -> None:
    for path in CORPUS:
        by_layout, whole = _both(path.read_bytes(), str(path), keys)
        assert by_layout == whole, path


def test_a_layout_reads_only_the_keys_present() -> None:
    """A field none of whose keys is there is read by no call; a present one by its
    present keys (a null value among them: it falls through to the next, as ever)."""
    front = {"layout": "post", "title": "T", "tags": None, "keywords": ["a"], "extra": {}}
    chains = parse._layout(parse._plan(ODD_KEYS), front)
    assert (chains.title, chains.date, chains.url, chains.provider) == (
        ("extra.title", "title"), ("extra.date",), ("extra.url",), ("extra.team",)
    )  # fmt: skip
    assert {name: chain for name, _, chain in chains.plain} == {
        "category": ("extra.category",),
        "quality": ("extra.quality",),
        "published": ("!extra.draft",),
        "topics": ("extra.tags", "tags", "!tags"),
    }
    assert dict(chains.absent) == {"excerpt": None, "type": None, "heat": None}
    assert parse._layout(parse._plan(ODD_KEYS), dict(front)) is chains


def test_each_article_has_its_own_copy_of_its_layouts_attributes() -> None:
    """The attributes a layout holds (an Article's, in order, the absent fields' set)
    are copied for each article, never filled in place: two articles of one layout
    have their own, and the layout's stay as they were."""
    texts = [b"---\ntitle: One\ntags: [a]\n---\n", b"---\ntitle: Two\ntags: [b]\n---\n"]
    first, second = (parse._parse(text, "a.md", "a", DEFAULT_KEYS) for text in texts)
    assert isinstance(first, Article) and isinstance(second, Article)
    chains = parse._layout(parse._plan(DEFAULT_KEYS), first.front_matter)
    assert chains.attributes == attributes_in_order(chains.absent)
    assert list(chains.attributes) == [spec.name for spec in dataclasses.fields(Article)]
    assert vars(first) is not vars(second) and vars(first) is not chains.attributes
    assert (first.title, first.topics, second.title, second.topics) == (
        "One",
        ("a",),
        "Two",
        ("b",),
    )


def test_the_layouts_a_plan_keeps_are_bounded() -> None:
    plan = parse._plan(DEFAULT_KEYS)
    for n in range(parse._LAYOUTS_MAX + 10):
        text = f"---\ntitle: T\nkey{n}: x\ntags: [a]\n---\n".encode()
        by_layout, whole = _both(text, "a.md", DEFAULT_KEYS)
        assert by_layout == whole
    assert 0 < len(plan.layouts) <= parse._LAYOUTS_MAX


_KEY_POOL = sorted(
    {key.removeprefix("!") for chain in ODD_KEYS.values() for key in chain}
    | {key for chain in DEFAULT_KEYS.values() for key in chain}
    | {"extra", "draft", "when", "!draft", "layout", "extra.team"}
)
_SCALARS = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(
    [
        "", " ", "T", "yes", "off", "1", "0", "2.5", "nope", "2024-01-02", "2024-13-45",
        "2024-01-02T03:04:05+99:00", "/2023/05/06/slug/", "https://www.e.com/a",
        "ftp://e.com/b", "e.com", "Ann", "true",
    ]
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from([*_KEY_POOL, "name", "domain"]), inner, max_size=4)
    ),
    max_leaves=8,
)
_EXTRA = st.dictionaries(
    st.sampled_from([key.partition(".")[2] for key in _KEY_POOL if key.startswith("extra.")]),
    _VALUES,
    max_size=5,
)


def _with_extra(front: dict[str, Any], extra: dict[str, Any] | None, first: bool) -> dict[str, Any]:
    """``front`` with a mapping ``extra`` (the dotted keys' way in) first or last."""
    if extra is None:
        return front
    return {"extra": extra, **front} if first else {**front, "extra": extra}


_FRONT = st.builds(
    _with_extra,
    st.dictionaries(st.sampled_from(_KEY_POOL), _VALUES, max_size=8),
    st.none() | _EXTRA,
    st.booleans(),
)
_CHAIN = st.lists(
    st.sampled_from(_KEY_POOL).flatmap(lambda key: st.sampled_from([key, f"!{key}"])),
    max_size=4,
    unique=True,
)
_KEYS = st.just(DEFAULT_KEYS) | st.just(ODD_KEYS) | st.fixed_dictionaries(
    {name: _CHAIN for name in DEFAULT_KEYS}
).map(FieldKeys)  # fmt: skip
#: A few keys, every odd spelling among them, so that chains and front matters meet often.
_TIGHT = ["a", "b", "x", "!x", "x.a", "!x.a", "!a", "x.b"]
_TIGHT_FRONT = st.dictionaries(
    st.sampled_from(_TIGHT),
    _SCALARS
    | st.lists(_SCALARS, max_size=2)
    | st.dictionaries(st.sampled_from(["a", "b"]), _SCALARS, max_size=2),
    max_size=5,
)
_TIGHT_KEYS = st.fixed_dictionaries(
    {name: st.lists(st.sampled_from([*_TIGHT, "!x.b"]), max_size=3) for name in DEFAULT_KEYS}
).map(FieldKeys)


@settings(max_examples=600, deadline=None)
@given(
    st.tuples(_FRONT, _KEYS) | st.tuples(_TIGHT_FRONT, _TIGHT_KEYS),
    st.sampled_from(["a.md", "2024-05-06-post.md"]),
)
def test_generated_front_matters_read_the_same_through_their_layout(
    front_and_keys: tuple[dict[str, Any], FieldKeys], name: str
) -> None:
    front, keys = front_and_keys
    text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    by_layout, whole = _both(f"---\n{text}---\nBody.\n".encode(), name, keys)
    assert by_layout == whole
    assert by_layout[0] is Article, by_layout


@pytest.mark.parametrize("key", [*_TIGHT, "!x.b"])
def test_each_odd_key_against_each_key_alone(key: str) -> None:
    """Every field read from one key, in a front matter of one key whose value any field
    can read: each way a reader takes a key (as written, negated, through a mapping)."""
    keys = FieldKeys({name: (key,) for name in DEFAULT_KEYS})
    values: list[Any] = [True, "2024-01-02", "https://e.com/a", ["t"], {"a": "no", "b": "1"}]
    for present in _TIGHT:
        for value in values:
            text = yaml.safe_dump({present: value})
            by_layout, whole = _both(f"---\n{text}---\n".encode(), "a.md", keys)
            assert by_layout == whole, (present, value)


def test_a_problem_is_the_same_either_way() -> None:
    by_layout, whole = _both(b"---\n- a list\n---\n", "a.md", DEFAULT_KEYS)
    assert by_layout == whole and by_layout[0] is Problem
