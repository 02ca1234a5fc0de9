"""What the ``ref`` column and REF look-ups cost at catalogue scale.

    python tests/benchmarks/generate.py OUT/cat100k -n 100000
    NEWSCAT_CACHE_DIR=OUT/cache newscat index -C OUT/cat100k
    python tests/benchmarks/handles_cost.py OUT/cat100k --cache-dir OUT/cache [--runs 5]

Three measurements, each the median of ``--runs``:

- the handles of the first 50 rows of the default order, as a table shows them, from
  the index's indexed look-ups (``Handles(index.ref_matches)``, what newscat does);
- the same handles from every id of the catalogue held in memory
  (``Handles.of_ids``), which is what newscat did before, as the baseline;
- one REF (a handle) resolved by the REF rules' indexed conditions, and by the same
  rules written as scans of every id (the conditions newscat used before).

The handles of both ways must agree; the script stops if they do not.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from newscat.catalog import resolve_roots
from newscat.handles import Handles
from newscat.store.index import Index, ref_conditions

_SUFFIX = "substr(a.id, length(rtrim(a.id, replace(a.id, '_', ''))) + 1)"


def scanning_conditions(ref: str) -> list[tuple[str, list[str]]]:
    """The REF rules as they were written before the id indexes: each reads every id."""
    return [
        ("a.id = ?", [ref]),
        ("substr(a.id, 1, length(?)) = ?", [ref, ref]),
        (f"substr({_SUFFIX}, 1, length(?)) = ?", [ref, ref]),
        ("substr(a.id, -length(?) - 1) = '/' || ?", [ref, ref]),
    ]


def first_match(index: Index, rules: list[tuple[str, list[str]]]) -> list[str]:
    for where, params in rules:
        sql = f"SELECT a.id FROM articles AS a WHERE {where} LIMIT 11"
        found = [row[0] for row in index.conn.execute(sql, params)]
        if found:
            return found
    return []


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--cache-dir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    index = Index.open(resolve_roots([str(args.root)]), args.cache_dir)
    index.refresh()
    shown = [a.id for a in index.select(limit=50)]

    def indexed() -> list[str]:
        handles = Handles(index.ref_matches)
        return [handles(id_) for id_ in shown]

    def in_memory() -> list[str]:
        ids = [row[0] for row in index.conn.execute("SELECT id FROM articles")]
        handles = Handles.of_ids(ids)
        return [handles(id_) for id_ in shown]

    if indexed() != in_memory():
        raise SystemExit("the two ways give different handles")
    ref = indexed()[0]
    count = index.count()
    rows = [
        ("handles of 50 shown rows, indexed look-ups", median_seconds(indexed, args.runs)),
        ("handles of 50 shown rows, every id in memory (before)",
         median_seconds(in_memory, args.runs)),
        (f"resolve one REF ({ref}), indexed conditions",
         median_seconds(lambda: first_match(index, ref_conditions(ref)), args.runs)),
        (f"resolve one REF ({ref}), scanning conditions (before)",
         median_seconds(lambda: first_match(index, scanning_conditions(ref)), args.runs)),
    ]  # fmt: skip
    print(f"{count:,} articles, median of {args.runs} runs\n")
    print("| measurement | median |\n|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
