"""The ``--where`` language's syntax: text -> tokens -> syntax tree.

The parser is a set of small pure functions ``parse_x(source, tokens, pos) -> (pos,
node)``. Every mistake is a ``WhereError`` that points at the offending text; the
checker and the compiler (``newscat.where``) use the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from newscat.errors import UsageError
from newscat.fields import KEYWORDS

# --- errors -----------------------------------------------------------------------------


class WhereError(UsageError):
    """A mistake in a ``--where`` expression, pointing at the offending text."""

    def __init__(
        self, source: str, reason: str, start: int, end: int, hint: str | None = None
    ) -> None:
        self.source, self.reason, self.start, self.end, self.hint = source, reason, start, end, hint
        super().__init__(where_message(source, reason, start, end, hint))


def where_message(source: str, reason: str, start: int, end: int, hint: str | None = None) -> str:
    """The error text: reason and column, the expression, carets under the token, a hint."""
    if not source.strip():
        return f"invalid --where expression: {reason}"
    shown = source.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    width = max(1, end - start)
    lines = [
        f"invalid --where expression: {reason} (column {start + 1})",
        f"  {shown}",
        "  " + " " * start + "^" * width,
    ]
    if hint:
        lines.append(hint)
    return "\n".join(lines)


# --- tokens -----------------------------------------------------------------------------

TokenKind = Literal["word", "string", "op", "lparen", "rparen", "comma", "end"]


@dataclass(frozen=True)
class Token:
    """A token of a ``-w`` expression, where it starts and ends."""

    kind: TokenKind
    text: str  # as written
    value: str  # strings unquoted; words as written
    start: int
    end: int
    segments: tuple[str, ...] = ()  # a word as a dotted path (backtick quoting honoured)
    quoted_name: bool = False  # a word with a `backticked` part is never a keyword


OPERATORS = ("!=~", "=~", "!~", "!=", "<=", ">=", "==", "=", "<", ">", "~")
_SPECIAL = set("()\"',`") | set("=!<>~")


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; an unterminated string or odd character is an error."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(source) and source[pos].isspace():
            pos += 1
        if pos >= len(source):
            tokens.append(Token("end", "", "", pos, pos))
            return tokens
        pos, token = _next_token(source, pos)
        tokens.append(token)


def _next_token(source: str, pos: int) -> tuple[int, Token]:
    char = source[pos]
    simple: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}
    if char in simple:
        return pos + 1, Token(simple[char], char, char, pos, pos + 1)
    if char in "\"'":
        return _string(source, pos)
    for op in OPERATORS:
        if source.startswith(op, pos):
            return pos + len(op), Token("op", op, "=" if op == "==" else op, pos, pos + len(op))
    if char == "!":
        raise WhereError(source, "unexpected '!'", pos, pos + 1, "Use != or !~ or !=~.")
    return _word(source, pos)


def _string(source: str, pos: int) -> tuple[int, Token]:
    """A quoted string; a quote inside is doubled (``'it''s'``). Backslashes are literal,
    so regular expressions need no extra escaping."""
    quote = source[pos]
    out: list[str] = []
    i = pos + 1
    while i < len(source):
        char = source[i]
        if char == quote and source.startswith(quote * 2, i):
            out.append(quote)
            i += 2
        elif char == quote:
            return i + 1, Token("string", source[pos : i + 1], "".join(out), pos, i + 1)
        else:
            out.append(char)
            i += 1
    raise WhereError(source, "unterminated string", pos, len(source), f"Close it with {quote}.")


def _word(source: str, pos: int) -> tuple[int, Token]:
    """A bare word or field path: segments separated by '.', each bare or `backticked`."""
    start = pos
    segments: list[str] = []
    quoted = False
    while True:
        if pos < len(source) and source[pos] == "`":
            quoted = True
            end = source.find("`", pos + 1)
            while end != -1 and source.startswith("``", end):
                end = source.find("`", end + 2)
            if end == -1:
                raise WhereError(source, "unterminated `name`", pos, len(source))
            segments.append(source[pos + 1 : end].replace("``", "`"))
            pos = end + 1
        else:
            begin = pos
            while (
                pos < len(source)
                and not source[pos].isspace()
                and source[pos] not in _SPECIAL
                and source[pos] != "."
            ):
                pos += 1
            segments.append(source[begin:pos])
        if pos < len(source) and source[pos] == ".":
            pos += 1
            continue
        break
    text = source[start:pos]
    if not text:
        raise WhereError(source, f"unexpected {source[pos]!r}", pos, pos + 1)
    return pos, Token("word", text, text, start, pos, tuple(segments), quoted)


# --- the syntax tree --------------------------------------------------------------------


@dataclass(frozen=True)
class Pred:
    """``field op values``; ``op`` is an operator, or between/in/not in/empty/not empty/truthy."""

    field: Token
    op: str
    op_token: Token | None
    values: tuple[Token, ...]


@dataclass(frozen=True)
class Not:
    """``NOT operand``."""

    operand: Node


@dataclass(frozen=True)
class And:
    """``a AND b AND ...``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """``a OR b OR ...``."""

    items: tuple[Node, ...]


