"""Finding article files under the catalogue roots and reading them.

A root is a directory (searched recursively) or a single file. Hidden files and
folders are skipped; symlinks are followed, but a directory already visited is
never entered again, so a symlink cycle cannot loop.
"""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import os
import stat
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from newscat.errors import UsageError
from newscat.ignore import GITIGNORE, FileTests, Rules, Selection
from newscat.model import ARTICLE_SUFFIXES, DEFAULT_MAX_SIZE, Article, Problem
from newscat.text import line_text

if TYPE_CHECKING:
    from newscat.fields import FieldKeys

ENV_CATALOG = "NEWSCAT_CATALOG"


def bundled_seeds() -> Path:
    """The two sample articles shipped with newscat (inside the wheel, or beside a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "seeds", here.parent / "seeds"):
        try:
            if candidate.is_dir():
                return candidate
        except OSError:  # a folder this user may not look into is not there for them
            continue
    return here / "seeds"


def resolve_roots(given: Sequence[str], environ: dict[str, str] | None = None) -> list[str]:
    """The catalogue roots: ``-C`` values, else ``$NEWSCAT_CATALOG`` (split on ``:``), else the seeds.

    Each root is made absolute; one that does not exist is a usage error.
    """
    env = os.environ if environ is None else environ
    roots = list(given)
    if not roots and env.get(ENV_CATALOG):
        roots = [part for part in env[ENV_CATALOG].split(":") if part]
    if not roots:
        roots = [str(bundled_seeds())]
    out: list[str] = []
    for root in roots:
        absolute = os.path.abspath(os.path.expanduser(root))
        if not os.path.exists(absolute):
            raise missing_root(root)
        if absolute not in out:
            out.append(absolute)
    return out


def missing_root(root: str) -> UsageError:
    """The error for a catalogue root that does not exist (or no longer does)."""
    return UsageError(f"catalogue root does not exist: {line_text(text_path(root))}")


def is_candidate(name: str) -> bool:
    """Whether a file name is one newscat reads (by suffix, hidden files excluded)."""
    return not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES)


#: What a file that is not a regular one is, by its kind (a folder is walked instead).
_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_regular(mode: int) -> str:
    """Why a file of this mode (not a regular file) is not read, naming its kind."""
    kind = next((kind for test, kind in _KINDS if test(mode)), "")
    why = "cannot read: not a regular file"
    return f"{why} ({kind})" if kind else why


#: Whether paths are separated by ``/`` alone, as ``article_id``'s own split assumes.
_SLASHES_ONLY = os.sep == "/" and os.altsep is None


def article_id(relative: str) -> str:
    """The id of a file from its path relative to its root: no extension, ``/`` separators."""
    if _SLASHES_ONLY:
        # What os.path.splitext gives, without its three calls (each file read takes an
        # id): the name, after the last "/", loses its last ".suffix"; a name that
        # starts with a dot is left to splitext (".profile" has no suffix).
        name, dot = relative.rfind("/") + 1, relative.rfind(".")
        if name < dot and relative[name] != ".":
            return relative[:dot]
    stem, _ = os.path.splitext(relative)
    return stem.replace(os.sep, "/")


def folder_of(path: str) -> str:
    """``os.path.dirname(path)``, worked out without its calls where paths use ``/``
    alone and the last ``/`` follows a name (the workers take every file's folder)."""
    if _SLASHES_ONLY:
        slash = path.rfind("/")
        if slash > 0 and path[slash - 1] != "/":
            return path[:slash]
    return os.path.dirname(path)


def raw_bytes(path: str) -> bytes:
    """A path as the bytes the file system holds (``os.fsdecode`` undone)."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file system name decodes to
        return path.encode("utf-8", "surrogatepass")


def text_path(path: str) -> str:
    """A path as text: each byte that is not valid UTF-8 written ``\\xNN`` (lowercase).

    Names from the file system arrive with such bytes as lone surrogates, which no
    UTF-8 output or SQLite text can hold; every path newscat stores or shows goes
    through here. A UTF-8 path is returned as it is.
    """
    return path if _is_utf8(path) else raw_bytes(path).decode("utf-8", "backslashreplace")


def path_bytes(path: str) -> str | None:
    """The raw name as base64 when it is not valid UTF-8; None when it is."""
    if _is_utf8(path):
        return None
    return base64.b64encode(raw_bytes(path)).decode("ascii")


def text_keys(files: Walked) -> tuple[Walked, dict[str, str]]:
    """A folder's files keyed by their text paths, and the raw path behind each that differs.

    The usual folder, all UTF-8, comes back as it is. Should a name that is not
    UTF-8 read, once escaped, like a name beside it (a Latin-1 ``café.md`` next to a
    file really named ``caf\\xe9.md``), its backslashes are doubled until it is unique,
    so that both files stay articles with ids of their own.
    """
    if _is_utf8("".join(files)):
        return files, {}
    out: Walked = {}
    raw: dict[str, str] = {}
    for path, file_stamp in files.items():
        if _is_utf8(path):
            out[path] = file_stamp
    for path, file_stamp in files.items():
        if not _is_utf8(path):
            shown = text_path(path)
            while shown in out:
                folder, name = os.path.split(shown)
                shown = os.path.join(folder, name.replace("\\", "\\\\"))
            out[shown] = file_stamp
            raw[shown] = path
    return out, raw


def _is_utf8(path: str) -> bool:
    if path.isascii():
        return True
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: What the walk finds: path -> stamp (size and mtime_ns in one int, see ``stamp``).
#: One small int per file keeps a warm refresh of a large catalogue fast and lean.
Walked = dict[str, int]
_MTIME_BITS = 64
_MTIME_MASK = (1 << _MTIME_BITS) - 1


def stamp(size: int, mtime_ns: int) -> int:
    """A file's size and modification time as one int: equal exactly when both are."""
    return (size << _MTIME_BITS) | (mtime_ns & _MTIME_MASK)


def stamps(rows: Iterable[tuple[str, int, int]]) -> Walked:
    """``{path: stamp}`` from ``(path, size, mtime_ns)`` rows, as the walk gives them."""
    return {path: (size << _MTIME_BITS) | (mtime_ns & _MTIME_MASK) for path, size, mtime_ns in rows}


def unstamp(value: int) -> tuple[int, int]:
    """``(size, mtime_ns)`` back from a stamp."""
    mtime = value & _MTIME_MASK
    if mtime >= 1 << (_MTIME_BITS - 1):  # a time before 1970
        mtime -= 1 << _MTIME_BITS
    return value >> _MTIME_BITS, mtime


@dataclass(frozen=True)
class Folder:
    """One folder's candidate files as the walk found them.

    ``whole`` is false for the folder of a root that is a single file: then
    ``files`` is all the catalogue holds of that folder, not all it contains.
    """

    path: str
    files: Walked
    whole: bool = True


def walk_folders(
    roots: Sequence[str],
    problems: list[Problem],
    stat_files: bool = True,
    selections: Mapping[str, Selection] | None = None,
) -> Iterator[Folder]:
    """Every folder under the roots with its candidate files, one folder at a time.

    Problems met on the way are appended to ``problems``. Memory stays that of
    one folder, however large the catalogue. With ``stat_files`` false, files
    are not stat'ed and their stamps are 0: a quick count, from names alone.
    ``selections`` says, for a root that is a folder, which of its files and
    folders the walk leaves out (default: none); a root that is a file is always read.
    """
    singles: Walked = {}
    for root in roots:
        if os.path.isdir(root):
            continue
        try:
            info = os.stat(root)
        except OSError as exc:
            problems.append(Problem(root, "unreadable", f"cannot read: {exc.strerror}"))
            continue
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(root, "unreadable", not_regular(info.st_mode)))
            continue
        singles[root] = stamp(info.st_size, info.st_mtime_ns)
    by_folder: dict[str, Walked] = {}
    for path, file_stamp in singles.items():
        by_folder.setdefault(os.path.dirname(path), {})[path] = file_stamp
    for folder, files in by_folder.items():
        yield Folder(folder, files, whole=False)
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        if os.path.isdir(root):
            selection = (selections or {}).get(root)
            yield from _walk_dir(root, singles, problems, seen_dirs, stat_files, selection)


