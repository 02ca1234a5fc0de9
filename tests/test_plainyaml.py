"""The fast reader of plain front matter gives exactly what full YAML loading gives,
or steps aside: on generated tricky text, on the real corpus, and through the parser."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newscat import parse, plainyaml, split
from newscat.model import Article, Problem
from tests.conftest import python_calls

KEYS = [
    "title", "date", "tags", "external help file", "1", "0x10", "yes", "null", "a.b",
    "x/y", "Module Name", "a-b", "_k", "title ", "k:", "#k", "- k", "k k", "é", "<<",
]  # fmt: skip
SCALARS = [
    "plain words", "yes", "No", "OFF", "~", "null", "Null", "true", "2024-01-02",
    "2024-01-02 10:00:00 +01:00", "2024-01-02T10:00:00Z", "1.5", "-1.5", "1e3", "1.0e+3",
    "1_000", "0x1F", "0o17", "012", "0", "00", "-5", "+5", "58", ".inf", "-.inf", ".NaN",
    "190:20:30", "1:30", "a: b", "a:b", "a #b", "C#", "a:", "'q''s'", "'single'", '"dq"',
    '"a\\"b"', '"a\\nb"', '"unclosed', "'unclosed", "[a, b]", "[a, [b]]", "[a,]", "[]",
    "[ ]", "[,]", "[a, 'b']", "[1, 2.5, yes]", "[-a, b]", "x, y", "x [y] {z}", "@x", "`x",
    "!tag x", "!!str 5", "&a x", "*a", "|", ">-", "?", "-", "- x", "%x", "=", "<<",
    "http://example.com/a?b=c#d", "a\tb", "a\x85b", "a\u2028b", "a\rb", "é ü", "😀",
    "''", '""', "'''", "'a'''", "'a''b'c'", "'it''s'''", '"a"b"', '"a\\b"', "'x''", '"x""',
    '"a \\"b\\" c"', '"a\\\\b"', '"a\\/b"', '"a\\\\"', '"a\\"', '"\\\\\\""', '"a\\tb"',
    '"a\\u00e9"', '"a\\\\\\"b"', '"\\"x\\" y"',
    "trailing   ", "[a\xa0, b]", "tab\t", "\tlead", "a \t#b", '"x" y', "'x' y", "a ' b", 'a " b', "{a: b}", "{}",
]  # fmt: skip
INDENTS = [0, 0, 0, 1, 2, 2, 3, 4, 4, 6]
SHAPES = ["key: value", "key:", "- value", "- key: value", "- key:", "-", "# comment", "", "value"]


@st.composite
def fronts(draw: st.DrawFn) -> str:
    """Lines of the shapes block YAML is made of, at assorted indents: most of them
    are not valid YAML, and those that are nest mappings and lists every which way."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 10))):
        shape = draw(st.sampled_from(SHAPES))
        key, value = draw(st.sampled_from(KEYS)), draw(st.sampled_from(SCALARS))
        space = draw(st.sampled_from([" ", " ", "  ", ""]))
        text = (
            shape.replace("key:", f"{key}:")
            .replace(": value", f":{space}{value}")
            .replace("- value", f"-{space}{value}")
            .replace("comment", value)
        )
        if shape == "value":
            text = value
        lines.append(" " * draw(st.sampled_from(INDENTS)) + text)
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def full(front: str) -> tuple[Any, dict[str, int]] | Problem:
    """What the full YAML loader gives: the value, and the line of each top-level key."""
    loaded = parse._load_yaml(front, "x.md", [])
    if isinstance(loaded, Problem):
        return loaded
    value, node = loaded
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):  # the top-level keys' lines
        for key_node, _ in node.value:
            lines.setdefault(str(key_node.value), key_node.start_mark.line)
    return ({} if value is None else value), lines


