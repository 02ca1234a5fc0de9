"""The ``--where`` language: text -> tokens -> AST (``newscat.where_syntax``) ->
checked AST -> SQL.

The checker resolves every field against the registry (and the keys the
catalogue holds) and converts every literal to its field's type, so that all
mistakes are reported, pointing at the token, before any SQL exists. The
compiler then writes SQL in which every value is a bound parameter; the only
text it writes itself is column names and operators it chose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newscat.dates import parse_duration, parse_when, to_iso
from newscat.errors import UsageError
from newscat.fields import (
    FRONT_MATTER_SQL,
    IMAGES_KEY,
    CataloguePaths,
    Column,
    Field,
    FieldType,
    Source,
    Topics,
    lookup,
    spellings,
)
from newscat.fields import resolve as resolve_field
from newscat.where_syntax import And, Node, Not, Or, Pred, Token, WhereError, parse

# --- fields ---------------------------------------------------------------------------

#: The front-matter paths a catalogue holds, with their types, read when a name asks.
KnownPaths = Callable[[], CataloguePaths]


def no_catalogue() -> CataloguePaths:
    return {}


def resolve(
    source: str, token: Token, known: KnownPaths, cache: dict[str, CataloguePaths]
) -> Field:
    """The field a name refers to: the registry, else a front-matter path some article has."""
    segments = token.segments or (token.value,)
    ref = lookup(segments, token.quoted_name)
    if ref.field is not None:
        return ref.field
    if "paths" not in cache:
        cache["paths"] = known()
    paths = cache["paths"]
    found = resolve_field(segments, token.quoted_name, paths)
    if found is not None:
        return found
    dotted = ".".join(segments)
    import difflib  # start-up time: only a mistyped field needs a suggestion

    close = difflib.get_close_matches(dotted, spellings(paths), n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]!r}?" if close else "Run `newscat fields` to see every field."
    raise WhereError(source, f"unknown field {dotted!r}", token.start, token.end, hint)


# --- checking ---------------------------------------------------------------------------

_NEGATIONS = {"!=": "=", "!~": "~", "!=~": "=~", "not in": "in", "not empty": "empty"}
_ORDERING = ("<", "<=", ">", ">=", "between")
_TEXT_ONLY = ("~", "!~", "=~", "!=~")


@dataclass(frozen=True)
class Instant:
    """A date literal: a moment, and whether it names a whole day."""

    moment: datetime
    whole_day: bool


@dataclass(frozen=True)
class Check:
    """A predicate whose field is resolved and whose values have the field's type."""

    field: Field
    op: str  # positive form; ``negated`` says whether to invert it
    negated: bool
    values: tuple[Any, ...]
    value_type: FieldType  # the type the values were read as


@dataclass(frozen=True)
class CNot:
    """``NOT operand``, checked."""

    operand: Checked


@dataclass(frozen=True)
class CAnd:
    """``a AND b AND ...``, checked."""

    items: tuple[Checked, ...]


@dataclass(frozen=True)
class COr:
    """``a OR b OR ...``, checked."""

    items: tuple[Checked, ...]


Checked = Check | CNot | CAnd | COr


def check(source: str, node: Node, now: datetime, known: KnownPaths = no_catalogue) -> Checked:
    """Resolve fields and type every literal; every mistake raises WhereError."""
    cache: dict[str, CataloguePaths] = {}

    def walk(item: Node) -> Checked:
        if isinstance(item, Not):
            return CNot(walk(item.operand))
        if isinstance(item, And):
            return CAnd(tuple(walk(part) for part in item.items))
        if isinstance(item, Or):
            return COr(tuple(walk(part) for part in item.items))
        return check_pred(source, item, resolve(source, item.field, known, cache), now)

    return walk(node)


def check_pred(source: str, pred: Pred, spec: Field, now: datetime) -> Check:
    op = pred.op
    negated = op in _NEGATIONS
    positive = _NEGATIONS.get(op, op)
    kind = spec.type
    where = pred.op_token or pred.field
    if spec.source is None:
        raise WhereError(
            source, f"{spec.name!r} is computed for output only; it cannot be filtered",
            pred.field.start, pred.field.end, "Name it with -F; filter with -m or other fields.",
        )  # fmt: skip
    if kind in ("mapping", "list of mappings") and positive not in ("empty", "truthy"):
        example = f"{spec.name}.url" if spec.name == IMAGES_KEY else f"{spec.name}.<key>"
        raise WhereError(
            source, f"{spec.name!r} is a {kind}; compare one of its keys",
            pred.field.start, pred.field.end, f"For example: {example}",
        )  # fmt: skip
    if kind == "bool" and positive not in ("=", "in", "empty", "truthy"):
        raise WhereError(
            source, f"{op!r} does not apply to {spec.name!r} (true or false)",
            where.start, where.end, f"Write: {spec.name} = true",
        )  # fmt: skip
    if kind == "duration" and positive not in (*_ORDERING, "empty", "truthy"):
        raise WhereError(
            source, f"{op!r} does not apply to {spec.name!r} (a duration)", where.start,
            where.end, f"Write: {spec.name} < 2w",
        )  # fmt: skip
    if kind in ("number", "bool", "duration") and positive in ("~", "=~"):
        raise WhereError(
            source, f"{op!r} works on text; {spec.name!r} is a {kind}", where.start, where.end
        )
    value_type: FieldType = "text" if kind == "list of text" else kind
    if positive in ("~", "=~"):
        value_type = "text"  # dates too: matched against their ISO text
    if kind == "any":
        numeric = all(_number(token) is not None for token in pred.values)
        value_type = "number" if pred.values and numeric else "text"
    values = tuple(_literal(source, token, value_type, spec, now) for token in pred.values)
    if positive == "=~":
        values = (_regex(source, pred.values[0]),)
    return Check(spec, positive, negated, values, value_type)


