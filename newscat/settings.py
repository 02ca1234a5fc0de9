"""Effective settings: each value with the place it came from.

Precedence, highest first: the command line, the environment, the user's
config file, built-in defaults. Two generic variables rank below the user's
file, as git ranks them: ``$PAGER`` and ``$BROWSER`` are set for every program,
while the file and ``$NEWSCAT_PAGER`` speak to newscat alone. A catalogue's
``newscat.toml`` never contributes a setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newscat.config import ENV_STATE_DIR, Search, UserConfig, state_dir
from newscat.pager import DEFAULT_PAGER

COMMAND_LINE = "command line"
DEFAULT = "default"
#: Rows a terminal table shows before it stops (and says how many there were).
DEFAULT_LIMIT = 50
DEFAULT_SORT = "-date"
#: The order ``newscat config`` shows the settings in.
NAMES = (
    "catalog", "format", "limit", "sort", "color", "pager", "browser", "cache-dir", "state-dir",
)  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One effective setting: its value (None: unset, the program decides) and its source."""

    name: str
    value: Any
    source: str

    def shown(self) -> str:
        """The value as one line of text."""
        if self.value is None:
            return {"format": "table on a terminal, tsv otherwise", "browser": "the system's"}.get(
                self.name, ""
            )
        if self.name == "pager" and not str(self.value).strip():
            return "(none)"
        if isinstance(self.value, tuple):
            return ":".join(self.value)
        return str(self.value)


def effective(
    user: UserConfig, given: Mapping[str, Any], environ: Mapping[str, str]
) -> dict[str, Setting]:
    """Every setting, from the command line's ``given`` values (by setting name), the
    environment and the user's file, else the built-in default."""
    # start-up time: loaded only when the command runs
    from newscat.catalog import ENV_CATALOG, bundled_seeds
    from newscat.store.index import ENV_CACHE_DIR, default_cache_dir

    defaults = user.defaults
    file = user.path
    out: dict[str, Setting] = {}

    def pick(name: str, *candidates: tuple[Any, str]) -> None:
        for value, source in candidates:
            if value is not None and value != ():
                out[name] = Setting(name, value, source)
                return
        out[name] = Setting(name, None, DEFAULT)

    env_catalog = tuple(part for part in environ.get(ENV_CATALOG, "").split(":") if part)
    pick(
        "catalog",
        (tuple(given.get("catalog") or ()), COMMAND_LINE),
        (env_catalog, f"${ENV_CATALOG}"),
        (defaults.catalog, file),
        ((str(bundled_seeds()),), DEFAULT),
    )
    pick("format", (given.get("format"), COMMAND_LINE), (defaults.format, file))
    pick(
        "limit",
        (given.get("limit"), COMMAND_LINE),
        (defaults.limit, file),
        (DEFAULT_LIMIT, DEFAULT),
    )
    pick("sort", (given.get("sort"), COMMAND_LINE), (defaults.sort, file), (DEFAULT_SORT, DEFAULT))
    pick(
        "color",
        (given.get("color"), COMMAND_LINE),
        # "auto" lets the variable act: NO_COLOR drops colours but keeps dim and bold.
        ("auto" if environ.get("NO_COLOR") else None, "$NO_COLOR"),
        ("auto" if environ.get("FORCE_COLOR") else None, "$FORCE_COLOR"),
        (defaults.color, file),
        ("auto", DEFAULT),
    )
    pick(
        "pager",
        (environ.get("NEWSCAT_PAGER"), "$NEWSCAT_PAGER"),
        (defaults.pager, file),
        (environ.get("PAGER"), "$PAGER"),
        (DEFAULT_PAGER, DEFAULT),
    )
    pick("browser", (defaults.browser, file), (environ.get("BROWSER") or None, "$BROWSER"))
    cache = given.get("cache-dir")
    pick(
        "cache-dir",
        ("(in memory)" if given.get("no-cache") else None, COMMAND_LINE),
        (str(cache) if cache else None, COMMAND_LINE),
        (environ.get(ENV_CACHE_DIR) or None, f"${ENV_CACHE_DIR}"),
        (str(default_cache_dir({k: v for k, v in environ.items() if k != ENV_CACHE_DIR})), DEFAULT),
    )
    pick(
        "state-dir",
        (environ.get(ENV_STATE_DIR) or None, f"${ENV_STATE_DIR}"),
        (str(state_dir({})), DEFAULT),
    )
    return out


def available_searches(
    user: UserConfig, catalogues: Sequence[Mapping[str, Search]]
) -> dict[str, Search]:
    """Every saved search by name: the catalogues' (the first root's first), then the
    user's, which replace a catalogue's of the same name (the user's file is theirs)."""
    found: dict[str, Search] = {}
    for searches in catalogues:
        for name, search in searches.items():
            found.setdefault(name, search)
    found.update(user.searches)
    return found
