"""The simplest TOML front matter, read without tomllib (``parse._simple_toml``), gives
exactly what tomllib's reading gives, or steps aside for tomllib to read it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newscat import parse
from newscat.model import Article

KEYS = ["title", "path", "a-b", "x_1", "extra", "1", "true", "a.b", '"q"', "k k", "", "é"]
VALUES = [
    '"plain words"', '"é ü 😀 \u2028"', '""', '"a: b # c"', '"a\\"b"', '"a\\nb"', '"tab\there"',
    '"del\x7f"', '"ctl\x01"', "'literal'", "true", "false", "True", "1", "1.5", "nan",
    "2024-01-02", "2024-01-02T03:04:05Z", '["a", "b"]', "[]", '["a",]', "[,]",
    '[ "a" , "b" , ]', '["a", 1]', '[["a"]]', '["a" "b"]', '{a = "b"}', '"x" # c', '"x" "y"',
    '"""m"""', "[", '"unclosed', '["a",', '"2024-01-02"',
]  # fmt: skip
EQUALS = [" = ", " = ", "=", "  =  ", " =\t", "\t= "]
OTHER_LINES = [
    "", "   ", "\t", "# a comment", "[extra]", "[extra]", "[other]", "[ extra ]", "[extra.sub]",
    "[[extra.see_also]]", "[title]", "[]", '"x"', "key", "]",
]  # fmt: skip


#: Lines of an array's items, when it goes on over several lines.
ITEM_LINES = [
    '  "a",', '"b"', '  "c" , "d" ,', "", "   ", '  "é",', '"x" "y"', ", \"z\"", "  1,",
    '  "a", # c', "  'lit',", '  "tab\there",', '"open', '  ["n"],', "  [", '"x",]',
    '  "ab', 'cd",',
]  # fmt: skip
#: Of those, the lines the simple reader reads.
SIMPLE_ITEM_LINES = ['  "a",', '"b"', '  "c" , "d" ,', "", "   ", '  "é",']
#: Of those, the keys and values the simple reader reads (drawn most of the time).
SIMPLE_KEYS = ["title", "path", "a-b", "x_1", "extra", "1", "true", "A"]
SIMPLE_VALUES = [
    '"plain words"', '"é ü 😀 \u2028"', '""', '"a: b # c"', "true", "false", '["a", "b"]', "[]",
    '["a",]', '[ "a" , "b" , ]', '"2024-01-02"',
]  # fmt: skip


@st.composite
def fronts(draw: st.DrawFn) -> str:
    """Lines of the shapes TOML front matter has, most of them key = value, now and
    then repeated, a table's header or another line; many are not valid TOML."""
    lines = []
    odd = draw(st.integers(0, 3)) == 0  # (else most lines are of the simple shapes)
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 5)):
            plain = not odd or draw(st.booleans())
            indent = "" if plain else draw(st.sampled_from(["", " ", "  "]))
            trail = "" if plain else draw(st.sampled_from(["", " ", "\t"]))
            key = draw(st.sampled_from(SIMPLE_KEYS if plain else KEYS))
            value = draw(st.sampled_from(SIMPLE_VALUES if plain else VALUES))
            equals = " = " if plain else draw(st.sampled_from(EQUALS))
            lines.append(f"{indent}{key}{equals}{value}{trail}")
        elif draw(st.booleans()):  # an array over several lines, or what looks like one
            lines.append(draw(st.sampled_from(["aliases = [", "a=[ ", " t = [", 'x = [ "a",'])))
            lines.extend(draw(st.lists(st.sampled_from(ITEM_LINES), max_size=4)))
            if draw(st.integers(0, 5)):
                lines.append(draw(st.sampled_from(["]", "  ]", "] ", "],", "] # c"])))
        else:
            lines.append(draw(st.sampled_from(OTHER_LINES)))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "\n", ""]))


@st.composite
def array_fronts(draw: st.DrawFn) -> str:
    """A key, an array over several lines (its item lines mostly ones the simple reader
    reads, now and then another), and a key after it."""
    odd = draw(st.integers(0, 2)) == 0
    items = draw(st.lists(st.sampled_from(ITEM_LINES if odd else SIMPLE_ITEM_LINES), max_size=5))
    end = draw(st.sampled_from(["]", "  ]", "] "] + (["],", "] # c", ""] if odd else [])))
    return "\n".join(['t = "x"', "a = [", *items, end, 'u = "y"']) + "\n"


