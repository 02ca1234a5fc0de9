"""REFs: the one article a reference typed by a user names."""

from __future__ import annotations

import os

from newscat.catalog import text_path
from newscat.errors import NotFoundError
from newscat.model import Article
from newscat.store.index import Index, ref_conditions
from newscat.text import inert

#: How many candidates an "ambiguous REF" error lists before saying how many more.
MAX_CANDIDATES = 10


def resolve(index: Index, ref: str) -> Article:
    """The one article a user's REF names.

    In order: an exact id, a path to a file, a unique prefix of an id, a unique
    prefix of the part after the id's last ``_``, a unique trailing part of the
    id in whole segments (``blog/2024-release-3``). The first rule that matches
    anything decides; when it matches several articles, the REF is ambiguous.
    Raises NotFoundError (exit 1) for no match or an ambiguous one.
    """
    text = text_path(ref)  # a name typed with bytes that are not UTF-8 reads as its id does
    shown = inert(text)
    if not ref.strip():
        raise NotFoundError("no article matches an empty REF")
    exact, *by_id = ref_conditions(text)
    rules: list[tuple[str, list[str]]] = [exact]
    if "\\" in text:  # an id as -f ids prints it, with its line breaks or controls escaped
        rules.append(("nc_line(a.id) = ?", [text]))
    if os.path.isfile(ref):
        named = (text_path(os.path.abspath(ref)), text_path(os.path.realpath(ref)))
        paths = list(dict.fromkeys(named))
        rules.append((f"a.path IN ({','.join('?' * len(paths))})", paths))
    rules.extend(by_id)
    for where, params in rules:
        found = list(index.select(where, params, limit=MAX_CANDIDATES + 1))
        if len(found) == 1:
            return found[0]
        if found:
            total = index.count(where, params)
            lines = [f"'{shown}' is ambiguous; it matches {total} articles:"]
            width = max(len(inert(a.id)) for a in found[:MAX_CANDIDATES])
            for article in found[:MAX_CANDIDATES]:
                title = inert(article.title or "(untitled)")
                lines.append(f"  {inert(article.id):<{width}}  {title}")
            if total > MAX_CANDIDATES:
                lines.append(f"  … and {total - MAX_CANDIDATES} more")
            lines.append("Give more of the id to choose one.")
            raise NotFoundError("\n".join(lines))
    if os.path.isfile(ref):
        raise NotFoundError(f"no article matches '{shown}': the file is not in the catalogue")
    raise NotFoundError(f"no article matches '{shown}'")
