"""Where a file's front matter ends and its body begins, and reading a body back.

The index keeps no bodies (the file already holds each one): ``show``, the
exports and ``-F body`` read the body from the file when they need it, by the
same rules the parser used, so the text is the same either way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import IO, NamedTuple

OPEN = re.compile(r"---[ \t]*(?:\n|$)")
TOML_OPEN = re.compile(r"\+\+\+[ \t]*(?:\n|$)")
#: The closing line, ``---`` or ``...`` (TOML: ``+++``) alone but for trailing blanks,
#: found with the line feed before it: the regex engine then skips from line feed to
#: line feed (a multiline ``^`` is tried at every character, 5x slower on 2 KB).
CLOSE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)")
TOML_CLOSE = re.compile(r"\n\+\+\+[ \t]*(?=\n|\Z)")
UTF8_BOM = b"\xef\xbb\xbf"
#: The most bytes of a file's first line ``file_opens`` reads: an opening line of more
#: blanks than that is taken for none.
OPENING_MAX = 4096


class Parts(NamedTuple):
    """A file's text cut in two: the front matter (between its lines) and the body."""

    toml: bool
    front: str
    body: str


#: How ``cut`` makes its ``Parts``: ``tuple.__new__`` without the Python call of
#: ``Parts.__new__`` (the parser cuts every file; a frozen dataclass took four calls).
_new_parts: Callable[[type[Parts], tuple[bool, str, str]], Parts] = tuple.__new__


def decode(data: bytes) -> str:
    """UTF-8 text, without a byte-order mark, with CRLF line ends read as LF.
    Raises UnicodeDecodeError (its offsets count from after the mark)."""
    # (a mark looked for after its first byte: startswith parses its arguments, and
    # the parser decodes every file; a one-byte slice is a byte Python keeps)
    marked = data[:1] == b"\xef" and data.startswith(UTF8_BOM)
    text = data[3 if marked else 0 :].decode("utf-8")
    return text.replace("\r\n", "\n") if "\r" in text else text


def opens(text: str) -> re.Match[str] | None:
    """The opening line (``---`` or TOML's ``+++``), when the text starts with one.
    YAML's is looked for first: nearly every file has it (the two never both match)."""
    return OPEN.match(text) or TOML_OPEN.match(text)


def file_opens(file: IO[bytes], chunk: int = 256) -> bool:
    """Whether the file opens with front matter as the parser reads it (``decode``, then
    ``opens``), from its first line alone, read ``chunk`` bytes at a time: an opening
    line is only ever ``---`` or ``+++`` and blanks, so a longer line is read on only
    while it is blanks, no more than its start is kept, and a first line that has not
    ended within ``OPENING_MAX`` bytes is taken for no opening (however many blanks
    follow, they are not read)."""
    head, left = b"", OPENING_MAX
    while left > 0:
        want = min(chunk, left)
        part = file.readline(want)
        left -= len(part)
        if part.endswith(b"\r"):
            part += file.read(1)  # a line feed after it: CRLF reads as LF
        try:
            text = decode(head + part)
        except UnicodeDecodeError:
            return False  # only ASCII opens, so this line does not
        if opens(text) is None:
            return False
        if part.endswith(b"\n") or len(part) < want:
            return True  # the line ended (or the file did) after blanks
        head = text[:3].encode()
    return False


def cut(text: str, opening: re.Match[str], body: bool = True) -> Parts | None:
    """The front matter and the body after ``opening``; None when it is never closed.
    Without ``body``, the body is left empty (not sliced: a worker that sends none back)."""
    toml = opening.re is TOML_OPEN
    start = opening.end()
    if text[start - 1 : start] != "\n":
        return None  # the opening line is the last one
    closing = (TOML_CLOSE if toml else CLOSE).search(text, start - 1)
    if closing is None:
        return None
    if not body:
        return _new_parts(Parts, (toml, text[start : closing.start() + 1], ""))
    # The body is text[begin:].strip("\n"), sliced once: stripping the slice would copy
    # the body again (nearly every file's starts after a blank line and ends with one).
    begin, end = closing.end(), len(text)
    while text.startswith("\n", begin):
        begin += 1
    while end > begin and text[end - 1] == "\n":
        end -= 1
    return _new_parts(Parts, (toml, text[start : closing.start() + 1], text[begin:end]))


def body_of(data: bytes) -> str:
    """The body of a file's bytes as the parser reads it ("" when there is none)."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return ""
    opening = opens(text)
    parts = cut(text, opening) if opening is not None else None
    return parts.body if parts is not None else ""


def read_body(path: str) -> str:
    """The body of the file at ``path`` (the name to open, as ``file_path`` gives it);
    "" when it cannot be read, or has none."""
    try:
        # O_NONBLOCK: a file swapped for a FIFO since it was indexed must not hang the read.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return ""
    try:
        with os.fdopen(fd, "rb") as handle:
            return body_of(handle.read())
    except OSError:
        return ""