Node = Pred | Not | And | Or


def _is_keyword(token: Token, *words: str) -> bool:
    return token.kind == "word" and not token.quoted_name and token.value.lower() in words


def _describe(token: Token) -> str:
    return "end of expression" if token.kind == "end" else repr(token.text)


def parse(source: str) -> Node:
    """The syntax tree of an expression."""
    tokens = tokenize(source)
    if tokens[0].kind == "end":
        raise WhereError(source, "empty expression", 0, 0)
    pos, node = parse_or(source, tokens, 0)
    token = tokens[pos]
    if token.kind == "rparen":
        raise WhereError(source, "unmatched ')'", token.start, token.end)
    if token.kind != "end":
        raise WhereError(
            source, f"unexpected {_describe(token)}", token.start, token.end, "Use and / or."
        )
    return node


def parse_or(source: str, tokens: list[Token], pos: int) -> tuple[int, Node]:
    return _parse_chain(source, tokens, pos, "or", parse_and, Or)


def parse_and(source: str, tokens: list[Token], pos: int) -> tuple[int, Node]:
    return _parse_chain(source, tokens, pos, "and", parse_unary, And)


def _parse_chain(
    source: str,
    tokens: list[Token],
    pos: int,
    keyword: str,
    parse_item: Callable[[str, list[Token], int], tuple[int, Node]],
    join: Callable[[tuple[Node, ...]], Node],
) -> tuple[int, Node]:
    """Items parsed by ``parse_item`` and separated by ``keyword``; one item alone
    stands for itself, more are joined by ``join``."""
    pos, first = parse_item(source, tokens, pos)
    items = [first]
    while _is_keyword(tokens[pos], keyword):
        pos, item = parse_item(source, tokens, pos + 1)
        items.append(item)
    return pos, items[0] if len(items) == 1 else join(tuple(items))


def parse_unary(source: str, tokens: list[Token], pos: int) -> tuple[int, Node]:
    token = tokens[pos]
    if _is_keyword(token, "not"):
        pos, operand = parse_unary(source, tokens, pos + 1)
        return pos, Not(operand)
    if token.kind == "lparen":
        pos, node = parse_or(source, tokens, pos + 1)
        if tokens[pos].kind != "rparen":
            closing = tokens[pos]
            if closing.kind == "end":
                raise WhereError(source, "unclosed '('", token.start, token.end)
            raise WhereError(
                source, f"expected ')', got {_describe(closing)}", closing.start, closing.end
            )
        return pos + 1, node
    return parse_pred(source, tokens, pos)


