"""The database ``newscat export -f sqlite`` writes: its schema and its rows.

Apart from the index: a file of the user's, laid out for other tools (its schema is
documented in the README), built in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from newscat import fields

SCHEMA_VERSION = 2

#: The ``articles`` columns of the SQLite export: every field with an export column.
FIELDS = fields.EXPORT_FIELDS
#: The schema of ``newscat export -f sqlite`` (documented in the README).
SCHEMA = (
    "CREATE TABLE articles (\n"
    + ",\n".join(f"    {spec.name} {spec.export_sql}" for spec in FIELDS)
    + "\n);\n"
    + """CREATE INDEX articles_date ON articles(date);
CREATE INDEX articles_provider ON articles(provider);
CREATE TABLE article_topics (
    article_id TEXT NOT NULL REFERENCES articles(id),
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_topics_topic ON article_topics(topic COLLATE NOCASE);
"""
)
_INSERT = (
    f"INSERT INTO articles ({', '.join(spec.name for spec in FIELDS)}) "
    f"VALUES ({', '.join('?' * len(FIELDS))})"
)


class SameId(sqlite3.IntegrityError):
    """Two rows with one id: the export holds each id once."""


class Export:
    """An export database being written, in one transaction: ``add`` each article's row,
    then ``commit``."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        try:
            self.conn.execute("PRAGMA journal_mode = DELETE")
            self.conn.execute("BEGIN")
            # executescript would commit the open transaction; run the statements one by one.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.conn.execute(statement)
        except BaseException:
            self.conn.close()
            raise

    def add(self, row: Sequence[Any], article_id: str, topics: Iterable[str]) -> None:
        """An article's row (values of ``FIELDS``, in order) and its topics."""
        try:
            self.conn.execute(_INSERT, row)
        except sqlite3.IntegrityError:
            raise SameId(article_id) from None
        self.conn.executemany(
            "INSERT INTO article_topics VALUES (?, ?, ?)",
            [(article_id, i, topic) for i, topic in enumerate(topics)],
        )

    def commit(self) -> None:
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
