"""What stories cost the index: a cold fill, and one changed article, at catalogue scale.

    python tests/benchmarks/generate.py OUT/cat100k -n 100000
    python tests/benchmarks/stories_cost.py OUT/cat100k [--runs 3]

For each run, in a fresh cache dir: a cold ``Index.refresh()`` (stories included),
timed as a whole and with the time spent grouping stories (``stories.update``)
measured on its own; then one article's title is changed, and the next refresh
is timed, again with the story part alone. The article is restored afterwards.
Medians are printed. Run it on a quiet machine and say how quiet it was.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from newscat.store import stories as store
from newscat.store.index import Index

_spent: list[float] = []
_original_update = store.update


def _timed_update(*args: Any, **kwargs: Any) -> None:
    started = time.perf_counter()
    try:
        _original_update(*args, **kwargs)
    finally:
        _spent.append(time.perf_counter() - started)


def one_run(root: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache:
        index = Index.open([str(root)], Path(cache))
        _spent.clear()
        started = time.perf_counter()
        index.refresh()
        cold = time.perf_counter() - started
        cold_stories = sum(_spent)
        articles = index.count()
        target = sorted(root.rglob("*.txt"))[articles // 2]
        original = target.read_bytes()
        try:
            text = original.decode("utf-8")
            changed = text.replace("title: ", "title: Changed headline about a storm ", 1)
            target.write_text(changed, encoding="utf-8")
            _spent.clear()
            started = time.perf_counter()
            report = index.refresh()
            one = time.perf_counter() - started
            one_stories = sum(_spent)
            assert report.changed == 1, report
        finally:
            target.write_bytes(original)
        index.close()
    return {
        "articles": articles,
        "cold": cold,
        "cold_stories": cold_stories,
        "one": one,
        "one_stories": one_stories,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    store.update = _timed_update  # type: ignore[assignment]
    import newscat.refresh as refresh_module

    refresh_module.stories.update = _timed_update  # type: ignore[assignment]
    runs = [one_run(args.root) for _ in range(args.runs)]
    for run in runs:
        print(
            f"articles {run['articles']:,.0f}: cold index {run['cold']:.2f} s "
            f"(stories {run['cold_stories']:.2f} s); one changed article {run['one']:.3f} s "
            f"(stories {run['one_stories']:.3f} s)",
            file=sys.stderr,
        )

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    rest = median("cold") - median("cold_stories")
    print(f"runs: {len(runs)}, articles: {runs[0]['articles']:,.0f}")
    print(
        f"cold index, median: {median('cold'):.2f} s, of which stories {median('cold_stories'):.2f} s"
    )
    print(f"stories vs the rest of the cold index: {median('cold_stories') / rest:.2f}x")
    print(
        f"one changed article, median refresh: {median('one'):.3f} s, "
        f"of which stories {median('one_stories'):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
