"""The samples note's look at the current folder: does it look like a catalogue?

Its answer for a file must be the parser's (the note once missed ``+++``), and it
runs on every command at a terminal, so it opens few files. The note itself, on a
real terminal, is tested in test_terminal.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newscat import app
from newscat.model import Problem
from newscat.parse import parse_article

#: The parser's codes for a file whose first line opens no front matter.
NOT_OPENED = {"no-front-matter", "not-utf8"}
LONG = " " * 252  # with ``---`` 255 bytes: the next byte ends a 256-byte read
STARTS = {
    "yaml": b"---\ntitle: A\n---\n",
    "toml": b'+++\ntitle = "A"\n+++\n',
    "bom yaml": b"\xef\xbb\xbf---\ntitle: A\n---\n",
    "bom toml": b'\xef\xbb\xbf+++\ntitle = "A"\n+++\n',
    "trailing blanks": b"---  \t\ntitle: A\n---\n",
    "crlf": b"--- \r\ntitle: A\r\n---\r\n",
    "alone": b"---",
    "unclosed": b"---\ntitle: A\n",
    "four dashes": b"----\ntitle: A\n----\n",
    "dashes then text": b"---x\ntitle: A\n---\n",
    "plus then text": b"+++ toml\n",
    "mixed": b"-+-\n",
    "two dashes": b"--\n",
    "empty": b"",
    "blank line first": b"\n---\ntitle: A\n---\n",
    "space first": b" ---\ntitle: A\n---\n",
    "lone cr": b"---\rtitle: A\n---\n",
    "bom twice": b"\xef\xbb\xbf\xef\xbb\xbf---\n",
    "not utf-8": b"---\xff\n",
    "heading": b"# A title\n\nText.\n",
    "long opening": b"---" + b" " * 600 + b"\ntitle: A\n---\n",
    "long then text": b"---" + b" " * 600 + b"x\n",
    "cr at a read's end": b"---" + LONG.encode() + b"\r\ntitle: A\n---\n",
    "cr at a read's end, no lf": b"---" + LONG.encode() + b"\rx\n",
    "cr at the end": b"---" + LONG.encode() + b"\r",
    "text at a read's end": b"---" + LONG.encode() + b"\xc3\xa9\n",
}


def _parser_opens(data: bytes) -> bool:
    found = parse_article(data, "a.md", "a")
    return not (isinstance(found, Problem) and found.code in NOT_OPENED)


@pytest.mark.parametrize("data", STARTS.values(), ids=STARTS.keys())
def test_a_file_opens_with_front_matter_for_the_note_as_for_the_parser(
    tmp_path: Path, data: bytes
) -> None:
    (tmp_path / "a.md").write_bytes(data)
    with os.scandir(tmp_path) as entries:
        (entry,) = entries
    assert app._catalogue_file(entry) == _parser_opens(data)


def test_the_starts_cover_both_answers() -> None:
    answers = [_parser_opens(data) for data in STARTS.values()]
    assert answers.count(True) == 10 and answers.count(False) == 16
