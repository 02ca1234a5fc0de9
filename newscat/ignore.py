"""Which files a catalogue leaves out: ``exclude`` globs and ``.gitignore`` files.

Both are read with git's pattern rules (``gitignore(5)``), using the standard library
only:

- a blank line or one starting with ``#`` says nothing; ``\\#`` and ``\\!`` are literal;
  trailing spaces are dropped unless escaped with a backslash;
- ``!pattern`` re-includes what an earlier pattern left out; the last pattern that
  matches a path decides, and a ``.gitignore`` deeper down overrides those above it;
- ``pattern/`` matches folders only;
- a pattern with a ``/`` at its start or in its middle is anchored to the folder of
  the file that holds it (the catalogue root for ``exclude``); one without matches a
  name at any depth;
- ``*`` and ``?`` never match ``/``; ``[a-z]`` and ``[!a-z]`` match one character;
  ``**/`` matches any number of folders, a trailing ``/**`` everything inside;
- a file inside a folder that is left out stays out (the walk never enters it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

#: The name of git's ignore file, read in every folder of a catalogue.
GITIGNORE = ".gitignore"
#: What a folder's files are checked with before the rules decide (``Selection.file_tests``).
FileTests = tuple[tuple[str, "re.Pattern[str]"], ...]


#: What the regex of a pattern without a ``/`` starts with: any folders, or none.
_ANY_FOLDERS = "(?:.*/)?"


class BadPattern(ValueError):
    """A glob that cannot be read (an invalid character range)."""


@dataclass(frozen=True)
class Pattern:
    """One line of an ignore file, compiled."""

    text: str
    regex: re.Pattern[str]
    negate: bool = False
    folders_only: bool = False


def compile_pattern(line: str) -> Pattern | None:
    """The pattern a line holds, or None for a blank or comment line.

    Raises BadPattern for a glob no path can be matched against.
    """
    text = line.rstrip("\r\n")
    if not text or text.startswith("#"):
        return None
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]
    negate = text.startswith("!")
    if negate:
        text = text[1:]
    folders_only = text.endswith("/")
    glob = text.rstrip("/") if folders_only else text
    if not glob:
        return None
    anchored = "/" in glob
    glob = glob.removeprefix("/")
    if not glob:
        return None
    body = _translate(glob)
    prefix = "" if anchored else _ANY_FOLDERS
    try:
        regex = re.compile(f"{prefix}{body}", re.DOTALL)
    except re.error as exc:
        raise BadPattern(f"invalid glob '{line.strip()}': {exc.msg}") from None
    return Pattern(line.strip(), regex, negate, folders_only)


def _translate(glob: str) -> str:
    """A glob (without its anchor) as a regular expression over a ``/``-separated path."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        char = glob[i]
        if char == "*":
            start = i
            while i < n and glob[i] == "*":
                i += 1
            whole_segment = (
                i - start == 2
                and (start == 0 or glob[start - 1] == "/")
                and (i == n or glob[i] == "/")
            )
            if whole_segment and i == n:
                out.append(".*")  # a trailing /** (or a lone **): everything inside
            elif whole_segment:
                out.append("(?:.*/)?")  # **/: any number of folders, none included
                i += 1
                while glob.startswith("**/", i):  # **/**/ says no more, and each more
                    i += 3  # would make the match backtrack exponentially
            else:
                out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(glob, i)
            if end is None:
                out.append(re.escape(char))
            else:
                out.append(_class(glob[i + 1 : end]))
                i = end
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(glob: str, start: int) -> int | None:
    """Where the bracket expression opened at ``start`` closes (a ``]`` first is literal)."""
    j = start + 1
    if j < len(glob) and glob[j] in "!^":
        j += 1
    if j < len(glob) and glob[j] == "]":
        j += 1
    end = glob.find("]", j)
    return None if end == -1 else end


def _class(inside: str) -> str:
    negate = inside[:1] in ("!", "^")
    if negate:
        inside = inside[1:]
    parts: list[str] = []
    i = 0
    while i < len(inside):
        char = inside[i]
        if char == "\\" and i + 1 < len(inside):
            i += 1
            parts.append(re.escape(inside[i]))
        elif char == "-" and parts and i + 1 < len(inside):
            parts.append("-")
        else:
            parts.append(re.escape(char))
        i += 1
    if negate:
        return "[^/" + "".join(parts) + "]"
    return "(?!/)[" + "".join(parts) + "]"  # a slash is never matched by a class


