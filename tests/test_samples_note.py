"""The samples note's look at the current folder: does it look like a catalogue?

Its answer for a file must be the parser's (the note once missed ``+++``), and it
runs on every command at a terminal, so it opens few files. The note itself, on a
real terminal, is tested in test_terminal.py.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from typing import Any

import pytest

from newscat import app, split
from newscat.model import Problem
from newscat.parse import parse_article
from newscat.settings import DEFAULT, Setting
from tests.conftest import SEEDS

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


def test_a_first_line_of_blanks_is_read_no_further_than_its_bound(tmp_path: Path) -> None:
    """An opening line of ``---`` and more blanks than ``OPENING_MAX`` bytes is taken for
    none (the parser would read it as one): the look reads no further, however many
    blanks follow."""
    endless = io.BytesIO(b"---" + b" " * 10_000_000 + b"\ntitle: A\n---\n")
    assert not split.file_opens(endless)
    assert endless.tell() <= split.OPENING_MAX + 1
    for blanks, opened in ((split.OPENING_MAX - 4, True), (split.OPENING_MAX - 3, False)):
        data = b"---" + b" " * blanks + b"\ntitle: A\n---\n"
        assert split.file_opens(io.BytesIO(data)) is opened
        (tmp_path / "a.md").write_bytes(data)
        with os.scandir(tmp_path) as entries:
            (entry,) = entries
        assert app._catalogue_file(entry) is opened
        assert _parser_opens(data)


def test_the_starts_cover_both_answers() -> None:
    answers = [_parser_opens(data) for data in STARTS.values()]
    assert answers.count(True) == 10 and answers.count(False) == 16


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the app module opens, in order."""
    names: list[str] = []

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        names.append(os.path.basename(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(app, "open", counting, raising=False)
    return names


def _samples_unread_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether the samples shown by default in ``folder`` would get the note."""
    monkeypatch.chdir(folder)
    catalog = Setting("catalog", str(SEEDS), DEFAULT)
    return app.App([str(SEEDS)], None, settings={"catalog": catalog})._here_unread()


def test_a_folder_whose_first_article_files_have_no_front_matter_is_no_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    """The note opens three article-named files at most, the first by name; an article
    after many notes without front matter does not make the folder a catalogue."""
    for i in range(40):
        (tmp_path / f"note{i:02d}.md").write_text(f"# Note {i}\n")
    (tmp_path / "post.md").write_text("---\ntitle: Mine\n---\nBody\n")
    (tmp_path / "photo.jpg").write_bytes(b"---\n")  # not article-named: never opened
    assert not _samples_unread_in(tmp_path, monkeypatch)
    assert opened == ["note00.md", "note01.md", "note02.md"]
    opened.clear()
    (tmp_path / "note01.md").write_text("+++\ntitle = 'Mine'\n+++\n")
    assert _samples_unread_in(tmp_path, monkeypatch)
    assert opened == ["note00.md", "note01.md"]


def test_a_catalogue_file_among_a_folders_names_is_found_without_opening_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    for i in range(40):
        (tmp_path / f"note{i:02d}.md").write_text(f"# Note {i}\n")
    (tmp_path / "newscat.toml").write_text("")
    assert _samples_unread_in(tmp_path, monkeypatch)
    assert opened == []
