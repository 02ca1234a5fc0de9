"""Configuration: the user's own file and a catalogue's ``newscat.toml``.

Two files, two levels of trust. The user's file (``$NEWSCAT_CONFIG``, else
``config.toml`` in the platform's user config dir) holds ``[defaults]`` and
``[searches]`` and may name programs (a pager, a browser) and paths. A
catalogue's ``newscat.toml`` comes from whoever made the catalogue, so it holds
only ``[fields]``, ``exclude`` and ``[searches]``: anything else is refused, an
``exclude`` glob may not leave the catalogue, and a search may not name a file
to write. Nothing in this module runs a program or reads beyond the two files.

Every problem is one ``ConfigError`` naming the file, line and column.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from newscat.errors import NewscatError

ENV_CONFIG = "NEWSCAT_CONFIG"
ENV_STATE_DIR = "NEWSCAT_STATE_DIR"
APP_NAME = "newscat"
#: The file at a catalogue root that describes that catalogue.
CATALOG_FILE = "newscat.toml"
USER_FILE = "config.toml"

#: Keys a catalogue's own file may hold, and the user's.
CATALOG_KEYS = ("fields", "exclude", "searches")
USER_KEYS = ("defaults", "searches")
#: ``[defaults]`` keys of the user's file.
DEFAULT_KEYS = ("catalog", "format", "limit", "sort", "color", "pager", "browser")
COLOR_CHOICES = ("auto", "always", "never")

#: Options a saved search may hold, by their long command-line names: the kind
#: of value each takes. ``many`` options accept a string or a list of strings.
SEARCH_OPTIONS: Mapping[str, str] = {
    "topic": "many",
    "provider": "many",
    "category": "many",
    "type": "many",
    "where": "many",
    "min-quality": "number",
    "max-quality": "number",
    "min-heat": "number",
    "max-heat": "number",
    "since": "text",
    "until": "text",
    "arrived-since": "text",
    "match": "text",
    "now": "text",
    "published": "bool",
    "sort": "text",
    "fields": "text",
    "format": "text",
    "limit": "count",
}
_SEARCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class ConfigError(NewscatError):
    """A configuration file that cannot be used: ``path:line:column: message``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.reason = message
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


# -- reading TOML ----------------------------------------------------------------------

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*\Z")


