"""Records: an Article parsed from a file, or a Problem that explains why not."""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from newscat.split import read_body

Severity = Literal["error", "warning"]
#: Where a command's one-line warnings go.
Warn = Callable[[str], None]
#: Told (done, total) as a long piece of work goes on.
Progress = Callable[[int, int], None]

#: Files larger than this are refused without being read whole.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
#: Extensions of the files a catalogue directory is searched for.
ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")

#: How a summary (topics, providers) orders its groups.
GroupSort = Literal["count", "name", "quality", "heat", "newest"]
GROUP_SORTS: tuple[GroupSort, ...] = ("count", "name", "quality", "heat", "newest")


@dataclass(frozen=True)
class Problem:
    """Why a file could not be read as an article (error) or what is odd about it (warning).

    ``line`` and ``column`` are 1-based positions in the file, when known.
    """

    path: str
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"

    @classmethod
    def warning(
        cls, path: str, code: str, message: str, line: int | None, column: int | None
    ) -> Problem:
        """``Problem(path, code, message, line, column, "warning")``, built without
        ``__init__`` as ``Article.parsed`` is: the parser makes one or two for nearly
        every article."""
        problem = object.__new__(cls)
        problem.__dict__.update(
            path=path, code=code, message=message, line=line, column=column, severity="warning"
        )
        return problem

    def location(self) -> str:
        """``path:line:column`` (the parts that are known)."""
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def describe(self) -> str:
        """One line: ``path:line:col: message [code]``."""
        return f"{self.location()}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Article:
    """One article: the front matter exactly as written plus newscat's normalised view of it.

    ``front_matter`` holds every key and value as written, in file order (dates
    stay text); the other attributes are the normalised fields (see
    ``newscat.fields``) that filters, sorting and the record's top level use.
    """

    id: str
    path: str
    front_matter: dict[str, Any]
    body: str = ""
    date: str | None = None
    title: str | None = None
    excerpt: str | None = None
    category: str | None = None
    type: str | None = None
    quality: int | float | None = None
    heat: int | float | None = None
    published: bool | None = None
    provider: str | None = None
    domain: str | None = None
    url: str | None = None
    topics: tuple[str, ...] = ()
    #: The names of a provider written as a list of two or more (several authors), each
    #: once, as written: ``provider`` is them joined with ", ". Empty otherwise, and in an
    #: article read from the index (which keeps them only for ``-p``).
    provider_names: tuple[str, ...] = field(default=(), compare=False)
    #: The story: the id of its earliest article, its number of providers, and this
    #: article's canonical URL. Set by the index, which groups the whole catalogue.
    story: str | None = None
    coverage: int | None = None
    canonical_url: str | None = None
    #: When newscat first saw the article (UTC, ISO 8601), from the state database.
    arrived: str | None = None
    warnings: tuple[Problem, ...] = field(default=(), compare=False)
    #: ``front_matter`` serialised once by the parser, so the index need not do it again.
    front_matter_json: str = field(default="", compare=False, repr=False)
    #: The file name's raw bytes, base64, when they are not UTF-8 (``path`` then shows
    #: each such byte as ``\\xNN``); None for a UTF-8 name.
    path_bytes: str | None = None
    #: The index keeps no bodies: an article read from it has ``body`` "" and this set,
    #: and ``text()`` reads the body from the file.
    body_in_file: bool = field(default=False, compare=False)

    @classmethod
    def stored(cls, values: dict[str, Any]) -> Article:
        """An article from the index (which keeps no bodies: ``text()`` reads the file):
        ``values`` maps every attribute but the defaulted ones to a value of its type,
        as the index wrote it. Built without ``__init__`` (a frozen dataclass sets each
        of its 24 attributes through a call): listings build one per row, and this
        takes a quarter of the time."""
        article = object.__new__(cls)
        article.__dict__.update(_DEFAULTS)
        article.__dict__.update(values)
        article.__dict__["body_in_file"] = True
        return article

    @classmethod
    def parsed(cls, values: dict[str, Any]) -> Article:
        """An article as the parser makes one: ``values`` maps every attribute without a
        default, and any others the file gives, to a value of its type. The same as
        ``Article(**values)``, attributes in the same order, but built without
        ``__init__`` (a frozen dataclass sets each of its 24 attributes through a call),
        as ``stored`` is: the parser builds one per file, and this takes a tenth of the time."""
        return cls.of_attributes(attributes_in_order(values.items()))

    @classmethod
    def of_attributes(cls, attributes: dict[str, Any]) -> Article:
        """An article that holds ``attributes`` as they are (not a copy) as its own: every
        attribute, in the order ``__init__`` sets them (``attributes_in_order`` with the
        values set), each a value of its type. What ``parsed`` makes, without its copy."""
        article = object.__new__(cls)
        object.__setattr__(article, "__dict__", attributes)
        return article

    def text(self) -> str:
        """The body: the one parsed, or (from the index) the file's, read now."""
        return read_body(self.file_path()) if self.body_in_file else self.body

    def file_path(self) -> str:
        """The path to open the file by: ``path``, or the raw name when it is not UTF-8."""
        return file_path(self.path, self.path_bytes)


#: Every attribute of an Article that has a default, with it.
_DEFAULTS = {
    spec.name: spec.default
    for spec in dataclasses.fields(Article)
    if spec.default is not dataclasses.MISSING
}

#: Every attribute of an Article in the order ``__init__`` sets them, with its default
#: (None for those without one, which ``Article.parsed`` is always given).
_IN_ORDER = {
    spec.name: None if spec.default is dataclasses.MISSING else spec.default
    for spec in dataclasses.fields(Article)
}


def attributes_in_order(values: Iterable[tuple[str, Any]] = ()) -> dict[str, Any]:
    """An Article's attributes in the order ``__init__`` sets them, each with its default
    (None for those without one), and then ``values`` (name, value) set in their places."""
    attributes = _IN_ORDER.copy()
    attributes.update(values)
    return attributes


def file_path(path: str, path_bytes: str | None) -> str:
    """The path to open a file by: ``path``, or its raw name (from the base64 of its
    bytes) when the name is not UTF-8."""
    return path if path_bytes is None else os.fsdecode(base64.b64decode(path_bytes))