def root_and_id(path: str, roots: Sequence[str]) -> tuple[str, str]:
    """The root of a file the walk found under one of ``roots``, and its id.

    A root that is this very file comes first; otherwise the first root that
    holds the path, as in the walk.
    """
    if path in roots:  # a root that is a file is its folder's only article
        return os.path.dirname(path), article_id(os.path.basename(path))
    for root in roots:
        base = root.rstrip(os.sep) + os.sep
        if path.startswith(base):
            return root, article_id(path[len(base) :])
    return os.path.dirname(path), article_id(os.path.basename(path))


def _walk_dir(
    root: str,
    skip: Walked,
    problems: list[Problem],
    seen_dirs: set[tuple[int, int]],
    stat_files: bool,
    selection: Selection | None = None,
) -> Iterator[Folder]:
    if selection is not None and selection.empty:
        selection = None
    try:
        top = os.stat(root)
    except OSError as exc:
        problems.append(Problem(root, "unreadable", f"cannot read directory: {exc.strerror}"))
        return
    if (top.st_dev, top.st_ino) in seen_dirs:
        return
    seen_dirs.add((top.st_dev, top.st_ino))
    yield from walk_from([(root, "", ())], skip, problems, seen_dirs, stat_files, selection)


#: A folder still to visit: its path, its path relative to the root, and the
#: .gitignore rules that apply inside it.
Start = tuple[str, str, tuple[Rules, ...]]


