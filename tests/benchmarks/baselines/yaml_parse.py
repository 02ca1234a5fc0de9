"""Baseline: the libyaml floor.

Single process: read every candidate file under ROOT, split off the front
matter and parse it with ``yaml.load(..., Loader=yaml.CSafeLoader)``. Prints
the number of files parsed. No normalisation, no storage: this is the least
work a cold index must do per file (on one core).

Usage: python yaml_parse.py ROOT [ROOT...]
"""

from __future__ import annotations

import os
import sys

import yaml

SUFFIXES = (".md", ".markdown", ".txt")


def files(root: str) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out += [
            os.path.join(dirpath, f)
            for f in filenames
            if not f.startswith(".") and f.endswith(SUFFIXES)
        ]
    return out


def front_matter(text: str) -> str | None:
    text = text.removeprefix("\ufeff")
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return None
    start = text.index("\n") + 1
    end = text.find("\n---\n", start - 1)
    if end < 0:
        end = text.find("\n---\r\n", start - 1)
    if end < 0:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            return None
    return text[start : end + 1]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    parsed = failed = 0
    for root in argv:
        for path in files(root):
            with open(path, "rb") as fh:
                raw = fh.read()
            try:
                fm = front_matter(raw.decode("utf-8"))
                data = yaml.load(fm, Loader=yaml.CSafeLoader) if fm is not None else None
            except (UnicodeDecodeError, yaml.YAMLError):
                data = None
            if isinstance(data, dict):
                parsed += 1
            else:
                failed += 1
    print(parsed)
    if failed:
        print(f"{failed} files not parsed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
