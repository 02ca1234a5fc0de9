"""Feeds: matching articles as Atom 1.0 or RSS 2.0, for any feed reader.

The XML is built as an element tree and serialised by the standard library,
which escapes every value: text from the files never becomes markup. Characters
XML 1.0 cannot hold (most control characters) are written as visible ``\\xNN``
escapes, and only http(s) URLs become links.

Each entry has a title (else the id), a link (``url``), a time (``date``, else
the file's modification time), an author (``provider``), categories (``topics``),
a summary (``excerpt``) and an id that stays the same from one run to the next:
the ``url``, else ``urn:newscat:`` and the article's id; an id an earlier entry has
gives way to ``urn:newscat:`` and the id, else that and a digest of the file's path.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import IO
from urllib.parse import quote
from xml.etree import ElementTree as ET

from newscat.model import Article

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
#: Characters XML 1.0 does not allow (tab, line feed and carriage return are fine).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WEB = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)
#: When a feed holds no article and so has no newest time.
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _text(value: object) -> str:
    """A value as text XML can hold: what it cannot is escaped visibly (``\\x1b``)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def web_url(article: Article) -> str | None:
    """The article's URL when it is an http(s) one (no other scheme becomes a link)."""
    url = article.url
    return url if url and _WEB.match(url) else None


def entry_id(article: Article, taken: set[str] | None = None) -> str:
    """A stable id: the article's web URL, else ``urn:newscat:`` and its id. A reader
    takes entries of one id for one entry, so when an earlier entry of the feed has it
    (``taken``): ``urn:newscat:`` and the id (two articles of one URL), else that and a
    digest of the file's path (one id under two roots), which says nothing of where
    the catalogue is kept."""
    first = "urn:newscat:" + quote(article.id, safe="/:@-._~")
    found = web_url(article) or first
    if taken is None:
        return found
    if found in taken:
        found = first
    if found in taken:
        digest = hashlib.blake2b(article.path.encode("utf-8", "surrogateescape"), digest_size=8)
        found = f"{first}:{digest.hexdigest()}"
    taken.add(found)
    return found


def updated(article: Article) -> datetime:
    """When the article was published, else when its file was last modified (UTC).

    A file that cannot be read any more counts as modified at the epoch, so a feed
    written twice from the same files is the same feed.
    """
    if article.date:
        try:
            moment = datetime.strptime(article.date, "%Y-%m-%dT%H:%M:%SZ")
            return moment.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    try:
        seconds = int(os.stat(article.path).st_mtime)
    except OSError:
        return _EPOCH
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: _text(value) for key, value in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _leaf(tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.Element(tag, {key: _text(value) for key, value in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _write(out: IO[str], element: ET.Element, level: int) -> None:
    """One element, serialised (and so escaped) by the standard library, indented."""
    ET.indent(element, space="  ", level=level)
    element.tail = None
    out.write("  " * level + ET.tostring(element, encoding="unicode") + "\n")


_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def write_atom(out: IO[str], articles: Iterable[Article], title: str) -> int:
    """An Atom 1.0 feed of the articles, in the order given; returns how many.

    Each entry is written as it arrives, so a feed of any size takes little memory;
    the feed's own ``updated`` (its newest entry's) comes after the entries, which
    Atom allows. Every text is ``type="text"``: readers show it as it is, never as HTML.
    """
    out.write(_DECLARATION + f'<feed xmlns="{ATOM_NS}">\n')
    _write(out, _leaf("title", title, type="text"), 1)
    _write(out, _leaf("id", "urn:newscat:feed:" + quote(title, safe="")), 1)
    author = _leaf("author")
    _sub(author, "name", "newscat")
    _write(out, author, 1)
    _write(out, _leaf("generator", "newscat"), 1)
    newest = _EPOCH
    count = 0
    taken: set[str] = set()
    for article in articles:
        count += 1
        when = updated(article)
        newest = max(newest, when)
        entry = _leaf("entry")
        _sub(entry, "title", article.title or article.id, type="text")
        url = web_url(article)
        if url:
            _sub(entry, "link", rel="alternate", href=url)
        _sub(entry, "id", entry_id(article, taken))
        _sub(entry, "updated", _rfc3339(when))
        if article.date:
            _sub(entry, "published", _rfc3339(when))
        if article.provider:
            _sub(_sub(entry, "author"), "name", article.provider)
        for topic in article.topics:
            _sub(entry, "category", term=topic)
        if article.excerpt:
            _sub(entry, "summary", article.excerpt, type="text")
        if not url:  # an entry with no alternate link must have content
            _sub(entry, "content", article.excerpt or "", type="text")
        _write(out, entry, 1)
    _write(out, _leaf("updated", _rfc3339(newest)), 1)
    out.write("</feed>\n")
    return count


def write_rss(out: IO[str], articles: Iterable[Article], title: str) -> int:
    """An RSS 2.0 feed of the articles, in the order given; returns how many.

    Each item is written as it arrives; the channel's link is the first article's
    web URL and its ``lastBuildDate`` (the newest item's) comes after the items.
    Readers take an RSS description as HTML, so the excerpt goes in as HTML text
    (``<`` as ``&lt;``): it shows as written and never becomes markup.
    """
    items = iter(articles)
    first = next(items, None)
    out.write(_DECLARATION + f'<rss version="2.0" xmlns:dc="{DC_NS}">\n  <channel>\n')
    _write(out, _leaf("title", title), 2)
    link = web_url(first) if first is not None else None
    if link:  # RSS asks for one; a feed whose articles have no web URL has none to give
        _write(out, _leaf("link", link), 2)
    _write(out, _leaf("description", f"{title}: articles selected by newscat"), 2)
    _write(out, _leaf("generator", "newscat"), 2)
    newest = _EPOCH
    count = 0
    taken: set[str] = set()
    for article in itertools.chain(() if first is None else (first,), items):
        count += 1
        when = updated(article)
        newest = max(newest, when)
        item = _leaf("item")
        _sub(item, "title", article.title or article.id)
        url = web_url(article)
        if url:
            _sub(item, "link", url)
        guid = entry_id(article, taken)
        _sub(item, "guid", guid, isPermaLink="true" if guid == url else "false")
        _sub(item, "pubDate", format_datetime(when, usegmt=True))
        if article.provider:
            _sub(item, "dc:creator", article.provider)
        for topic in article.topics:
            _sub(item, "category", topic)
        if article.excerpt:
            _sub(item, "description", html.escape(article.excerpt, quote=False))
        _write(out, item, 2)
    _write(out, _leaf("lastBuildDate", format_datetime(newest, usegmt=True)), 2)
    out.write("  </channel>\n</rss>\n")
    return count