def walk_from(
    stack: list[Start],
    skip: Walked,
    problems: list[Problem],
    seen_dirs: set[tuple[int, int]],
    stat_files: bool,
    selection: Selection | None,
) -> Generator[Folder, None, None]:
    """The folders of a walk from ``stack`` (visited last first), depth first; every
    folder is visited once (``seen_dirs``: device and inode). The stack is the caller's:
    after a folder is yielded it holds the folders found so far and still to visit."""
    if selection is not None and selection.empty:
        selection = None
    while stack:
        directory, relative, chain = stack.pop()
        try:
            with os.scandir(directory) as it:
                items = list(it)
        except OSError as exc:
            problems.append(
                Problem(directory, "unreadable", f"cannot read directory: {exc.strerror}")
            )
            continue
        tests: FileTests = ()
        if selection is not None:
            if selection.gitignore:
                chain = selection.folder_rules(chain, relative, _gitignore_text(items))
            tests = selection.file_tests(chain, relative)
        found, below = _scan(items, relative, chain, tests, skip, problems, stat_files, selection)
        for path, sub_relative, info in below:
            key = (info.st_dev, info.st_ino)
            if key not in seen_dirs:
                seen_dirs.add(key)
                stack.append((path, sub_relative, chain))
        yield Folder(directory, found)


def _scan(
    items: Sequence[os.DirEntry[str]],
    relative: str,
    chain: tuple[Rules, ...],
    tests: FileTests,
    skip: Walked,
    problems: list[Problem],
    stat_files: bool,
    selection: Selection | None,
) -> tuple[Walked, list[tuple[str, str, os.stat_result]]]:
    """One folder's article files (with their stamps when ``stat_files``, else 0) and
    its subfolders to visit: (path, path relative to the root, stat). ``tests``: the
    folder's ``Selection.file_tests``, which spare most files the rules."""
    found: Walked = {}
    below: list[tuple[str, str, os.stat_result]] = []
    is_regular = stat.S_ISREG
    for item in items:
        name = item.name
        if name[0] == ".":
            continue
        try:
            if item.is_dir():
                sub = f"{relative}/{name}" if relative else name
                if selection is not None and selection.leaves_out(chain, sub, True):
                    continue
                try:
                    below.append((item.path, sub, item.stat()))
                except OSError as exc:  # too long a path, or gone: say so, go on
                    problems.append(
                        Problem(item.path, "unreadable", f"cannot read directory: {exc.strerror}")
                    )
                continue
            if not name.lower().endswith(ARTICLE_SUFFIXES):
                continue
            if tests and _left_out(tests, selection, chain, relative, name):
                continue
            if not stat_files and item.is_file():
                if item.path not in skip:
                    found[item.path] = 0
                continue
            # A link that leads nowhere, and a file that is no regular one, are said
            # whether or not files are stat'ed (the rare rest is stat'ed to tell).
            info = item.stat()
        except OSError as exc:
            if is_candidate(name):
                problems.append(Problem(item.path, "unreadable", f"cannot read: {exc.strerror}"))
            continue
        if not is_regular(info.st_mode):  # never opened: a FIFO would hold the walk
            problems.append(Problem(item.path, "unreadable", not_regular(info.st_mode)))
        elif item.path not in skip:
            found[item.path] = (info.st_size << _MTIME_BITS) | (info.st_mtime_ns & _MTIME_MASK)
    return found, below


