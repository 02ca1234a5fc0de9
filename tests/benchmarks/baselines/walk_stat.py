"""Baseline: the walk + stat floor.

Walk ROOT with os.scandir, skip hidden entries, follow directory symlinks
once, stat every candidate file (.md, .markdown, .txt) and print the count.
This is the least work any "what changed?" check must do.

Usage: python walk_stat.py ROOT [ROOT...]
"""

from __future__ import annotations

import os
import sys

SUFFIXES = (".md", ".markdown", ".txt")


def walk(root: str) -> int:
    count = 0
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        st = os.stat(folder)
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.name.endswith(SUFFIXES) and entry.is_file():
                    entry.stat()  # a real stat(2): size and mtime_ns
                    count += 1
    return count


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(sum(walk(root) for root in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