def parse_pred(source: str, tokens: list[Token], pos: int) -> tuple[int, Node]:
    field = tokens[pos]
    if field.kind != "word" or (_is_keyword(field, *KEYWORDS) and not field.quoted_name):
        if field.kind == "rparen":
            raise WhereError(source, "unmatched ')'", field.start, field.end)
        if field.kind == "end":
            last = tokens[pos - 1] if pos else field
            raise WhereError(source, f"missing operand after {last.text!r}", last.start, last.end)
        raise WhereError(
            source, f"expected a field, got {_describe(field)}", field.start, field.end
        )
    pos += 1
    token = tokens[pos]
    if token.kind == "op":
        pos, value = parse_value(source, tokens, pos + 1, token)
        return pos, Pred(field, token.value, token, (value,))
    if _is_keyword(token, "between"):
        pos, low = parse_value(source, tokens, pos + 1, token)
        if not _is_keyword(tokens[pos], "and"):
            bad = tokens[pos]
            raise WhereError(
                source, f"expected 'and' after between's first value, got {_describe(bad)}",
                bad.start, bad.end,
            )  # fmt: skip
        pos, high = parse_value(source, tokens, pos + 1, tokens[pos])
        return pos, Pred(field, "between", token, (low, high))
    if _is_keyword(token, "not") and _is_keyword(tokens[pos + 1], "in"):
        pos, values = parse_list(source, tokens, pos + 2, tokens[pos + 1])
        return pos, Pred(field, "not in", token, values)
    if _is_keyword(token, "in"):
        pos, values = parse_list(source, tokens, pos + 1, token)
        return pos, Pred(field, "in", token, values)
    if _is_keyword(token, "is"):
        negated = _is_keyword(tokens[pos + 1], "not")
        after = tokens[pos + 2] if negated else tokens[pos + 1]
        if not _is_keyword(after, "empty"):
            raise WhereError(
                source, f"expected 'empty' after 'is', got {_describe(after)}", after.start,
                after.end, "Write: field is empty, or field is not empty.",
            )  # fmt: skip
        end = pos + (3 if negated else 2)
        return end, Pred(field, "not empty" if negated else "empty", token, ())
    if token.kind in ("end", "rparen") or _is_keyword(token, "and", "or"):
        return pos, Pred(field, "truthy", None, ())
    raise WhereError(
        source, f"expected an operator after {field.text!r}, got {_describe(token)}",
        token.start, token.end, "Operators: = != < <= > >= ~ !~ =~ !=~ between in is",
    )  # fmt: skip


def parse_value(source: str, tokens: list[Token], pos: int, after: Token) -> tuple[int, Token]:
    token = tokens[pos]
    if token.kind == "string" or (token.kind == "word" and not _is_keyword(token, *KEYWORDS)):
        return pos + 1, token
    if token.kind == "word" and token.quoted_name:
        return pos + 1, token
    if token.kind in ("end", "rparen", "comma") or _is_keyword(token, "and", "or"):
        raise WhereError(source, f"missing value after {after.text!r}", after.start, after.end)
    raise WhereError(source, f"expected a value, got {_describe(token)}", token.start, token.end)


def parse_list(
    source: str, tokens: list[Token], pos: int, after: Token
) -> tuple[int, tuple[Token, ...]]:
    """``( value, value, ... )``."""
    if tokens[pos].kind != "lparen":
        bad = tokens[pos]
        raise WhereError(
            source, f"expected '(' after {after.text!r}, got {_describe(bad)}", bad.start, bad.end
        )
    opening = tokens[pos]
    values: list[Token] = []
    pos += 1
    while True:
        pos, value = parse_value(source, tokens, pos, tokens[pos - 1])
        values.append(value)
        token = tokens[pos]
        if token.kind == "comma":
            pos += 1
        elif token.kind == "rparen":
            return pos + 1, tuple(values)
        elif token.kind == "end":
            raise WhereError(source, "unclosed '('", opening.start, opening.end)
        else:
            raise WhereError(
                source, f"expected ',' or ')', got {_describe(token)}", token.start, token.end
            )
