"""The fast YAML construction path gives exactly what PyYAML's SafeLoader gives."""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newscat import catalog, parse, plainyaml, refresh, split
from newscat.dates import normalise_date
from newscat.fields import DEFAULT_KEYS, FieldKeys, field_keys
from newscat.model import Article, Problem
from newscat.store.schema import article_row
from tests.conftest import python_calls


class _Reference(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, with timestamps kept as text like newscat."""


_Reference.yaml_implicit_resolvers = plainyaml.RESOLVERS
_Reference.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(
        ["yes", "No", "~", "0x1F", "0o17", "017", "1_000", "1:30", "2022-05-19", ".inf"]
    )
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.text(min_size=1, max_size=10), values, min_size=1, max_size=6)


def _as_written(value: Any) -> Any:
    """What newscat keeps for a value PyYAML loaded from ``safe_dump``'s text: a float
    JSON cannot hold keeps the text it was written as."""
    if isinstance(value, dict):
        return {key: _as_written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_written(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return yaml.safe_dump(value).split("\n")[0]
    return value


def _parse(front: str) -> Any:
    result = parse.parse_article(f"---\n{front}---\n".encode(), "p", "i")
    assert isinstance(result, Article), result
    return result.front_matter


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True]))
def test_fast_path_matches_pyyaml(document: dict[str, Any], flow: bool | None) -> None:
    front = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    expected = yaml.load(front, _Reference)
    assert _parse(front) == _as_written(expected)


def test_plain_scalars_written_by_hand() -> None:
    front = (
        "a: 0x1F\nb: 017\nc: 1_000\nd: yes\ne: ~\nf: 2022-05-19T09:13:00Z\ng: 1.5e+3\ng2: 1.5e3\n"
        "h: '58'\ni: 007\nj: -3\nk: +4\nl: .nan\nm: !!str 12\nn: !!binary aGk=\n"
    )
    assert _parse(front) == {
        "a": 31,
        "b": 15,
        "c": 1000,
        "d": True,
        "e": None,
        "f": "2022-05-19T09:13:00Z",
        "g": 1500.0,
        "g2": "1.5e3",  # YAML 1.1 wants a signed exponent
        "h": "58",
        "i": 7,
        "j": -3,
        "k": 4,
        "l": ".nan",
        "m": "12",
        "n": "aGk=",
    }


def test_anchors_and_merge_keys_take_the_standard_path() -> None:
    front = "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\nsame: *b\n"
    assert _parse(front) == {"base": {"x": 1}, "other": {"x": 1, "y": 2}, "same": {"x": 1}}


#: The closing line as the spec words it, a multiline pattern tried at every character.
_CLOSING_LINE = {
    False: re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE),
    True: re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE),
}


_LINES = ["---", "+++", "...", "--- ", "---\t", "----", " ---", "-- -", "a: b", "", "x---",
          "+++ ", "... x", "...\t ", "\r", "---\r", "\u2028"]  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_LINES), max_size=8).map("\n".join))
@example("---\na: b\n---\n\n\nbody\n\nmore\n\n\n")  # line feeds around the body
@example("---\n---\n\n\n")  # a body of line feeds alone
@example("---\n---")
def test_the_front_matter_ends_at_the_first_closing_line(text: str) -> None:
    """split.cut finds the closing line the way its definition (a line of ``---`` or
    ``...``, TOML's ``+++``, and trailing blanks) says, on texts full of near misses."""
    opening = split.opens(text)
    if opening is None:
        return
    toml = opening.re is split.TOML_OPEN
    closing = _CLOSING_LINE[toml].search(text, opening.end())
    parts = split.cut(text, opening)
    if closing is None:
        assert parts is None
    else:
        assert parts == split.Parts(
            toml, text[opening.end() : closing.start()], text[closing.end() :].strip("\n")
        )


def test_a_file_is_cut_in_its_parts_without_another_python_call() -> None:
    """The parser cuts every file: its ``Parts`` are made in C (``tuple.__new__``), not
    by a Python ``__init__``, and are what ``Parts(...)`` makes, fields and all."""
    text = "+++\ntitle = 't'\n+++\n\nbody\n"
    opening = split.opens(text)
    assert opening is not None
    parts, calls = python_calls(split.cut, text, opening)
    assert calls == ["cut"]
    assert parts == split.Parts(True, "title = 't'\n", "body")
    assert parts is not None and type(parts) is split.Parts
    assert (parts.toml, parts.front, parts.body) == (True, "title = 't'\n", "body")


def test_each_file_is_read_by_the_keys_given_now() -> None:
    """How the fields are read is worked out once per mapping of keys: a mapping changed
    in place, or another one, reads by its own keys, and its warnings say which."""
    text = b"---\ntitle: T\nwhen: 2024-01-02\nhref: https://e.com/a\n---\n"
    keys = dict(DEFAULT_KEYS)
    read = [parse.parse_article(text, "a.md", "a", keys)]
    keys["date"], keys["url"] = ("when",), ("href",)
    read.append(parse.parse_article(text, "a.md", "a", keys))
    read.append(parse.parse_article(text, "a.md", "a", {**keys, "url": ("link", "!x")}))
    read.append(parse.parse_article(text, "a.md", "a", keys))
    assert all(isinstance(article, Article) for article in read)
    said = [
        [(a.date, a.url), *(w.message for w in a.warnings)]  # type: ignore[union-attr]
        for a in read
    ]
    assert said == [
        [
            (None, None),
            "no date (read from publishedDateTime, date, publishDate or pubDate)",
            "no url (read from webUrl, url or link)",
        ],
        [("2024-01-02T00:00:00Z", "https://e.com/a")],
        [("2024-01-02T00:00:00Z", None), "no url (read from link or not x)"],
        [("2024-01-02T00:00:00Z", "https://e.com/a")],
    ]


def test_equal_keys_share_one_reading_plan() -> None:
    """Keys are frozen and kept by value: a worker's copy of a catalogue's keys (sent
    pickled with every batch) is read by the plan made for the first copy."""
    keys = field_keys({"url": ["href"]})
    copy = pickle.loads(pickle.dumps(keys))
    assert copy is not keys
    assert parse._plan(copy) is parse._plan(keys)
    assert parse._plan(field_keys()) is parse._plan(DEFAULT_KEYS)
    assert parse._plan(keys) is not parse._plan(DEFAULT_KEYS)
    assert (copy, hash(copy)) == (keys, hash(keys))
    with pytest.raises(TypeError):
        keys["url"] = ("link",)  # type: ignore[index]


def test_keys_sent_to_a_process_with_another_hash_seed_are_found_by_value() -> None:
    """A worker started afresh (spawn) hashes strings with another seed: the keys it is
    sent must hash as its own equal keys do, not bring the sender's hash along."""
    code = (
        "import pickle, sys\n"
        "from newscat.fields import field_keys\n"
        "sent = pickle.loads(sys.stdin.buffer.read())\n"
        "print(sent in {field_keys({'url': ['href']})}, sent == field_keys({'url': ['href']}))\n"
    )
    sent = pickle.dumps(field_keys({"url": ["href"]}))
    seen = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], input=sent, capture_output=True, env=env, timeout=60
        )
        assert (done.returncode, done.stderr) == (0, b"")
        seen.add(done.stdout)
    assert seen == {b"True True\n"}