def load_toml(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """The table a TOML file holds, and its text; any failure is one ConfigError."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start
        row, col = data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1
        raise ConfigError(path, f"not valid UTF-8 at byte {at}", row, col) from None
    if sys.version_info >= (3, 11):  # start-up time: loaded only for a file to read
        from tomllib import TOMLDecodeError, loads
    else:  # pragma: no cover - exercised on Python 3.10 only
        from tomli import TOMLDecodeError, loads
    try:
        return loads(text), text
    except TOMLDecodeError as exc:
        message, line, column = _decode_error(exc, text)
        raise ConfigError(path, f"invalid TOML: {message}", line, column) from None


def _decode_error(exc: Exception, text: str) -> tuple[str, int | None, int | None]:
    """The message and 1-based position of a TOML decoding error.

    Newer parsers carry the position as attributes; older ones only in the
    message's ``(at line L, column C)`` tail, which is then moved into the position.
    """
    message = str(getattr(exc, "msg", None) or exc)
    line: int | None = getattr(exc, "lineno", None)
    column: int | None = getattr(exc, "colno", None)
    found = _POSITION.search(message)
    if found:
        message = message[: found.start()]
        if line is None:
            line, column = int(found.group(1)), int(found.group(2))
    elif "(at end of document)" in message:
        message = message.replace("(at end of document)", "").strip()
        if line is None:
            line = text.count("\n") + 1
            column = len(text) - (text.rfind("\n") + 1) + 1
    return message[:1].lower() + message[1:], line, column


def _line_of(text: str, *keys: str) -> int | None:
    """The first line that defines the dotted key ``keys`` (as a table or an assignment).

    TOML parsers give no positions for valid documents; this finds where a key
    that is valid TOML but not allowed here was written, so the error can say.
    """
    last = re.escape(keys[-1])
    quoted = rf"(?:{last}|\"{last}\"|'{last}')"
    header = rf"^\s*\[\[?\s*(?:[^\]]*\.\s*)?{quoted}\s*[\].]"
    assignment = rf"^\s*(?:[^=#\[]*\.\s*)?{quoted}\s*[=.]"
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(header, line) or re.match(assignment, line):
            return number
    return None


# -- the parts both files share ---------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A saved search: command-line options by their long names, and where it was defined."""

    name: str
    options: Mapping[str, Any]
    source: str
    line: int | None = None

    def describe(self) -> str:
        """The options as a command line would spell them (for listings)."""
        parts: list[str] = []
        for key, value in self.options.items():
            values = value if isinstance(value, tuple) else (value,)
            for one in values:
                if isinstance(one, bool):
                    parts.append(f"--{key}" if one else f"--no-{key}")
                else:
                    parts.append(f"--{key} {_shell_word(str(one))}")
        return " ".join(parts)


def _shell_word(text: str) -> str:
    return shlex.quote(text)


class _Reader:
    """Checks the shape of one file's values; every error names the file and the line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, message: str, *keys: str) -> ConfigError:
        return ConfigError(self.path, message, _line_of(self.text, *keys) if keys else None)

    def table(self, value: Any, *keys: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"'{'.'.join(keys)}' must be a table", *keys)
        return value

    def strings(self, value: Any, *keys: str) -> tuple[str, ...]:
        """A string or a list of strings, as a tuple (a string is a one-item list)."""
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
            raise self.fail(
                f"'{'.'.join(keys)}' must be a string or a list of non-empty strings", *keys
            )
        return tuple(items)

    def text_value(self, value: Any, *keys: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(f"'{'.'.join(keys)}' must be a non-empty string", *keys)
        return value

    def searches(self, value: Any, allowed: Mapping[str, str]) -> dict[str, Search]:
        out: dict[str, Search] = {}
        for name, table in self.table(value, "searches").items():
            if not _SEARCH_NAME.match(name):
                raise self.fail(
                    f"search name '{name}' must be letters, digits, '_', '-' or '.'",
                    "searches",
                    name,
                )
            options = self.table(table, "searches", name)
            parsed: dict[str, Any] = {}
            for key, raw in options.items():
                kind = allowed.get(key)
                if kind is None:
                    raise self.fail(
                        f"unknown option '{key}' in search '{name}' "
                        f"(allowed: {', '.join(sorted(allowed))})",
                        "searches",
                        name,
                        key,
                    )
                parsed[key] = self.option(kind, raw, "searches", name, key)
            out[name] = Search(name, parsed, self.path, _line_of(self.text, "searches", name))
        return out

    def option(self, kind: str, value: Any, *keys: str) -> Any:
        label = ".".join(keys)
        if kind == "many":
            return self.strings(value, *keys)
        if kind == "text":
            return self.text_value(value, *keys)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(f"'{label}' must be true or false", *keys)
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"'{label}' must be a number", *keys)
            return value
        if kind == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self.fail(f"'{label}' must be a whole number, 0 or more", *keys)
            return value
        raise AssertionError(kind)  # pragma: no cover

    def only(self, data: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    f"'{key}' is not allowed in {what} (allowed: {', '.join(allowed)})", key
                )


# -- a catalogue's own file ------------------------------------------------------------


@dataclass(frozen=True)
class CatalogConfig:
    """What a catalogue's ``newscat.toml`` says about that catalogue.

    ``fields`` maps a normalised field to the front-matter keys to read it from,
    in order; ``exclude`` holds globs relative to the root; ``searches`` the saved
    searches the catalogue offers. ``path`` is None when the root has no file.
    """

    root: str
    path: str | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    searches: Mapping[str, Search] = field(default_factory=dict)


def load_catalog_config(root: str | os.PathLike[str]) -> CatalogConfig:
    """The ``newscat.toml`` at a catalogue root (a folder); an empty one when there is none.

    A root that is a single file has no catalogue file.
    """
    root_path = Path(root)
    path = root_path / CATALOG_FILE
    if not root_path.is_dir() or not path.is_file():
        return CatalogConfig(root=str(root))
    data, text = load_toml(path)
    reader = _Reader(str(path), text)
    reader.only(data, CATALOG_KEYS, f"a catalogue's {CATALOG_FILE}")
    # start-up time: the registry loads only when a catalogue names fields
    from newscat.fields import CONFIGURABLE
    from newscat.ignore import BadPattern, compile_pattern

    fields: dict[str, tuple[str, ...]] = {}
    for name, keys in reader.table(data.get("fields", {}), "fields").items():
        if not _FIELD_NAME.match(name):
            raise reader.fail(f"'{name}' is not a field name", "fields", name)
        if name not in CONFIGURABLE:
            raise reader.fail(
                f"'{name}' is not read from front matter; [fields] may set "
                f"{', '.join(CONFIGURABLE)}",
                "fields",
                name,
            )
        fields[name] = reader.strings(keys, "fields", name)
    exclude = reader.strings(data.get("exclude", []), "exclude") if "exclude" in data else ()
    for glob in exclude:
        if _leaves_root(glob):
            raise reader.fail(
                f"exclude glob '{glob}' must be relative to the catalogue and stay inside it",
                "exclude",
            )
        try:
            compile_pattern(glob)
        except BadPattern as exc:
            raise reader.fail(f"exclude: {exc}", "exclude") from None
    searches = reader.searches(data.get("searches", {}), SEARCH_OPTIONS)
    return CatalogConfig(
        root=str(root), path=str(path), fields=fields, exclude=exclude, searches=searches
    )


def _leaves_root(glob: str) -> bool:
    """Whether a glob reads as a path outside the catalogue: absolute, a home directory,
    a drive, or a climb out with ``..`` (a glob is anchored with a ``/`` inside it)."""
    posix = glob.removeprefix("!").replace("\\", "/")
    return (
        posix.startswith(("/", "~"))
        or bool(re.match(r"[A-Za-z]:", posix))
        or ".." in PurePosixPath(posix).parts
    )


# -- the user's file --------------------------------------------------------------------


@dataclass(frozen=True)
class Defaults:
    """The user's ``[defaults]``: each None when the file does not set it."""

    catalog: tuple[str, ...] | None = None
    format: str | None = None
    limit: int | None = None
    sort: str | None = None
    color: str | None = None
    pager: str | None = None
    browser: str | None = None


@dataclass(frozen=True)
class UserConfig:
    """The user's configuration file, as read (``exists`` False when there is none)."""

    path: str
    exists: bool = False
    defaults: Defaults = field(default_factory=Defaults)
    searches: Mapping[str, Search] = field(default_factory=dict)


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$NEWSCAT_CONFIG``, else ``config.toml`` in the platform's user config dir."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser()
    # start-up time: platformdirs only when no directory is set
    import platformdirs

    return platformdirs.user_config_path(APP_NAME) / USER_FILE


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where newscat keeps what it must not lose: ``$NEWSCAT_STATE_DIR``, else the
    platform's user state dir (``$XDG_STATE_HOME/newscat`` on Linux)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_STATE_DIR):
        return Path(env[ENV_STATE_DIR]).expanduser()
    # start-up time: platformdirs only when no directory is set
    import platformdirs

    return platformdirs.user_state_path(APP_NAME)


def load_user_config(path: str | os.PathLike[str] | None = None) -> UserConfig:
    """The user's file (``user_config_path()`` unless given); empty when it does not exist."""
    target = Path(path) if path is not None else user_config_path()
    try:
        missing = not target.exists()
    except OSError:  # a folder on the way that cannot be searched: reading it says so
        missing = False
    if missing:
        return UserConfig(path=str(target))
    data, text = load_toml(target)
    reader = _Reader(str(target), text)
    reader.only(data, USER_KEYS, "the user's config file")
    raw = reader.table(data.get("defaults", {}), "defaults")
    reader.only(raw, DEFAULT_KEYS, "[defaults]")
    values: dict[str, Any] = {}
    if "catalog" in raw:
        base = target.parent
        values["catalog"] = tuple(
            str(base / Path(item).expanduser())
            for item in reader.strings(raw["catalog"], "defaults", "catalog")
        )
    for key in ("format", "sort", "pager", "browser"):
        if key in raw:
            values[key] = reader.text_value(raw[key], "defaults", key)
    if "color" in raw:
        color = reader.text_value(raw["color"], "defaults", "color")
        if color not in COLOR_CHOICES:
            raise reader.fail(
                f"'defaults.color' must be one of {', '.join(COLOR_CHOICES)}", "defaults", "color"
            )
        values["color"] = color
    if "limit" in raw:
        values["limit"] = reader.option("count", raw["limit"], "defaults", "limit")
    searches = reader.searches(data.get("searches", {}), SEARCH_OPTIONS)
    return UserConfig(path=str(target), exists=True, defaults=Defaults(**values), searches=searches)