def _left_out(
    tests: FileTests,
    selection: Selection | None,
    chain: tuple[Rules, ...],
    relative: str,
    name: str,
) -> bool:
    """Whether the file ``name`` of folder ``relative`` is left out: the rules are
    asked only when one of the folder's ``tests`` matches it."""
    for prefix, pattern in tests:
        if pattern.fullmatch(prefix + name) is not None:
            path = f"{relative}/{name}" if relative else name
            return selection is not None and selection.leaves_out(chain, path, False)
    return False


def _gitignore_text(items: Sequence[os.DirEntry[str]]) -> str | None:
    """The text of the ``.gitignore`` among a folder's entries (None when there is none
    or it cannot be read: then it leaves nothing out, as in git)."""
    for item in items:
        if item.name == GITIGNORE:
            try:
                with open(item.path, encoding="utf-8", errors="replace") as handle:
                    return handle.read(1 << 20)
            except OSError:
                return None
    return None


class ReadFile(NamedTuple):
    """What ``read_article`` found: the content hash (None when the file was not read
    whole), the result (None when the hash equals the one known), and the file's size
    and modification time: from the open file, taken before it was read, so a stamp
    never newer than the content; from a stat when it could not be opened; None when
    neither could reach it."""

    digest: str | None
    result: Article | Problem | None
    size: int | None = None
    mtime_ns: int | None = None


#: How ``read_article`` makes the ``ReadFile`` of a file it read: ``tuple.__new__``,
#: without the Python call of ``ReadFile.__new__`` (a cold index reads every file).
_new_read_file: Callable[[type[ReadFile], tuple[str, Article | Problem | None, int, int]], ReadFile]
_new_read_file = tuple.__new__


def read_article(
    path: str,
    article_id: str,
    known_hash: str | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    name: str | None = None,
    keys: FieldKeys | None = None,
    opened: Opened = None,
    derivable: bool = True,
    body: bool = True,
) -> ReadFile:
    """Read and parse one file. ``keys`` says which front-matter keys each field is
    read from (default: newscat's own choice).

    The result is None when the content hash equals ``known_hash`` (nothing to
    re-parse). A file over ``max_size`` is refused without being read whole.
    ``name`` is the path as the catalogue shows it (default: ``text_path(path)``).
    ``opened`` is what ``opened_ahead`` gave for it: read_article closes a descriptor.
    ``derivable`` false leaves out the warnings the index derives, ``body`` false the
    body (``parse_article``).
    """
    shown = text_path(path) if name is None else name
    try:
        if isinstance(opened, OSError):
            raise opened
        fd = _open_for_reading(path) if opened is None else opened
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                problem = Problem(shown, "unreadable", not_regular(info.st_mode))
                return ReadFile(None, problem, info.st_size, info.st_mtime_ns)
            # The stat refuses a large file unread; the bounded read catches one still growing.
            data = b"" if info.st_size > max_size else _read_bounded(fd, info.st_size, max_size)
        finally:
            os.close(fd)
        if info.st_size > max_size or len(data) > max_size:
            message = f"file is larger than the {_size(max_size)} limit"
            return ReadFile(
                None, Problem(shown, "too-large", message), info.st_size, info.st_mtime_ns
            )
    except OSError as exc:
        problem = Problem(shown, "unreadable", f"cannot read: {exc.strerror or exc}")
        try:
            info = os.stat(path)
        except OSError:
            return ReadFile(None, problem)
        return ReadFile(None, problem, info.st_size, info.st_mtime_ns)
    digest = content_hash(data)
    result = (
        None if digest == known_hash else _parser()(data, shown, article_id, keys, derivable, body)
    )
    return _new_read_file(ReadFile, (digest, result, info.st_size, info.st_mtime_ns))