def assert_same(front: str) -> bool:
    """The fast reader agrees with YAML wherever it answers; True when it answered."""
    fast = plainyaml.load(front)
    if fast is None:
        return False
    expected = full(front)
    assert not isinstance(expected, Problem), (front, expected)
    value, lines = expected
    assert fast[0] == value, front
    assert [type(v) for v in fast[0].values()] == [type(v) for v in value.values()], front
    assert list(fast[0]) == list(value), front  # the file's key order
    assert fast[1] == lines, front
    return True


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fronts())
@example("title: a\n\n  b")  # a plain scalar goes on after a blank line
@example("tags:\n- a\n  - b")
@example("k: 1\nk: 2")
@example("a:\n  b: 1\n  b: 2")  # repeated keys below the top
@example("- a: 1\n- b")
@example("a:\n- x\nb:\n  - y\n  - z: 1\n    w:\n    - v")
@example("k: [x\xa0, b]\nl: [\u3000a, b\u2003, c]")  # only spaces separate flow items
@example("k: ''\nl: \"\"\nm: 'it''s'''")  # empty quoted scalars; doubled quotes
@example("k: 'a''b'c'")  # a quote after the closing one: YAML refuses it
@example("k: 'x''")  # the last quote is half of a doubled one: unclosed
@example('k: "a\\b"')  # an escape this reader does not read: left to YAML
@example('k: "say \\"hi\\" \\\\ a\\/b"\nl: "x\\"')  # the escapes it reads; one unclosed
def test_the_fast_reader_gives_what_yaml_gives_or_steps_aside(front: str) -> None:
    assert_same(front)


def test_the_fast_reader_reads_the_usual_shapes() -> None:
    """Not a reader that always steps aside: the shapes real articles have are read."""
    fronts = [
        "title: Hello\ndate: 2024-01-02 10:00:00 +01:00\ntags: [a, b]\nquality: 58\n",
        'title: "Quoted: yes"\nexternal help file: x.dll-Help.xml\ndraft: no\n',
        "topics:\n  - AI Ethics\n  - Policy\n# a comment\nurl: https://example.com/a?b#c\n",
        "title: It's\nscore: 1.5\nempty:\nlist:\n- one\n- 'two'\n",
        "none: ~\nnothing: null\nflag: yes\ncount: 0\nratio: .5\n",
        "provider:\n  name: A\n  domain: a.example\ntopics:\n- x\nrelated:\n  - title: t\n"
        "    provider:\n      name: B\n    tags:\n    - u\n  - plain\n  -   webUrl: https://b\n",
        'title: "The \\"[bold]\\" question"\npath: "C:\\\\x\\/y"\n',
    ]
    for front in fronts:
        assert assert_same(front), front


def test_the_parser_gives_the_same_article_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        b"---\ntitle: T\npublishedDateTime: 2024-01-02\ntopics: [AI Ethics]\nquality: x\n"
        b"webUrl: ftp://x\n---\nBody\n"
    )
    fast = parse.parse_article(text, "a.md", "a")
    monkeypatch.setattr(plainyaml, "load", lambda front: None)
    slow = parse.parse_article(text, "a.md", "a")
    assert fast == slow
    assert [(w.code, w.line) for w in fast.warnings] == [(w.code, w.line) for w in slow.warnings]
    assert sorted(w.line for w in fast.warnings) == [5, 6]  # quality, webUrl


@pytest.mark.parametrize(
    ("front", "provider", "domain"),
    [
        ("author:\n  - Robert Smith\n  - Jane Doe\n", "Robert Smith, Jane Doe", "e.com"),
        ("author:\n- Robert Smith\n- 'Jane Doe'\n", "Robert Smith, Jane Doe", "e.com"),
        ("author: [A, B, A]\n", "A, B", "e.com"),
        ("authors:\n  - name: A\n    domain: A.example\n  - name: B\n  - 7\n", "A, B", "a.example"),
        ("author: []\nauthors: [C]\n", "C", "e.com"),
        ("author: []\n", None, "e.com"),
        ("author:\n  - yes\n  - 12\n  - ''\n  - ~\n", None, "e.com"),
        ("source: S\nauthor: [A, B]\n", "S", "e.com"),
    ],
)
def test_a_list_of_authors_is_read_the_same_either_way(
    monkeypatch: pytest.MonkeyPatch, front: str, provider: str | None, domain: str
) -> None:
    """The provider from a list, with the fast reader and with YAML: the same article."""
    assert assert_same(front), front  # the fast reader reads these shapes
    text = f"---\ntitle: T\nurl: https://e.com/a\n{front}---\n".encode()
    fast = parse.parse_article(text, "a.md", "a")
    monkeypatch.setattr(plainyaml, "load", lambda front: None)
    slow = parse.parse_article(text, "a.md", "a")
    assert fast == slow
    assert isinstance(fast, Article)
    assert (fast.provider, fast.domain) == (provider, domain)


