"""Text from files made inert for people to read: no character a terminal acts on.

Every value shown on a terminal, in an error message or on a one-per-line list
comes from a file the user did not write, so these escapes sit at the bottom of
the package, below everything that prints.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(value: str, keep_newlines: bool = False) -> str:
    """Text with every control character shown as a visible escape (``\\x1b``)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    text = _CONTROL.sub(escape, value)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


#: What a one-per-line list (``-f ids``, ``-f paths``) cannot hold as it is: line breaks,
#: tabs and every character a terminal could act on (ESC, C1 controls, bidi overrides).
_LINE_SPECIAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _line_escape(match: re.Match[str]) -> str:
    char = match.group()
    escape = _LINE_ESCAPES.get(char)
    if escape is None:
        escape = f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return escape


def line_text(text: str) -> str:
    """An id or path as one inert line: ``\\n \\r \\t`` and ``\\xNN``/``\\uNNNN`` for the
    characters above; everything else, backslashes included, as it is.

    A REF may be given in this form: it is what ``-f ids`` prints.
    """
    return _LINE_SPECIAL.sub(_line_escape, text)


#: What a URL printed for people and scripts alike cannot hold as it is: whitespace and
#: every character a terminal could act on.
_URL_SPECIAL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def url_text(url: str) -> str:
    """A URL as one inert line: whitespace and control characters percent-encoded (their
    UTF-8 bytes), as a browser sends them; the same address, nothing a terminal acts on."""
    return _URL_SPECIAL.sub(
        lambda match: "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8")), url
    )


def human_size(size: int) -> str:
    """``512 B``, ``1.5 kB``, ``12.3 MB``, ``4.1 GB`` (powers of 1000, as ``du --si``)."""
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