def _number(token: Token) -> float | None:
    if token.quoted_name:
        return None
    try:
        number = float(token.value.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _literal(source: str, token: Token, kind: FieldType, spec: Field, now: datetime) -> Any:
    text = token.value
    if kind == "number":
        number = _number(token)
        if number is None:
            raise WhereError(
                source, f"expected a number for {spec.name!r}, got {_shown(token)}",
                token.start, token.end,
            )  # fmt: skip
        return number
    if kind == "bool":
        word = text.strip().lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0"):
            return False
        raise WhereError(
            source, f"expected true or false for {spec.name!r}, got {_shown(token)}",
            token.start, token.end,
        )  # fmt: skip
    if kind == "duration":
        span = parse_duration(text)
        if span is None:
            raise WhereError(
                source, f"expected a duration for {spec.name!r}, got {_shown(token)}",
                token.start, token.end, "Durations: 12h 7d 2w 3mo 1y",
            )  # fmt: skip
        return span
    if kind == "date":
        try:
            moment, whole_day = parse_when(text, now)
        except UsageError:
            raise WhereError(
                source, f"expected a date for {spec.name!r}, got {_shown(token)}",
                token.start, token.end,
                "Dates: 2022-05-19, 2022-05-19T09:13Z, 'May 2022', today, yesterday, 7d",
            ) from None  # fmt: skip
        return Instant(moment, whole_day)
    return text


def _shown(token: Token) -> str:
    return token.text if token.kind == "string" else repr(token.text)


def _smart_case(pattern: str) -> bool:
    """Case-sensitive exactly when the pattern has an uppercase letter."""
    return any(char.isupper() for char in pattern)


def _regex(source: str, token: Token) -> re.Pattern[str]:
    flags = 0 if _smart_case(token.value) else re.IGNORECASE
    try:
        return re.compile(token.value, flags)
    except re.error as exc:
        raise WhereError(source, f"bad regular expression: {exc}", token.start, token.end) from None


# --- SQL --------------------------------------------------------------------------------


@dataclass
class SQL:
    """SQL text and its parameters, built up together so they never drift apart."""

    text: str
    params: list[Any]


def to_sql(node: Checked, now: datetime) -> SQL:
    """A checked expression as one SQL condition over ``articles AS a`` (0 or 1, never NULL)."""
    if isinstance(node, CNot):
        inner = to_sql(node.operand, now)
        return SQL(f"NOT ({inner.text})", inner.params)
    if isinstance(node, (CAnd, COr)):
        parts = [to_sql(item, now) for item in node.items]
        joiner = " AND " if isinstance(node, CAnd) else " OR "
        return SQL(
            "(" + joiner.join(part.text for part in parts) + ")",
            [param for part in parts for param in part.params],
        )
    return _pred_sql(node, now)


def _pred_sql(check: Check, now: datetime) -> SQL:
    source = check.field.source
    if source is None:  # refused when checked
        raise UsageError(f"{check.field.name!r} cannot be filtered")
    if check.op == "empty":
        positive = _filled(check.field, source)
        return SQL(
            f"NOT ({positive.text})" if not check.negated else positive.text, positive.params
        )
    if isinstance(source, Column):
        element = _element(check, source.sql, f"nc_fold({source.sql})", now, json_type=None)
        sql = SQL(f"IFNULL({element.text}, 0)", element.params)
    elif isinstance(source, Topics):
        element = _element(check, "t.topic", "t.key", now, json_type=None)
        sql = SQL(
            f"EXISTS (SELECT 1 FROM topics AS t WHERE t.article = a.rowid AND {element.text})",
            element.params,
        )
    else:
        element = _element(check, "v.value", "nc_fold(v.value)", now, json_type="v.type")
        sql = SQL(
            f"EXISTS (SELECT 1 FROM json_each(nc_values({FRONT_MATTER_SQL}, ?)) AS v "
            f"WHERE {element.text})",
            [json.dumps(list(source.path)), *element.params],
        )
    return SQL(f"NOT {sql.text}", sql.params) if check.negated else sql


def _filled(spec: Field, source: Source) -> SQL:
    """True when the field has a value that is not empty."""
    if isinstance(source, Column):
        return SQL(f"IFNULL({source.sql}, '') != ''", [])
    if isinstance(source, Topics):
        return SQL("EXISTS (SELECT 1 FROM topics AS t WHERE t.article = a.rowid)", [])
    return SQL(
        f"EXISTS (SELECT 1 FROM json_each(nc_values({FRONT_MATTER_SQL}, ?)) AS v "
        "WHERE NOT (v.type IN ('text', 'object', 'array') AND v.value IN ('', '{}', '[]')))",
        [json.dumps(list(source.path))],
    )


def _element(check: Check, raw: str, folded: str, now: datetime, json_type: str | None) -> SQL:
    """The condition on one value (a column, a topic, or one element at a record path)."""
    op, values, kind = check.op, check.values, check.value_type
    if op == "truthy":
        if json_type is not None:
            return SQL(f"nc_truthy({raw}, {json_type})", [])
        if kind in ("number", "bool"):
            return SQL(f"{raw} != 0", [])
        return SQL(f"{raw} != ''", [])
    if op == "~":
        pattern = str(values[0])
        if _smart_case(pattern):
            return SQL(f"instr({raw}, ?) > 0", [pattern])
        return SQL(f"instr({folded}, ?) > 0", [pattern.casefold()])
    if op == "=~":
        regex: re.Pattern[str] = values[0]
        return SQL(f"nc_regexp(?, ?, {raw})", [regex.pattern, int(bool(regex.flags & re.I))])
    if kind == "number":
        expr = raw if json_type is None else f"nc_number({raw})"
        return _compare(expr, op, list(values))
    if kind == "bool":
        expr = raw if json_type is None else f"nc_truthy({raw}, {json_type})"
        return _compare(expr, op, [int(value) for value in values])
    if kind == "duration":
        return _age(raw, op, values, now)
    if kind == "date":
        expr = raw if json_type is None else f"nc_date({raw})"
        return _dates(expr, op, values)
    return _compare(folded, op, [str(value).casefold() for value in values])


def _compare(expr: str, op: str, values: list[Any]) -> SQL:
    if op == "between":
        return SQL(f"({expr} >= ? AND {expr} <= ?)", values)
    if op == "in":
        return SQL(f"{expr} IN ({', '.join('?' * len(values))})", values)
    return SQL(f"{expr} {op} ?", values)


def _day_bounds(value: Instant) -> tuple[str, str | None]:
    """An instant as [start, end): a whole day spans 24 hours, a moment is a point."""
    start = to_iso(value.moment)
    if value.whole_day:
        return start, to_iso(value.moment + timedelta(days=1))
    return start, None


def _dates(expr: str, op: str, values: tuple[Any, ...]) -> SQL:
    if op in ("=", "in"):
        parts = [_date_equal(expr, value) for value in values]
        return SQL(
            "(" + " OR ".join(part.text for part in parts) + ")",
            [param for part in parts for param in part.params],
        )
    if op == "between":
        low, high = _dates(expr, ">=", values[:1]), _dates(expr, "<=", values[1:])
        return SQL(f"({low.text} AND {high.text})", low.params + high.params)
    start, end = _day_bounds(values[0])
    if end is not None and op in ("<=", ">"):
        # Through the whole day, or after it.
        return SQL(f"{expr} {'<' if op == '<=' else '>='} ?", [end])
    return SQL(f"{expr} {op} ?", [start])


def _date_equal(expr: str, value: Instant) -> SQL:
    start, end = _day_bounds(value)
    if end is None:
        return SQL(f"{expr} = ?", [start])
    return SQL(f"({expr} >= ? AND {expr} < ?)", [start, end])


def _age(expr: str, op: str, values: tuple[Any, ...], now: datetime) -> SQL:
    """``age < 2w`` is ``date > now - 2w``: the comparison turns around."""
    moments = [to_iso(now - span) for span in values]
    if op == "between":
        return SQL(f"({expr} <= ? AND {expr} >= ?)", moments)
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
    return SQL(f"{expr} {flipped} ?", moments)


# --- the whole pipeline -----------------------------------------------------------------


def compile_where(
    source: str, now: datetime, known: KnownPaths = no_catalogue
) -> tuple[str, list[Any]]:
    """``--where`` text as an SQL condition with bound parameters."""
    checked = check(source, parse(source), now, known)
    sql = to_sql(checked, now)
    return sql.text, sql.params