def _same(front: str) -> bool:
    """Where the simple reader answers, tomllib's reading is the same value, of the same
    types and in the same order; True when it answered."""
    simple = parse._simple_toml(front)
    slow = parse._toml_by_tomllib(front, "x.md")
    assert parse._load_toml(front, "x.md") == (simple if simple is not None else slow)
    if simple is None:
        return False
    assert isinstance(slow, dict), (front, slow)
    assert repr(simple) == repr(slow), front  # types and key order too
    return True


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fronts())
@example('title = "a"\ntitle = "b"\n')  # a key named twice: tomllib's error
@example('[extra]\na = "x"\n[extra]\nb = "y"\n')  # a table named twice
@example('extra = "x"\n[extra]\n')  # a table named as a key
@example('title = "a"\n[extra]\ntitle = "b"\n')  # the same key in two tables
@example('t = "a\\\\b"\n')  # an escape
@example('t = "a" # c\n')  # a comment
@example("n = 1\n")  # a number
@example("d = 2024-01-02\n")  # a date, kept as written by tomllib's way
@example('a = [\n  "x",\n]\n')  # an array over several lines
@example('t = "x"\n\n  \nu = []\n')  # blank lines
@example('a = [\n  "x",\n\n  "y", "z"\n]\nb = "c"\n')  # an array over several lines
@example('a = [\n  "x"\n  "y"\n]\n')  # its items without a comma between lines
@example('a = [\n  "x",\n')  # never closed
@example('a = [\n"x",\n]\na = [\n]\n')  # named twice
def test_the_simple_toml_reader_gives_what_tomllib_gives_or_steps_aside(front: str) -> None:
    _same(front)


@settings(max_examples=1500, deadline=None)
@given(array_fronts())
@example('t = "x"\na = [\n  "ab\ncd",\n]\n')  # a string over two lines: not TOML
def test_an_array_over_several_lines_is_read_as_tomllib_reads_it(front: str) -> None:
    _same(front)


def test_the_simple_toml_reader_reads_the_usual_shapes() -> None:
    """Not a reader that always steps aside: the shapes real TOML front matter has
    (a blog's posts: strings, arrays of them, a table of the site's own) are read."""
    front = (
        'path = "2025/09/04/crossing-the-streams"\ntitle = "Crossing the streams: A + B"\n'
        'authors = ["Lori Lorusso", "Ann"]\naliases = [\n  "a.html",\n  "b.html",\n]\n\n[extra]\n'
        'team = "The Rust Team"\nteam_url = "https://www.rust-lang.org/"\nrelease = true\n'
    )
    assert _same(front)
    assert parse._simple_toml(front) == {
        "path": "2025/09/04/crossing-the-streams",
        "title": "Crossing the streams: A + B",
        "authors": ["Lori Lorusso", "Ann"],
        "aliases": ["a.html", "b.html"],
        "extra": {
            "team": "The Rust Team",
            "team_url": "https://www.rust-lang.org/",
            "release": True,
        },
    }


@pytest.mark.parametrize(
    "front",
    [
        't = "a" # c\n',
        "n = 1\n",
        "d = 2024-01-02\n",
        'a = [\n"x"]\n',
        '"q" = "x"\n',
        "\tt = 'x'\n",
        'a = [\n  "x", # c\n]\n',
        'a = [ "x",\n  "y",\n]\n',
    ],
)
def test_what_the_simple_toml_reader_does_not_read_is_left_to_tomllib(front: str) -> None:
    assert parse._simple_toml(front) is None
    assert _same(front) is False


def test_an_article_of_simple_toml_is_the_one_tomllibs_reading_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = (
        b'+++\ntitle = "T"\nauthors = ["A", "B"]\ntopics = ["x"]\n\n[extra]\nteam = "Y"\n'
        b"+++\n\nBody.\n"
    )
    fast = parse.parse_article(data, "a.md", "a")
    monkeypatch.setattr(parse, "_simple_toml", lambda front: None)
    slow = parse.parse_article(data, "a.md", "a")
    assert isinstance(fast, Article) and fast.provider == "A, B" and fast.topics == ("x",)
    assert list(vars(fast).items()) == list(vars(slow).items())
