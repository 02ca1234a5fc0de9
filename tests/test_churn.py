"""Churn under load: files created, rewritten (often to the same size), renamed and
deleted while several newscat processes query the same catalogue and cache.

Every query must succeed while the churn goes on; once it stops, the next refresh
must agree exactly with the files: no duplicate, no phantom, no stale title. The
random steps come from a fixed seed, and the amount of work, not the clock, bounds
the test. The soak variant (``pytest -m soak``) runs far more of it.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from newscat.catalog import text_path
from tests.conftest import ROOT, remount

#: What a query may print on stderr while files change under it: a half-written file
#: is a problem until it is complete.
SKIPPED = re.compile(r"\A(\d+ files? skipped; run `newscat check -C [^`\n]+`\n)?\Z")
_WARNING = (
    r"newscat: warning: cannot (?:write|use) the index at [^\n]*; indexing in memory this time\n"
)
_SUMMARY = r"\d+ files? skipped; run `newscat check -C [^`\n]+`\n"
#: The same, with the one warning of a cache that cannot be written: before the summary
#: when the refresh found the disk full, after it when building the stories did.
FALLBACK = re.compile(rf"\A(?:(?:{_WARNING})?(?:{_SUMMARY})?|{_SUMMARY}{_WARNING})\Z")
#: Stems of hostile names: not UTF-8, a line break, a tab, a leading dash, spaces,
#: emoji, an escape sequence, quotes and a backslash.
HOSTILE = (b"caf\xe9", b"line\nbreak", b"tab\t", b"-dash", b"sp ace", "\U0001f389".encode(),
           b"esc\x1b[1m", b"q\"'", b"back\\")  # fmt: skip
QUERIES = (
    ("list", "--count"),
    ("list", "-f", "jsonl", "-s", "id"),
    ("list", "-m", "churn", "-f", "ids"),
    ("topics", "-f", "tsv"),
    ("export", "-f", "csv", "-F", "id,title"),
)


def text(title: str, words: int) -> str:
    body = " ".join(["churn"] * words)
    return (
        f"---\ntitle: {title}\npublishedDateTime: 2024-01-01T00:00:00Z\n"
        f"webUrl: https://example.com/{title}\ntopics: [Churn]\nquality: 5\n---\n{body}\n"
    )


@dataclass
class Catalogue:
    """The files as the test made them: relative path -> title."""

    root: Path
    rng: random.Random
    hostile: bool = False
    files: dict[str, str] = field(default_factory=dict)
    serial: int = 0

    def _name(self) -> str:
        self.serial += 1
        folder = self.rng.choice(["a", "b", "c", "a/deep", "new"])
        stem = f"f{self.serial:05d}"
        if self.hostile and self.rng.random() < 0.5:
            stem = os.fsdecode(self.rng.choice(HOSTILE)) + stem
        return f"{folder}/{stem}.md"

    def _title(self) -> str:
        self.serial += 1
        return f"T{self.serial:06d}"  # fixed width: rewrites keep the size

    def write(self, name: str, title: str, torn: bool = False) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text(title, 20).encode()
        if torn:  # as an editor that truncates, then writes in two steps
            with open(path, "wb") as out:
                out.write(data[: len(data) // 3])
                out.flush()
                time.sleep(self.rng.uniform(0, 0.002))
                out.write(data[len(data) // 3 :])
        else:
            path.write_bytes(data)
        self.files[name] = title

    def step(self) -> None:
        action = self.rng.choices(
            ["create", "rewrite", "torn", "rename", "delete", "drop-folder"],
            weights=[4, 5, 2, 2, 2, 0.05],
        )[0]
        if action == "create" or not self.files:
            self.write(self._name(), self._title())
            return
        name = self.rng.choice(sorted(self.files))
        if action in ("rewrite", "torn"):
            self.write(name, self._title(), torn=action == "torn")
        elif action == "rename":
            target = self._name()
            (self.root / target).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / name, self.root / target)
            self.files[target] = self.files.pop(name)
        elif action == "delete":
            (self.root / name).unlink()
            del self.files[name]
        else:  # a whole folder goes away
            folder = name.rsplit("/", 1)[0]
            for other in [n for n in self.files if n.rsplit("/", 1)[0] == folder]:
                (self.root / other).unlink()
                del self.files[other]

    def expected(self) -> dict[str, str]:
        return {text_path(name.removesuffix(".md")): title for name, title in self.files.items()}


def newscat(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NEWSCAT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "newscat", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def churn(
    tmp_path: Path,
    seed: int,
    start: int,
    steps: int,
    readers: int,
    hostile: bool = False,
    cache: Path | None = None,
) -> Catalogue:
    """Churn, then check that a refresh agrees with the files. With a ``cache`` given
    (a small disk), queries may fall back to memory with one warning, and the index
    itself is not checked: the caller frees room and checks it."""
    rng = random.Random(seed)
    cat = Catalogue(tmp_path / "cat", rng, hostile)
    full = cache is not None
    cache = cache or tmp_path / "cache"
    allowed = FALLBACK if full else SKIPPED
    for _ in range(start):
        cat.write(cat._name(), cat._title())
    first = newscat(cache, "index", "-C", str(cat.root))
    assert first.returncode == 0 and allowed.match(first.stderr), first.stderr
    failures: list[str] = []
    runs = [0]
    stop = threading.Event()

    def query(number: int) -> None:
        turn = number
        while not stop.is_set():
            args = QUERIES[turn % len(QUERIES)]
            turn += 1
            done = newscat(cache, *args, "-C", str(cat.root))
            runs[0] += 1
            if done.returncode != 0 or not allowed.match(done.stderr):
                failures.append(f"{args}: exit {done.returncode}: {done.stderr}")

    threads = [threading.Thread(target=query, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(steps):
            cat.step()
            time.sleep(rng.uniform(0, 0.003))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
    assert failures == []
    assert runs[0] >= readers  # the queries really ran during the churn

    after = newscat(cache, "list", "-C", str(cat.root), "-f", "jsonl")
    assert (
        after.returncode == 0 and FALLBACK.match(after.stderr)
        if full
        else ((after.returncode, after.stderr) == (0, ""))
    ), after.stderr
    records = [json.loads(line) for line in after.stdout.splitlines()]
    got = {record["id"]: record["title"] for record in records}
    assert len(got) == len(records)  # no duplicate
    assert got == cat.expected()  # no phantom, nothing missing, nothing stale
    fresh = newscat(cache, "list", "-C", str(cat.root), "-f", "jsonl", "--no-cache")
    assert fresh.stdout.splitlines() == after.stdout.splitlines()
    if not full:
        check_index(cat, cache)
    return cat


def check_index(cat: Catalogue, cache: Path) -> None:
    """No problem left, and the index holds each file once, its text and topics too."""
    check = newscat(cache, "check", "-C", str(cat.root), "-f", "json")
    assert (check.returncode, check.stdout) == (0, "[]\n")  # no problem left behind
    # The full-text index is built by the first search (if the churn ran none).
    search = newscat(cache, "list", "-C", str(cat.root), "-m", "churn", "--count")
    assert (search.returncode, search.stdout) == (0, f"{len(cat.files)}\n")
    (database,) = cache.glob("catalog-*.sqlite3")
    conn = sqlite3.connect(database)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        assert one("SELECT count(*) FROM files") == len(cat.files)
        assert one("SELECT count(*) FROM articles") == len(cat.files)
        assert one("SELECT count(*) FROM topics") == len(cat.files)
        assert one("SELECT count(*) FROM fts WHERE fts MATCH 'churn'") == len(cat.files)
        conn.execute("INSERT INTO fts(fts) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_churn_under_concurrent_queries_ends_in_agreement(tmp_path: Path) -> None:
    churn(tmp_path, seed=16, start=150, steps=400, readers=3)


def test_churn_of_hostile_names_ends_in_agreement(tmp_path: Path) -> None:
    churn(tmp_path, seed=61, start=60, steps=200, readers=2, hostile=True)


@pytest.mark.soak
def test_soak_churn_with_parallel_refreshes(tmp_path: Path) -> None:
    """Enough files that refreshes use the process pool, and many more steps."""
    churn(tmp_path, seed=1616, start=1500, steps=8000, readers=4, hostile=True)


@pytest.mark.soak
def test_soak_hostile_names_on_a_disk_that_fills_under_churn(
    tmp_path: Path, small_disk: Path
) -> None:
    """Everything at once: hostile names, a cache dir that fills mid-index, concurrent
    queries and churn. Answers stay correct; once there is room, the cache is repaired."""
    cat = churn(tmp_path, seed=1313, start=900, steps=3000, readers=3, hostile=True,
                cache=small_disk)  # fmt: skip
    remount(small_disk, "size=256m")
    repaired = newscat(small_disk, "list", "-C", str(cat.root), "--count")
    assert (repaired.returncode, repaired.stdout, repaired.stderr) == (0, f"{len(cat.files)}\n", "")
    check_index(cat, small_disk)