def _real_fronts() -> list[tuple[Path, str]]:
    corpus = Path(os.environ.get("NEWSCAT_REAL_CORPUS", "/work/corpus"))
    if not corpus.is_dir():
        pytest.skip(f"no real corpus at {corpus} (set NEWSCAT_REAL_CORPUS)")
    found: list[tuple[Path, str]] = []
    for path in sorted(corpus.rglob("*.md"))[:20000]:
        try:
            text = split.decode(path.read_bytes())
        except (OSError, UnicodeDecodeError):
            continue
        opening = split.opens(text)
        parts = split.cut(text, opening) if opening is not None else None
        if parts is not None and not parts.toml:
            found.append((path, parts.front))
    return found


def test_the_fast_reader_agrees_with_yaml_on_the_real_corpus() -> None:
    fronts = _real_fronts()
    read = sum(assert_same(front) for _, front in fronts)
    assert read >= len(fronts) // 2, (read, len(fronts))  # most real front matter is plain


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='a"\\/ntu0x é', max_size=12))
def test_double_quoted_escapes_are_yamls_or_left_to_it(inner: str) -> None:
    """The escapes the reader reads (\\" \\\\ \\/) give what YAML gives; any other, an
    unclosed quote or text after it leaves the front matter to YAML."""
    front = f'k: "{inner}"\n'
    fast = plainyaml.load(front)
    try:
        expected = yaml.safe_load(front)
    except yaml.YAMLError:
        assert fast is None
        return
    assert fast is None or fast[0] == expected


# --- the flat front matter, read by ``_flat`` ------------------------------------------

#: Keys this reader reads (``KEYS`` has some it does not, drawn less often).
FLAT_KEYS = [key for key in KEYS if plainyaml._KEY_NAME.fullmatch(key)] + [
    "ms.date", "external help file", "Download Help Link", "a/b.c-d_e", "9",
]  # fmt: skip
#: Keys made up: mostly of the characters keys are made of, now and then another.
FLAT_KEY_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 ._/-:#'é")), min_size=1, max_size=8)
FLAT_TEXT = st.text(
    alphabet=st.sampled_from(list("ab :#'\"[],-!&*|>@`%?{}.\\/~0159eéü😀\t\r\x85\u2028\xa0")),
    max_size=12,
)


KEY = st.sampled_from(KEYS)
#: A number drawn evenly (Hypothesis draws the bounds of ``integers`` far more often).
ODDS = st.sampled_from(range(2, 42))


@st.composite
def flat_fronts(draw: st.DrawFn) -> str:
    """Front matter of ``key: value`` lines only (keys now and then repeated, values
    tricky), now and then with a line of another shape that sends it to the line reader."""
    lines = []
    for _ in range(draw(st.integers(0, 9))):
        key = draw(st.sampled_from(FLAT_KEYS) if draw(ODDS) % 10 else FLAT_KEY_TEXT | KEY)
        value = draw(
            st.sampled_from(SCALARS)
            if draw(ODDS) % 3
            else FLAT_TEXT | st.just("x" * 5000) | st.just("é " * 3000)
        )
        space = draw(st.sampled_from([*" " * 7, "  ", "", " " * 3]))
        trail = draw(st.sampled_from(["", "", " ", "  "]))
        line = draw(st.sampled_from([f"{key}:{space}{value}{trail}", f"{key}:{trail}"]))
        if draw(ODDS) == 41:
            line = draw(st.sampled_from(["", "# c", " k: v", "- v", "   ", "k:v"]))
        lines.append(line)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", ""]))


