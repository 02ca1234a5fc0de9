"""The ``-m/--match`` language, translated into an FTS5 query that SQLite always accepts.

What a user types: words (``vaccine``), "phrases", ``word*`` for a prefix,
``OR``, ``AND`` (or nothing), ``NOT`` between two terms (``care NOT privacy``,
also ``care AND NOT privacy``), parentheses, and ``title:word`` (also
``excerpt:``, ``body:``) to look in one field. Keywords are upper case; lower
case ``or`` is a word. A word with punctuation (``AI-Ethics``, ``covid-19``,
``C++``) is searched as the phrase of its words, never read as FTS5 syntax.
A real mistake (an unclosed quote or parenthesis, an operator with nothing on
one side) is a MatchError pointing at the spot, like ``--where`` errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newscat.errors import UsageError
from newscat.fields import SEARCHED_FIELDS

#: The columns of the full-text index that ``column:term`` may name.
COLUMNS = SEARCHED_FIELDS
KEYWORDS = ("AND", "OR", "NOT")
_WORD_CHAR = re.compile(r"\w")


class MatchError(UsageError):
    """A mistake in a ``-m/--match`` query, pointing at the offending text."""

    def __init__(self, source: str, reason: str, start: int, end: int) -> None:
        self.source, self.reason, self.start, self.end = source, reason, start, end
        shown = source.replace("\t", " ").replace("\n", " ").replace("\r", " ")
        width = max(1, end - start)
        super().__init__(
            "\n".join(
                [
                    f"invalid --match query: {reason} (column {start + 1})",
                    f"  {shown}",
                    "  " + " " * start + "^" * width,
                    'Words, "phrases", prefix*, OR, NOT between two terms, (groups), title:word.',
                ]
            )
        )


@dataclass(frozen=True)
class _Token:
    """A token of a ``-m`` search: a term, an operator or a parenthesis."""

    kind: str  # "term", "op", "lparen", "rparen", "end"
    text: str
    start: int
    end: int
    fts: str = ""  # a term as FTS5 syntax


def to_fts(source: str) -> str:
    """The FTS5 query for what the user typed; MatchError for a real mistake."""
    if not source.strip():
        raise UsageError("invalid --match query: it is empty")
    tokens = _tokens(source)
    parser = _Parser(source, tokens)
    query = parser.expression()
    token = parser.peek()
    if token.kind == "rparen":
        raise MatchError(source, "this ')' closes nothing", token.start, token.end)
    return query


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token("lparen" if char == "(" else "rparen", char, i, i + 1))
            i += 1
        elif char == '"':
            close = source.find('"', i + 1)
            if close < 0:
                raise MatchError(source, "this quote is never closed", i, n)
            end = close + 1
            star = end < n and source[end] == "*"
            end += star
            tokens.append(_term(source, source[i + 1 : close], i, end, star))
            i = end
        else:
            j = i
            while j < n and not source[j].isspace() and source[j] not in '()"':
                j += 1
            text = source[i:j]
            column, colon, rest = text.partition(":")
            if text in KEYWORDS:
                tokens.append(_Token("op", text, i, j))
            elif colon and column.lower() in COLUMNS and (rest or source[j : j + 1] == '"'):
                if rest:
                    inner = _term(source, rest.rstrip("*"), i, j, rest.endswith("*"))
                    tokens.append(_Token("term", text, i, j, f"{column.lower()} : {inner.fts}"))
                else:  # title:"a phrase"
                    close = source.find('"', j + 1)
                    if close < 0:
                        raise MatchError(source, "this quote is never closed", j, n)
                    end = close + 1
                    star = end < n and source[end] == "*"
                    end += star
                    inner = _term(source, source[j + 1 : close], i, end, star)
                    tokens.append(_Token("term", source[i:end], i, end,
                                         f"{column.lower()} : {inner.fts}"))  # fmt: skip
                    j = end
            else:
                tokens.append(_term(source, text.rstrip("*"), i, j, text.endswith("*")))
            i = j
    tokens.append(_Token("end", "", n, n))
    return tokens


def _term(source: str, text: str, start: int, end: int, prefix: bool) -> _Token:
    """A word or phrase as an FTS5 string: FTS5 splits it into words itself."""
    if not _WORD_CHAR.search(text):
        raise MatchError(source, "nothing to search for here (no letters or digits)", start, end)
    quoted = '"' + text.replace('"', '""') + '"'
    return _Token("term", source[start:end], start, end, quoted + ("*" if prefix else ""))


class _Parser:
    """or := and (OR and)* ; and := unary ((AND)? (NOT)? unary)* ; unary := ( or ) | term."""

    def __init__(self, source: str, tokens: list[_Token]) -> None:
        self.source, self.tokens, self.i = source, tokens, 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, reason: str, token: _Token) -> MatchError:
        end = token.end if token.end > token.start else token.start + 1
        return MatchError(self.source, reason, token.start, end)

    def expression(self) -> str:
        parts = [self.conjunction()]
        while self.peek().kind == "op" and self.peek().text == "OR":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self) -> str:
        left = self.unary()
        while True:
            token = self.peek()
            if token.kind in ("end", "rparen") or (token.kind == "op" and token.text == "OR"):
                return left
            negate = False
            if token.kind == "op" and token.text == "AND":
                self.take()
                token = self.peek()
            if token.kind == "op" and token.text == "NOT":
                self.take()
                negate = True
            right = self.unary()
            left = f"({left} {'NOT' if negate else 'AND'} {right})"

    def unary(self) -> str:
        token = self.take()
        if token.kind == "term":
            return token.fts
        if token.kind == "lparen":
            inner = self.expression()
            close = self.take()
            if close.kind != "rparen":
                raise self.fail("this '(' is never closed", token)
            return f"({inner})"
        if token.kind == "op":
            if token.text == "NOT":
                raise self.fail("NOT needs a term before it, as in 'care NOT privacy'", token)
            raise self.fail(f"{token.text} needs a term on each side", token)
        if token.kind == "rparen":
            raise self.fail("this ')' closes nothing", token)
        previous = self.tokens[self.i - 2] if self.i >= 2 else token
        raise self.fail(f"{previous.text} needs a term after it", previous)