def test_keys_given_as_any_mapping_are_read_as_they_are_now() -> None:
    text = b"---\ntitle: T\nhref: https://e.com/a\n---\n"
    found = parse.parse_article(text, "a.md", "a", {**DEFAULT_KEYS, "url": ["href"]})
    assert isinstance(found, Article) and found.url == "https://e.com/a"
    assert isinstance(FieldKeys({"url": ["href"]})["url"], tuple)


_STARTS = st.sampled_from(
    [b"", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00", b"-", b"\xff", b"\xfe", b"\xfe-"]
)


@settings(max_examples=300, deadline=None)
@given(
    _STARTS,
    st.text(alphabet="-- abc:\n\t\x00", max_size=40).flatmap(
        lambda text: st.sampled_from(
            [text.encode("utf-16-le"), text.encode("utf-16-be"), text.encode(), b"x" * 70]
        )
    ),
    st.binary(max_size=8),
)
@example(b"", "title".encode("utf-16-be"), b"")  # a NUL first
@example(b"", "title".encode("utf-16-le"), b"")
def test_a_file_is_utf16_just_when_its_start_looks_so(
    start: bytes, text: bytes, tail: bytes
) -> None:
    """UTF-16 is looked for only where a byte-order mark or an early NUL allows it: the
    file is said to be UTF-16 exactly when its start looks like UTF-16 text."""
    data = start + text + tail
    found = parse.parse_article(data, "a.md", "a")
    said = isinstance(found, Problem) and found.code == "utf-16"
    assert said == (bool(data) and not data.isspace() and parse._utf16(data))


def test_a_catalogue_without_keys_of_its_own_is_read_without_asking_the_abc() -> None:
    """No keys (as for nearly every catalogue) are newscat's own, found without
    ``isinstance(None, FieldKeys)``, which runs the Mapping ABC's Python check."""
    data = b"---\ntitle: T\nurl: https://e.com/a\n---\nbody\n"
    found, calls = python_calls(parse.parse_article, data, "2024-01-02-a.md", "a")
    assert "__instancecheck__" not in calls
    assert found == parse.parse_article(data, "2024-01-02-a.md", "a", DEFAULT_KEYS)
    assert isinstance(found, Article) and found.date == "2024-01-02T00:00:00Z"


def test_a_host_is_found_without_another_python_call() -> None:
    """The parser takes the domain of nearly every file from its URL: by a pattern
    compiled once, not ``re.match`` of its text (two Python calls to look it up)."""
    host, calls = python_calls(parse._host, "https://www.Example.COM:8080/a?b#c")
    assert (host, calls) == ("example.com", ["_host"])
    assert parse._host("ftp://user@files.example.org/x") == "files.example.org"
    assert parse._host("mailto:someone@example.com") is None
    assert parse._host("") is None


_NAME_PARTS = st.sampled_from(["2024-01-02", "2024-1-02", "20240102", "1999-12-31", "x", ".", "-"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="ab/.-", max_size=6), max_size=3),
    st.lists(_NAME_PARTS | st.text(alphabet="0123456789-.a", max_size=6), max_size=4),
)
@example(["2024-01-02"], ["a.md"])  # a dated folder, an undated name
@example([], ["2024-01-02", "-a.md"])
def test_a_date_is_taken_from_the_name_after_the_last_slash(
    folders: list[str], parts: list[str]
) -> None:
    """A file whose front matter holds no date is dated by its name, the part of its
    path after the last ``/``: what ``os.path.basename`` gives, found without its calls."""
    path = "/".join([*folders, "".join(parts)])
    found = parse.parse_article(b"---\ntitle: t\n---\n", path, "a")
    named = parse._NAME_DATE.match(os.path.basename(path))
    assert isinstance(found, Article)
    assert found.date == (normalise_date(named.group(1)) if named else None)