def by_lines(front: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """What the line-by-line reader alone gives (None when it steps aside)."""
    if not plainyaml._plain_characters(front):
        return None
    try:
        return plainyaml._blocks(front)
    except plainyaml._Unsure:
        return None


def flat(front: str) -> bool:
    """Whether ``load`` reads ``front`` by ``_flat`` (every line a key's)."""
    try:
        return front.endswith("\n") and plainyaml._flat(front) is not None
    except plainyaml._Unsure:
        return False


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flat_fronts())
@example("k: 1\nk: 2\n")  # a repeated key: left to YAML
@example("a:\nb: 1\nc:\n")  # keys without values: null
@example("a: x #y\nb: C#\n")  # a comment after a value: left to YAML
@example("a: b: c\n")  # a mapping in a value: left to YAML
@example("t: 'it''s'\nu: \"q \\\"x\\\"\"\nv: [a, 'b', 1]\nw: []\n")
@example("k:  v  \nk2:\t\n")  # spaces around a value; a tab: left to YAML
@example("title : x\n")  # a space before the colon: not a key this reader reads
@example("1: a\n0x10: b\n~: c\nyes: d\n")  # keys are their text as written
@example("tags: [alpha, beta, gamma, delta, epsilon, zeta]\n")  # a long flow list
@example("t: " + "x: " * 20 + "\n")  # a long value, not plain: left to YAML
def test_the_flat_reader_gives_what_the_line_reader_and_yaml_give(front: str) -> None:
    """Flat front matter read by ``_flat``: the same value and key lines as the
    line-by-line reader (or, with it, steps aside), and as YAML where it answers."""
    assert plainyaml.load(front) == by_lines(front), front
    assert_same(front)


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=6), st.sampled_from(["a: x{}y\nb: 1\n", "a: 1\nb: {}\n", "{}: 1\n"]))
@example("\t", "a: x{}y\nb: 1\n")
@example("\x85", "a: 1\nb: {}\n")
@example("\u2028", "a: x{}y\nb: 1\n")
@example("\ufeff", "a: x{}y\nb: 1\n")
@example("\ud800", "a: x{}y\nb: 1\n")
@example("\x7f", "{}: 1\n")
def test_a_character_left_to_yaml_leaves_flat_front_matter_to_it(text: str, shape: str) -> None:
    """Any character in a flat line: the flat reader reads what the line reader reads,
    and steps aside as it does for a character ``_SPECIAL`` finds."""
    front = shape.format(text)
    assert plainyaml.load(front) == by_lines(front), front
    if plainyaml._SPECIAL.search(front):
        assert plainyaml.load(front) is None


@settings(max_examples=2000)
@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=20) | st.text(max_size=8))
@example("".join(map(chr, range(128))))
@example("a\nb\tc")
@example("a\x7f")
@example("a\x00")
@example("plain words\nk: v\n")
def test_the_quick_look_for_characters_left_to_yaml_is_the_regex(front: str) -> None:
    """``_plain_characters`` (ASCII text by a byte table) says what ``_SPECIAL`` says."""
    assert plainyaml._plain_characters(front) == (plainyaml._SPECIAL.search(front) is None)


def test_the_flat_reader_reads_flat_front_matter() -> None:
    """The usual flat front matter takes the flat reader's way, and is read, lines and all."""
    front = (
        "title: Get-Item\nms.date: 12/09/2022\nexternal help file: x.dll-Help.xml\n"
        "Module Name: Microsoft.PowerShell.Management\nschema: 2.0.0\nonline version:\n"
        "locale: en-us\ntags: [a, b c]\nquality: 58\ndraft: no\n"
    )
    assert flat(front)
    assert assert_same(front)
    value, lines = plainyaml.load(front) or ({}, {})
    assert value["online version"] is None and value["quality"] == 58
    assert value["draft"] is False and value["tags"] == ["a", "b c"]
    assert lines == {key: number for number, key in enumerate(value)}


def test_a_value_left_to_yaml_is_left_to_it_each_time_it_is_seen() -> None:
    """A short value the reader cannot read is kept as one: front matter that holds it
    again, read from what was kept, is left to YAML too, whichever way it is read."""
    for front in ("a: b: c\n", "x: 1\na: b: c\n", "a: b: c\n", "m:\n  a: b: c\n", "a: b: c\n"):
        assert plainyaml.load(front) is None, front
        assert_same(front)


def test_a_long_flat_value_is_read_without_a_look_up() -> None:
    """A value longer than any kept (a title, a link) is read by ``_scalar`` at once:
    never among ``_SCALARS``, it is not looked up there (nor kept)."""
    title = "A title long enough never to be kept among the scalars read"
    front = f"title: {title}\nlayout: post\n"
    first = plainyaml.load(front)  # ("post" kept)
    again, calls = python_calls(plainyaml.load, front)
    assert calls == ["load", "_plain_characters", "_flat", "_scalar", "_not_plain"]
    assert again == first == by_lines(front) and title not in plainyaml._SCALARS


