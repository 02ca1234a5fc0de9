"""How fast ``newscat browse`` shows its first rows, and how fast its list answers.

Usage::

    python tests/benchmarks/browse_first_rows.py CATALOG [--runs 5] [--cache-dir DIR]

1. In a real terminal (tmux, 80x24, a server socket of its own), from pressing
   Enter on ``newscat browse -C CATALOG`` to the first list row on the screen,
   with the index already built (run ``newscat index -C CATALOG`` first). The
   screen is polled every 10 ms, so figures are within about 10 ms.
2. In this process, the listing the reader scrolls: opening it (the count and the
   first page), the last page (``G``), each sort order of the ``s`` cycle, and a
   few typed filters, each read as the reader reads them.

Prints one line per measurement: median, min and max of the runs, in seconds.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newscat.listing import SORT_CYCLE, Listing, typed_filter  # noqa: E402
from newscat.query import Query  # noqa: E402
from newscat.store.index import Index  # noqa: E402


def first_rows(catalog: str, cache_dir: str, runs: int, quits: list[float]) -> list[float]:
    socket = os.path.join(tempfile.mkdtemp(), "tmux.sock")
    tmux = ["tmux", "-S", socket]
    newscat = os.path.join(os.path.dirname(sys.executable), "newscat")
    times: list[float] = []
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "80", "-y", "24", "env PS1='$ ' bash --norc"],
        check=True,
    )

    def screen() -> list[str]:
        return subprocess.run(
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=True
        ).stdout.splitlines()

    def at_prompt() -> bool:
        shown = [line for line in screen() if line.strip()]
        return bool(shown) and shown[-1].strip() == "$"

    try:
        for _ in range(runs):
            command = (
                f"clear; NEWSCAT_CACHE_DIR={shlex.quote(cache_dir)} "
                f"{shlex.quote(newscat)} browse -C {shlex.quote(catalog)}"
            )
            subprocess.run([*tmux, "send-keys", "-l", command], check=True)
            started = time.perf_counter()
            subprocess.run([*tmux, "send-keys", "Enter"], check=True)
            while True:
                shown = screen()
                if len(shown) > 1 and shown[1][:4].isdigit():  # a date: a row of the list
                    times.append(time.perf_counter() - started)
                    break
                if time.perf_counter() - started > 60:
                    raise SystemExit("no rows after 60 s:\n" + "\n".join(shown))
                time.sleep(0.01)
            time.sleep(2)  # let the background refresh run, as it would while reading
            subprocess.run([*tmux, "send-keys", "q"], check=True)
            quit_started = time.perf_counter()
            while not at_prompt():
                if time.perf_counter() - quit_started > 60:
                    raise SystemExit("still running 60 s after q:\n" + "\n".join(screen()))
                time.sleep(0.01)
            quits.append(time.perf_counter() - quit_started)
            time.sleep(1)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
    return times


def timed(runs: int, step: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return times


def report(name: str, times: list[float]) -> None:
    print(
        f"{name:<44} median {statistics.median(times):.3f} s   "
        f"min {min(times):.3f} s   max {max(times):.3f} s   ({len(times)} runs)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("catalog")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache-dir", default=os.environ.get("NEWSCAT_CACHE_DIR", ""))
    args = ap.parse_args()
    catalog = os.path.abspath(args.catalog)
    cache_dir = args.cache_dir or os.path.join(tempfile.gettempdir(), "newscat-bench-cache")

    quits: list[float] = []
    report("first rows on screen (tmux, 80x24)", first_rows(catalog, cache_dir, args.runs, quits))
    report("q: back at the shell prompt", quits)

    index = Index.open([catalog], Path(cache_dir))
    try:
        total = Listing(index, Query()).count
        print(f"catalogue: {total:,} articles")

        def open_and_read(query: Query, rows: tuple[int, ...] = (0,), text: str = "") -> None:
            extra = typed_filter(text).filters if text else None
            listing = Listing(index, query, extra)
            for n in rows:
                listing.row(min(n, max(0, listing.count - 1)))

        report(
            "open the list (count + first page)", timed(args.runs, lambda: open_and_read(Query()))
        )
        report("G: the last page", timed(args.runs, lambda: open_and_read(Query(), (total - 1,))))
        for sort in SORT_CYCLE[1:]:
            report(
                f"s: sort {','.join(sort)} (first page)",
                timed(args.runs, lambda sort=sort: open_and_read(Query(sort=sort))),
            )
        for text in ("regul", 't:"AI Ethics"', "p:nhs.uk", "heat > 60 and quality >= 70"):
            report(
                f"/ {text}", timed(args.runs, lambda text=text: open_and_read(Query(), text=text))
            )
    finally:
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