def test_warnings_are_gathered_without_a_generator() -> None:
    """A worker's usual file (no date, no url: warnings it leaves out) runs no
    comprehension or generator for its warnings; when there are some, a key collision's
    come first, then the fields' in order, each kept or left out as ``derivable`` says."""
    plain = b"---\ntitle: T\nlayout: post\n---\nbody\n"
    parse.parse_article(plain, "a.md", "a", None, False)  # its layout worked out
    found, calls = python_calls(parse.parse_article, plain, "a.md", "a", None, False)
    assert isinstance(found, Article) and found.warnings == ()
    assert not [name for name in calls if name.startswith(("<genexpr", "<listcomp"))], calls
    both = b"---\n1: one\n'1': two\nurl: nowhere\nquality: 2.5\n---\n"
    lines = {"key-collision": 3, "missing-title": 2, "missing-date": 2, "bad-url": 4}
    for derivable, codes in (
        (True, ["key-collision", "missing-title", "missing-date", "bad-url", "bad-score"]),
        (False, ["key-collision", "missing-title", "bad-url", "bad-score"]),
    ):
        found = parse.parse_article(both, "a.md", "a", None, derivable)
        assert isinstance(found, Article)
        assert [(w.code, w.line) for w in found.warnings] == [
            (code, lines.get(code, 5)) for code in codes
        ]