@given(st.text(alphabet=": #a\t", max_size=8))
@example("a:")
@example("a: b")
@example("C#")
@example("a #b")
@example(":")
def test_the_quick_look_for_a_scalar_that_is_not_plain_is_the_regex(text: str) -> None:
    """``_not_plain`` says of a line's text what ``_NOT_PLAIN`` finds in it."""
    assert plainyaml._not_plain(text) == (plainyaml._NOT_PLAIN.search(text) is not None)


def test_flat_front_matter_of_known_values_is_read_without_another_python_call() -> None:
    """Flat front matter (the commonest) whose values were seen before is read by
    ``load`` and ``_flat`` alone: the line of each key is numbered as its value is read,
    not by a comprehension before; the lines are as the line reader gives them."""
    front = "title: A\ndraft: no\nquality: 58\nonline version:\nlayout: post\n"
    first = plainyaml.load(front)
    again, calls = python_calls(plainyaml.load, front)
    assert calls == ["load", "_plain_characters", "_flat"]
    assert again == first == by_lines(front)
    assert again is not None and again[1] == {
        "title": 0, "draft": 1, "quality": 2, "online version": 3, "layout": 4,
    }  # fmt: skip


@given(st.text(alphabet="ab1:.- #'\"[]~yYnN0x", min_size=1, max_size=12))
@example("a title")
@example("yes")
@example("0x1F")
def test_a_plain_scalar_is_what_its_tag_makes_it(text: str) -> None:
    """A plain scalar read whole (a string at once, without ``common_value``) is what
    its tag and ``common_value`` make of it, or left to YAML as before."""
    try:
        found = plainyaml._scalar(text)
    except plainyaml._Unsure:
        found = plainyaml._UNSURE
    if text[0] in ("'", '"') or found is plainyaml._UNSURE:
        return
    tag = plainyaml.plain_tag(text)
    expected = plainyaml.common_value(tag, text)
    if expected is plainyaml.UNCOMMON:
        return  # a float, read by YAML's own constructor
    assert found == expected and type(found) is type(expected)


@settings(max_examples=2000)
@given(st.text(min_size=1, max_size=8).filter(lambda text: text[0] not in plainyaml.RESOLVERS))
@example("Get-Item")
@example("ms.date")
def test_a_plain_scalar_no_resolver_starts_is_a_string(text: str) -> None:
    """A plain scalar whose first character starts none of YAML's resolvers' forms is
    a string, as YAML's own resolver says (read without ``plain_tag``)."""
    try:
        found = plainyaml._scalar(text)
    except plainyaml._Unsure:
        return
    if text[0] in ("'", '"'):
        return
    resolved = yaml.SafeLoader("").resolve(yaml.ScalarNode, text, (True, False))
    assert resolved == plainyaml.STR and found == text


def test_a_plain_string_no_resolver_starts_is_read_without_plain_tag() -> None:
    """Most titles, names and links start with a character no resolver's form does:
    they are strings without ``plain_tag``'s look-up, which does not keep them."""
    found, calls = python_calls(plainyaml._scalar, "Get-Item reads a title once")
    assert found == "Get-Item reads a title once"
    assert calls == ["_scalar", "_not_plain"]
    assert "Get-Item reads a title once" not in plainyaml._PLAIN_TAGS


def test_a_plain_string_is_read_without_common_value() -> None:
    found, calls = python_calls(plainyaml._scalar, "A title that is read once")
    assert found == "A title that is read once"
    assert "common_value" not in calls


def _read_here(code: int) -> bool:
    """Whether the line reader reads a character itself: YAML's printable characters
    (YAML 1.1, 5.1) but those it reads as line breaks (CR, NEL, LS, PS) and the tab,
    and the line feed, which ends each line."""
    return (
        code == 0x0A
        or 0x20 <= code <= 0x7E
        or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def test_the_characters_left_to_yaml_are_all_but_those_read_here() -> None:
    """``_SPECIAL`` finds every character of Unicode the reader does not read itself,
    and no other: checked over every code point."""
    found = plainyaml._SPECIAL
    wrong = [
        code for code in range(0x110000) if (found.match(chr(code)) is None) != _read_here(code)
    ]
    assert wrong == []