def content_hash(data: bytes) -> str:
    """What tells one content from another (stored, to skip a file whose stamp changed
    but not its content, and to follow a file renamed): SHA-1, cut to 128 bits. No
    defence is asked of it, and most processors now compute it themselves, at twice
    BLAKE2b's speed on a real catalogue (3.9 against 7.3 us a file)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:32]


@functools.cache
def _parser() -> Callable[[bytes, str, str, FieldKeys | None, bool, bool], Article | Problem]:
    """``newscat.parse.parse_article``, imported once (an import per file costs a
    microsecond a file)."""
    # start-up time: YAML is loaded only when a file is read
    from newscat.parse import parse_article

    return parse_article


#: A file opened ahead of its reading (``opened_ahead``): its descriptor, the error
#: opening it gave, or None when it was not opened ahead.
Opened: TypeAlias = int | OSError | None
#: How many files ahead of the one being read ``opened_ahead`` keeps open.
READ_AHEAD = 32
#: Every how many files ``opened_ahead`` looks whether they are in the page cache.
PROBE_EVERY = 32


def _open_for_reading(path: str | bytes) -> int:
    # O_NONBLOCK: a file swapped for a FIFO after the walk must not hang the read.
    return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))


def opened_ahead(paths: Sequence[str | bytes]) -> Generator[Opened, None, None]:
    """For each path in turn, the file opened for ``read_article`` with the reading of
    its content already asked of the kernel, ``READ_AHEAD`` files ahead of the one taken.
    On a cold page cache the disk then reads many files at once instead of one after
    another. On a warm one that ask would be one call per file for nothing: every
    ``PROBE_EVERY`` files, one file's start is looked for in the page cache
    (``in_page_cache``), and reading is asked ahead only from a file found not there
    to the next one found there. A file that cannot be opened
    gives its error (reported by ``read_article``, as if it had opened it). Once too
    many files are open, reading ahead stops: each file left gives None, and
    ``read_article`` opens it itself, after those opened ahead were read and closed.
    Descriptors not yet taken are closed when the iterator is closed."""
    window: deque[Opened] = deque()  # paths[index:following], opened
    following, ahead, count = 0, READ_AHEAD, len(paths)
    advise = True
    try:
        for index in range(count):
            # (two comparisons, not min(): this is asked twice for every file)
            while ahead and following < index + ahead and following < count:
                opened = _opened(paths[following])
                if opened is None:
                    ahead = 0
                    break
                if isinstance(opened, int):
                    if following % PROBE_EVERY == 0:
                        advise = not in_page_cache(opened)
                    if advise:
                        _advise(opened)
                window.append(opened)
                following += 1
            yield window.popleft() if index < following else None
    finally:
        for left in window:
            if isinstance(left, int):
                os.close(left)


def _opened(path: str | bytes) -> Opened:
    try:
        return _open_for_reading(path)
    except OSError as exc:
        return None if exc.errno in (errno.EMFILE, errno.ENFILE) else exc


def _advise(fd: int) -> None:
    """Ask the kernel to start reading the open file's content."""
    if hasattr(os, "posix_fadvise"):
        # Not contextlib.suppress: for every file, its object and calls cost more than the call.
        try:  # noqa: SIM105
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:  # not a regular file: read_article says so
            pass


_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)


def in_page_cache(fd: int) -> bool:
    """Whether the first byte of the open file can be read without waiting for the
    disk (Linux's RWF_NOWAIT: an empty file can); False where the system cannot say,
    or the descriptor is no regular file's."""
    if _NOWAIT is None:
        return False
    try:
        os.preadv(fd, [bytearray(1)], 0, _NOWAIT)
    except OSError:  # EAGAIN: not in the cache; or no such read here (a pipe, a file system)
        return False
    return True


def _read_bounded(fd: int, expected: int, max_size: int) -> bytes:
    """Read to the end, or to one byte past ``max_size``, whichever comes first.

    The first read asks for the size the stat gave plus one, so an unchanged file
    is read in one call into a buffer of its own size (not one of ``max_size``): a
    read that gives less than asked, once the stat's size is reached, is the end.
    """
    asked = expected + 1 if expected < max_size else max_size + 1
    chunk = os.read(fd, asked)
    # The usual file, unchanged since its stat, has ended (or was empty): no list kept.
    if not chunk or expected <= len(chunk) < asked:
        return chunk
    chunks, total = [chunk], len(chunk)
    while total <= max_size:
        asked = min(1 << 16, max_size + 1 - total)
        chunk = os.read(fd, asked)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if len(chunk) < asked and total >= expected:  # the end, of a file not shrunk
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _size(count: int) -> str:
    mib = 1024 * 1024
    return f"{count // mib} MiB" if count % mib == 0 else f"{count:,}-byte"