def test_a_file_read_gives_its_read_file_without_another_python_call(tmp_path: Path) -> None:
    """``read_article`` makes the ``ReadFile`` of a file it read in C (``tuple.__new__``),
    not by ``ReadFile.__new__`` in Python: what ``ReadFile(...)`` makes, fields and all."""
    path = tmp_path / "a.md"
    path.write_bytes(b"---\ntitle: T\n---\nbody\n")
    catalog.read_article(str(path), "a")  # the parser loaded
    codes: list[Any] = []
    sys.setprofile(lambda frame, event, _: codes.append(frame.f_code) if event == "call" else None)
    try:
        found = catalog.read_article(str(path), "a")
    finally:
        sys.setprofile(None)
    assert catalog.ReadFile.__new__.__code__ not in codes
    info = path.stat()
    digest = catalog.content_hash(path.read_bytes())
    assert type(found) is catalog.ReadFile
    assert found == catalog.ReadFile(digest, found.result, info.st_size, info.st_mtime_ns)
    assert (found.digest, found.size, found.mtime_ns) == (digest, info.st_size, info.st_mtime_ns)
    assert isinstance(found.result, Article) and found.result.body == "body"


def test_a_worker_without_the_full_text_index_slices_no_body(tmp_path: Path) -> None:
    """Without ``body`` (a worker whose batch sends no body back) the article's body is
    left empty, never sliced; all else, and every row the index stores, is the same."""
    text = "---\ntitle: T\ntags: [a]\n---\n\nThe body.\n\n"
    opening = split.opens(text)
    assert opening is not None
    assert split.cut(text, opening, False) == split.Parts(False, "title: T\ntags: [a]\n", "")
    path = tmp_path / "a.md"
    path.write_text(text, encoding="utf-8")
    whole = catalog.read_article(str(path), "a")
    bodiless = catalog.read_article(str(path), "a", derivable=True, body=False)
    assert isinstance(whole.result, Article) and whole.result.body == "The body."
    assert bodiless._replace(result=None) == whole._replace(result=None)
    assert bodiless.result == dataclasses.replace(whole.result, body="")
    assert article_row(bodiless.result) == article_row(whole.result)
    item = (str(path), refresh.UNSTATTED, None, False, None)
    batches = {
        bodies: refresh._read_batch([item], refresh._Reading((str(tmp_path),), 1 << 20, {}, bodies))
        for bodies in (False, True)
    }
    assert batches[False].rows.articles == batches[True].rows.articles
    assert batches[False].rows.texts == []
    assert [body for *_, body in batches[True].rows.texts] == ["The body."]


@given(st.text(alphabet="-+. \t\na", max_size=8))
@example("---\n")
@example("+++\n")
def test_the_opening_line_is_found_whichever_is_looked_for_first(text: str) -> None:
    """YAML's opening line is looked for before TOML's: the two never both match, so
    what ``opens`` finds is what looking the other way round finds."""
    found = split.opens(text)
    other = split.TOML_OPEN.match(text) or split.OPEN.match(text)
    assert (found and (found.re, found.span())) == (other and (other.re, other.span()))


class _Text(str):
    def __str__(self) -> str:
        return "its own text"