@dataclass(frozen=True)
class Rules:
    """The patterns of one file (or one list of globs), relative to folder ``base``
    (``/``-separated, relative to the catalogue root; ``""`` for the root itself)."""

    base: str
    patterns: tuple[Pattern, ...]

    def decide(self, path: str, is_folder: bool) -> bool | None:
        """True: left out; False: re-included; None: no pattern here matches ``path``
        (relative to the catalogue root)."""
        if self.base:
            if not path.startswith(self.base + "/"):
                return None
            path = path[len(self.base) + 1 :]
        if not (self._any_folder if is_folder else self.any_file).fullmatch(path):
            return None  # the usual case, one match in C instead of one per pattern
        for pattern in reversed(self.patterns):
            if pattern.folders_only and not is_folder:
                continue
            if pattern.regex.fullmatch(path):
                return not pattern.negate
        return None

    @cached_property
    def _any_folder(self) -> re.Pattern[str]:
        """Matches every path some pattern matches."""
        return _any(self.patterns)

    @cached_property
    def any_file(self) -> re.Pattern[str]:
        """Matches every file path some pattern (not for folders only) matches."""
        return _any(tuple(pattern for pattern in self.patterns if not pattern.folders_only))

    @cached_property
    def has_file_patterns(self) -> bool:
        """Whether some pattern can match a file (not only folders)."""
        return any(not pattern.folders_only for pattern in self.patterns)


def _any(patterns: tuple[Pattern, ...]) -> re.Pattern[str]:
    """One regex matching what any of ``patterns`` matches. Those starting with any
    folders share that start, matched once for them all instead of once each (on
    real sites, half of the time a walk spends matching)."""
    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    texts = [one.regex.pattern for one in patterns]
    rests = [text[len(_ANY_FOLDERS) :] for text in texts if text.startswith(_ANY_FOLDERS)]
    alternatives = [f"(?:{text})" for text in texts if not text.startswith(_ANY_FOLDERS)]
    if rests:
        alternatives.append(_ANY_FOLDERS + "(?:" + "|".join(f"(?:{rest})" for rest in rests) + ")")
    return re.compile("|".join(alternatives), re.DOTALL)


def rules(lines: Iterable[str], base: str = "", strict: bool = False) -> Rules:
    """The rules of an ignore file's lines. A line that cannot be read is skipped, as git
    does, unless ``strict`` (then BadPattern)."""
    found: list[Pattern] = []
    for line in lines:
        try:
            pattern = compile_pattern(line)
        except BadPattern:
            if strict:
                raise
            continue
        if pattern is not None:
            found.append(pattern)
    return Rules(base, tuple(found))


def left_out(chain: Sequence[Rules], path: str, is_folder: bool) -> bool:
    """Whether ``path`` is left out by a chain of rules, outermost first: the last
    pattern that matches decides."""
    for one in reversed(chain):
        decided = one.decide(path, is_folder)
        if decided is not None:
            return decided
    return False


@dataclass(frozen=True)
class Selection:
    """Which files the walk of one catalogue root leaves out: ``exclude`` globs (the
    catalogue's and the command line's, in that order) and, unless ``gitignore`` is
    false, every ``.gitignore`` from the root down."""

    exclude: Rules = Rules("", ())
    gitignore: bool = True

    def folder_rules(
        self, chain: tuple[Rules, ...], folder: str, text: str | None
    ) -> tuple[Rules, ...]:
        """The ``.gitignore`` chain inside ``folder``, given its ``.gitignore`` text (if any)."""
        if not self.gitignore or text is None:
            return chain
        found = rules(text.splitlines(), folder)
        return (*chain, found) if found.patterns else chain

    def file_tests(self, chain: Sequence[Rules], folder: str) -> FileTests:
        """What the walk checks each file of ``folder`` (relative to the root) with before
        asking ``leaves_out``: ``(prefix, pattern)`` pairs, one per set of rules that has
        patterns for files. ``leaves_out`` can be true for a file only when some
        pattern fully matches its prefix and name, so a folder with none (the usual
        case) needs no check per file, and the rest one match in C per set."""
        inside = f"{folder}/" if folder else ""
        tests: list[tuple[str, re.Pattern[str]]] = []
        for rules in (self.exclude, *chain):
            if not rules.has_file_patterns:
                continue
            if not rules.base:
                tests.append((inside, rules.any_file))
            elif inside.startswith(rules.base + "/"):
                tests.append((inside[len(rules.base) + 1 :], rules.any_file))
        return tuple(tests)

    def leaves_out(self, chain: Sequence[Rules], path: str, is_folder: bool) -> bool:
        """Whether the walk skips ``path`` (relative to the root, ``/``-separated)."""
        if self.exclude.patterns and left_out((self.exclude,), path, is_folder):
            return True
        return bool(chain) and left_out(chain, path, is_folder)

    @property
    def empty(self) -> bool:
        """True when nothing can be left out (no globs, no ``.gitignore`` read)."""
        return not self.exclude.patterns and not self.gitignore


@dataclass(frozen=True)
class Exclusions:
    """What a command line adds to every catalogue's own ``exclude``: more globs
    (``--exclude``), and whether ``.gitignore`` files are read (``--no-ignore``: not)."""

    exclude: tuple[str, ...] = ()
    gitignore: bool = True

    def selection(self, catalogue_globs: Sequence[str] = ()) -> Selection:
        """The selection of a root whose ``newscat.toml`` excludes ``catalogue_globs``."""
        return Selection(rules((*catalogue_globs, *self.exclude), strict=True), self.gitignore)

    def key(self) -> str:
        """Text that tells these exclusions apart (empty for the default: none given)."""
        if self == Exclusions():
            return ""
        return "\0".join(("exclude", *self.exclude, "gitignore" if self.gitignore else "no-ignore"))
