"""Baseline: what a user would write with python-frontmatter.

Walk ROOT, ``frontmatter.load`` every candidate file, keep articles with the
topic "AI Ethics" (case-insensitive), quality >= 50 and heat > 60, sort by
date (newest first, ties on id) and print the top 20 as TSV with the same
columns as ``newscat list -f tsv``: id, date, title, provider, quality, heat,
topics.

Usage: python frontmatter_list.py ROOT [-n 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from typing import Any

import frontmatter
from dateutil import parser as dateparser

SUFFIXES = (".md", ".markdown", ".txt")
TOPIC = "ai ethics"
MIN_QUALITY = 50
HEAT_ABOVE = 60
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_date(value: Any) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = dateparser.parse(value)
        except (ValueError, OverflowError):
            return EPOCH
    else:
        return EPOCH
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def topics_of(meta: dict[str, Any]) -> list[str]:
    topics = meta.get("topics")
    if isinstance(topics, str):
        return [topics]
    if isinstance(topics, list):
        return [str(t) for t in topics]
    return []


def provider_of(meta: dict[str, Any]) -> str:
    provider = meta.get("provider")
    if isinstance(provider, dict):
        return str(provider.get("name") or "")
    return str(provider or "")


def cell(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="python-frontmatter baseline")
    ap.add_argument("root")
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args(argv)
    root: str = args.root
    rows: list[tuple[datetime, str, dict[str, Any]]] = []
    skipped = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or not name.endswith(SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            try:
                post = frontmatter.load(path)
            except Exception:
                skipped += 1
                continue
            meta = post.metadata
            quality, heat = as_int(meta.get("quality")), as_int(meta.get("heat"))
            if quality is None or quality < MIN_QUALITY or heat is None or heat <= HEAT_ABOVE:
                continue
            if TOPIC not in (t.lower() for t in topics_of(meta)):
                continue
            ident = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, "/")
            rows.append((as_date(meta.get("publishedDateTime")), ident, meta))
    rows.sort(key=lambda r: r[1])
    rows.sort(key=lambda r: r[0], reverse=True)
    out = ["id\tdate\ttitle\tprovider\tquality\theat\ttopics"]
    for when, ident, meta in rows[: args.n]:
        fields = (
            ident,
            when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            meta.get("title") or "",
            provider_of(meta),
            as_int(meta.get("quality")),
            as_int(meta.get("heat")),
            "; ".join(topics_of(meta)),
        )
        out.append("\t".join(cell(f) for f in fields))
    print("\n".join(out))
    if skipped:
        print(f"{skipped} files skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