def _old_text(value: Any) -> str | None:
    """``_text`` as it was before its fast path for a str."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@given(scalars | st.lists(st.integers(), max_size=2) | st.builds(_Text, st.text(max_size=5)))
@example(_Text("x"))
def test_a_value_read_as_text_is_what_it_was_before_the_fast_path(value: Any) -> None:
    """A str is its own text at once; any other value (a str of a subclass too) as before."""
    found = parse._text(value)
    assert found == _old_text(value) and type(found) is type(_old_text(value))


def _old_read_bounded(fd: int, expected: int, max_size: int) -> bytes:
    """``catalog._read_bounded`` as it was before its one-read fast path."""
    chunks: list[bytes] = []
    total = 0
    want = expected + 1
    while total <= max_size:
        asked = min(want, max_size + 1 - total)
        chunk = os.read(fd, asked)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < asked and total >= expected:
            break
        want = 1 << 16
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_SIZES = st.integers(0, 70_000) | st.sampled_from([0, 1, 65_535, 65_536, 65_537, 140_000])


@settings(max_examples=300, deadline=None)
@given(_SIZES, _SIZES, _SIZES)
@example(10, 10, 100)  # the usual file, read whole at once
@example(0, 0, 0)
@example(10, 0, 100)  # grown since its stat
@example(10, 20, 100)  # shrunk
@example(200, 150, 100)  # past the limit
@example(140_000, 10, 200_000)
def test_a_file_is_read_as_before_the_one_read_fast_path(
    size: int, expected: int, max_size: int
) -> None:
    """However its size, the size its stat gave and the limit compare, a file gives
    what the loop alone gave, read by the same calls."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "a.md")
        with open(path, "wb") as file:
            file.write(data)
        found = []
        for read in (catalog._read_bounded, _old_read_bounded):
            fd = os.open(path, os.O_RDONLY)
            try:
                found.append((read(fd, expected, max_size), os.lseek(fd, 0, os.SEEK_CUR)))
            finally:
                os.close(fd)
    assert found[0] == found[1]


def test_a_file_without_a_url_makes_no_call_for_one() -> None:
    """Most files have no url: its chain in their layout is empty, so neither the url
    nor its host is looked for by a call; the article is what the whole chains give."""
    data = b"---\ntitle: T\nlayout: post\n---\n"
    parse.parse_article(data, "a.md", "a")  # its layout worked out
    found, calls = python_calls(parse.parse_article, data, "a.md", "a")
    assert "_host" not in calls and calls.count("_first") == 1  # the title's
    whole = parse._parse(data, "a.md", "a", DEFAULT_KEYS, by_layout=False)
    assert found == whole and isinstance(found, Article)
    assert (found.url, found.domain) == (None, None)
    assert [w.code for w in found.warnings] == ["missing-date", "missing-url"]


def test_the_next_file_with_the_same_keys_finds_its_plan_without_hashing_them() -> None:
    """The keys last asked for are found by identity: no ``FieldKeys.__hash__`` (a
    Python call) for each file; other keys, equal or not, still get their own plan."""
    other = field_keys({"url": ["href"]})
    plan = parse._plan(DEFAULT_KEYS)
    found, calls = python_calls(parse._plan, DEFAULT_KEYS)
    assert found is plan and calls == ["_plan"]
    assert parse._plan(other) is not plan and parse._plan(other).chains.url == ("href",)
    assert parse._plan(field_keys()) is plan is parse._plan(DEFAULT_KEYS)


@given(scalars | st.lists(st.integers(), max_size=2) | st.builds(_Text, st.text(max_size=5)))
@example(_Text("x"))
@example("  ")
def test_a_title_is_read_as_any_text_is(value: Any) -> None:
    """The usual title, a str, is itself without a call to ``_text``; any other value
    is read as ``_text`` reads it (a missing or blank one is said)."""
    found = parse._article({"title": value}, "{}", "", "a.md", "a", None, DEFAULT_KEYS, [])
    assert isinstance(found, Article)
    written = found.front_matter["title"]
    assert found.title == parse._text(written) and type(found.title) is type(parse._text(written))
    said = [w.code for w in found.warnings if w.code == "missing-title"]
    assert said == ([] if found.title and found.title.strip() else ["missing-title"])


def test_the_usual_title_is_read_without_a_call_to_text() -> None:
    data = b"---\ntitle: T\nlayout: post\nurl: https://e.com/a\n---\n"
    parse.parse_article(data, "a.md", "a")  # its layout worked out
    found, calls = python_calls(parse.parse_article, data, "a.md", "a")
    assert isinstance(found, Article) and found.title == "T"
    assert calls.count("_text") == 1  # the url's


def test_a_file_without_a_provider_key_makes_no_call_for_one() -> None:
    """Most files have none of the provider's keys: their layout's chain is empty, and
    no reader is called for it; a file with one reads it as the whole chains do."""
    for data, provider in (
        (b"---\ntitle: T\nlayout: post\n---\n", None),
        (b"---\ntitle: T\nauthor: [Ann, Bob]\n---\n", "Ann, Bob"),
    ):
        parse.parse_article(data, "a.md", "a")  # its layout worked out
        found, calls = python_calls(parse.parse_article, data, "a.md", "a")
        assert ("_read_provider" in calls) == (provider is not None)
        assert found == parse._parse(data, "a.md", "a", DEFAULT_KEYS, by_layout=False)
        assert isinstance(found, Article) and found.provider == provider


@pytest.mark.parametrize(
    ("data", "at"),
    [(b"---\nt: \xff\n---\n", 7), (b"\xef\xbb\xbf---\nt: \xff\n---\n", 10), (b"\xff---\n", 0)],
)
def test_a_byte_not_utf8_is_said_where_it_is_in_the_file(data: bytes, at: int) -> None:
    """The byte named is counted in the file, a UTF-8 mark before it too."""
    found = parse.parse_article(data, "a.md", "a")
    assert isinstance(found, Problem) and found.code == "not-utf8"
    assert found.message == f"not valid UTF-8 at byte {at}"


@given(
    st.sampled_from([b"", b"\xef", b"\xef\xbb", b"\xef\xbb\xbf", b"\xbb\xbf", b"\xef\xbf"]),
    st.binary(max_size=6),
)
@example(b"\xef\xbb\xbf", b"\xef\xbb\xbfx")
def test_text_is_decoded_without_one_utf8_mark_as_before(start: bytes, rest: bytes) -> None:
    """A UTF-8 mark found by its first byte first: the text, or the error and its
    offsets, are what looking for it by ``startswith`` alone gave."""

    def old(data: bytes) -> str:
        text = data[3 if data.startswith(split.UTF8_BOM) else 0 :].decode("utf-8")
        return text.replace("\r\n", "\n") if "\r" in text else text

    found: list[Any] = []
    for decode in (split.decode, old):
        try:
            found.append(decode(start + rest))
        except UnicodeDecodeError as exc:
            found.append((exc.start, exc.end, exc.reason))
    assert found[0] == found[1]


_KEYS = st.sampled_from(["a", "!a", "a!", "a.b", "!a.b", "b", "!b", "name"])


@given(
    st.dictionaries(_KEYS, st.none() | st.integers(0, 2) | st.dictionaries(_KEYS, st.integers())),
    st.lists(_KEYS, max_size=4),
)
def test_the_first_key_of_a_chain_is_found_as_before(
    front: dict[str, Any], chain: list[str]
) -> None:
    """A negated key (``!draft``) is passed over by its first character, as
    ``startswith("!")`` passed over it: the same key and value, the same provider."""

    def old_first(front: dict[str, Any], keys: list[str]) -> tuple[str | None, Any]:
        for key in keys:
            found = front.get(key)
            if found is None and "." in key:
                found = parse._at(front, key)
            if found is not None and not key.startswith("!"):
                return key, found
        return None, None

    assert parse._first(front, chain) == old_first(front, chain)
    _, value = old_first(front, chain)
    name = parse._text(value.get("name") if isinstance(value, dict) else value)
    assert parse._read_provider(front, chain)[0] == name
